package registry

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/treecache"
)

// Cache keeps one service's instances current through a watch (no
// polling). Reads are local.
type Cache struct {
	name string
	tc   *treecache.Cache

	mu   sync.Mutex
	subs []chan []Instance
	last []Instance
	done bool
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
	ca := &Cache{name: name}
	ca.tc = treecache.New(c, client.JoinPath(base, name), ca.changed)
	ca.tc.Start()
	select {
	case <-ca.tc.Loaded():
	case <-ctx.Done():
		ca.Close()
		return nil, ctx.Err()
	}
	if err := ca.tc.Err(); err != nil {
		ca.Close()
		return nil, err
	}
	return ca, nil
}

// Instances returns the service's instances (enabled or not), ordered by id.
// Nodes whose data is not a service instance are skipped.
func (ca *Cache) Instances() []Instance {
	entries, _ := ca.tc.Snapshot()
	out := make([]Instance, 0, len(entries))
	for rel, e := range entries {
		if strings.Contains(rel, "/") {
			continue
		}
		inst, err := Unmarshal(e.Data)
		if err != nil {
			continue
		}
		out = append(out, inst)
	}
	slices.SortFunc(out, func(a, b Instance) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Stale reports whether the cache may be behind the servers: the client
// has no connection, or its session is lost (see Err).
func (ca *Cache) Stale() bool {
	_, s := ca.tc.Snapshot()
	return s
}

// Err returns why the cache stopped following the service (session lost),
// or nil.
func (ca *Cache) Err() error { return ca.tc.Err() }

// Changes returns a stream of the instance list: the current list, then
// every new list after a change. Lists are coalesced: a slow reader gets
// the latest list, never an outdated one last. The channel closes when ctx
// ends, the cache is closed, or the cache stops following the service
// because its session is lost (Err then says so).
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

// changed runs on the tree cache's goroutine after every change.
func (ca *Cache) changed() {
	l := ca.Instances()
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if ca.done {
		return
	}
	if ca.tc.Err() != nil { // no longer following: end the streams
		for _, s := range ca.subs {
			close(s)
		}
		ca.subs, ca.done = nil, true
		return
	}
	if slices.EqualFunc(l, ca.last, sameInstance) && ca.last != nil {
		return
	}
	ca.last = l
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
	ca.tc.Close()
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
