package registry

import (
	"context"
	"slices"
	"sync"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/cache"
)

// Cache keeps one service's instances current through a recipes/cache
// Cache of the service's node and its children (no polling). Reads are
// local.
type Cache struct {
	dir    string
	c      *cache.Cache
	exited chan struct{}

	mu      sync.Mutex
	subs    []chan []Instance
	last    []Instance
	lastBad string // BadNodes' text when last delivered
	done    bool
}

// NewCache starts following the instances of service name below base and
// returns once they have been read (or ctx ends). Close stops it.
func NewCache(ctx context.Context, c *client.Conn, base, name string) (*Cache, error) {
	if err := client.ValidatePath(base); err != nil {
		return nil, err
	}
	if err := (Instance{Name: name, ID: "x"}).validate(); err != nil {
		return nil, err
	}
	ca := &Cache{dir: client.JoinPath(base, name), exited: make(chan struct{})}
	var err error
	if ca.c, err = cache.New(ctx, c, ca.dir, cache.WithDepth(1)); err != nil {
		return nil, err
	}
	events := ca.c.Listen(context.Background()) // ends with ca.c
	go func() {
		defer close(ca.exited)
		initialized := false
		for ev := range events {
			if initialized = initialized || ev.Type == cache.EventInitialized; initialized {
				ca.changed()
			}
		}
		ca.finish()
	}()
	return ca, nil
}

// Instances returns the service's instances (enabled or not), ordered by id
// (then by node name). Nodes whose data is not a service instance are left
// out and reported by BadNodes.
func (ca *Cache) Instances() []Instance {
	l, _ := ca.read()
	return l
}

// BadNodes returns nil, or an error matching ErrBadInstance that names
// every cached node of the service whose data is not a service instance
// (such nodes are left out of Instances). It follows the cache: once such
// a node is fixed or deleted, it is no longer named.
func (ca *Cache) BadNodes() error {
	_, bad := ca.read()
	return bad
}

func (ca *Cache) read() ([]Instance, error) {
	nodes := map[string][]byte{}
	for _, k := range ca.c.Children(ca.dir) {
		if n, ok := ca.c.Get(client.JoinPath(ca.dir, k)); ok {
			nodes[k] = n.Data
		}
	}
	return decodeNodes(ca.dir, nodes)
}

// Stale reports whether the cache may be behind the servers: the client
// has no connection or is between two sessions (the instances are read
// again once it has one), or the cache stopped following the service
// (see Err).
func (ca *Cache) Stale() bool { return ca.c.Stale() }

// Err returns why the cache stopped following the service (an error
// matching cache.ErrStopped and the Conn's error once the Conn is
// finished, cache.ErrClosed after Close), or nil.
func (ca *Cache) Err() error { return ca.c.Err() }

// Changes returns a stream of the instance list: the current list, then
// every new list after a change; the list is also sent again, unchanged,
// when the nodes BadNodes names change. Lists are coalesced: a slow reader gets
// the latest list, never an outdated one last. The channel closes when ctx
// ends, the cache is closed, or the cache stops following the service
// because its Conn is finished, such as by a session expiry without
// renewal (Err then says so); with renewal it goes on across an expiry.
func (ca *Cache) Changes(ctx context.Context) <-chan []Instance {
	in := make(chan []Instance, 1)
	out := make(chan []Instance)
	ca.mu.Lock()
	if ca.done {
		ca.mu.Unlock()
		close(out)
		return out
	}
	in <- ca.Instances()
	ca.subs = append(ca.subs, in)
	ca.mu.Unlock()
	go func() {
		defer close(out)
		defer ca.unsubscribe(in)
		for {
			select {
			case l, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- l:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func (ca *Cache) unsubscribe(in chan []Instance) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if i := slices.Index(ca.subs, in); i >= 0 {
		ca.subs = slices.Delete(ca.subs, i, i+1)
	}
}

// changed runs after every event of the cache once initialized.
func (ca *Cache) changed() {
	l, bad := ca.read()
	badText := ""
	if bad != nil {
		badText = bad.Error()
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if ca.done {
		return
	}
	if slices.EqualFunc(l, ca.last, sameInstance) && ca.last != nil && badText == ca.lastBad {
		return
	}
	ca.last, ca.lastBad = l, badText
	for _, s := range ca.subs {
		select { // replace an undelivered list with the latest one
		case <-s:
		default:
		}
		s <- l
	}
}

func sameInstance(a, b Instance) bool {
	x, _ := Marshal(a)
	y, _ := Marshal(b)
	return string(x) == string(y)
}

// Close stops following the service and closes every Changes stream.
func (ca *Cache) Close() {
	ca.c.Close()
	<-ca.exited
}

// finish closes every Changes stream: the cache stopped following the
// service (Err says why) or was closed.
func (ca *Cache) finish() {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if ca.done {
		return
	}
	for _, s := range ca.subs {
		close(s)
	}
	ca.subs, ca.done = nil, true
}
