// Package treecache keeps a local copy of a znode subtree current through
// one persistent-recursive watch (or, on servers without persistent
// watches, one-shot watches on every node), re-reading everything after a
// reconnect (persistent watches are re-registered without catch-up
// events) and flagging the copy as possibly stale while disconnected.
package treecache

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"

	"github.com/zabkit/zabkit/client"
)

// Entry is one cached node.
type Entry struct {
	Data []byte
	Stat client.Stat
}

// Cache is a local copy of the subtree below root (root itself excluded),
// keyed by path relative to root ("a", "a/b").
type Cache struct {
	c        *client.Conn
	root     string
	onChange func()

	mu      sync.Mutex
	entries map[string]Entry
	stale   bool
	loaded  chan struct{} // closed after the first full read
	err     error

	cancel context.CancelFunc
	exited chan struct{}

	oneShot bool // use one-shot watches even if the server has persistent ones
}

// New returns a cache of root on c; onChange (may be nil) is called from
// the cache's goroutine after every change of the copy or of the stale
// flag. Start begins following the tree.
func New(c *client.Conn, root string, onChange func()) *Cache {
	return &Cache{c: c, root: root, onChange: onChange, entries: map[string]Entry{}, stale: true,
		loaded: make(chan struct{}), exited: make(chan struct{})}
}

// Start starts the cache's goroutine; call it once.
func (t *Cache) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	go t.run(ctx)
}

// Loaded is closed once the first full read is done (or the cache ended).
func (t *Cache) Loaded() <-chan struct{} { return t.loaded }

// Snapshot returns a copy of the cached entries and whether they may be
// stale (no connection, or the session was lost).
func (t *Cache) Snapshot() (map[string]Entry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.entries), t.stale
}

// Get returns one cached entry.
func (t *Cache) Get(rel string) (Entry, bool, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[rel]
	return e, ok, t.stale
}

// Err returns why the cache stopped following the tree (session lost).
func (t *Cache) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Close stops the cache and waits for its goroutine.
func (t *Cache) Close() {
	t.cancel()
	<-t.exited
}

func (t *Cache) changed() {
	if t.onChange != nil {
		t.onChange()
	}
}

func (t *Cache) setStale(s bool) {
	t.mu.Lock()
	ch := t.stale != s
	t.stale = s
	t.mu.Unlock()
	if ch {
		t.changed()
	}
}

func (t *Cache) run(ctx context.Context) {
	defer close(t.exited)
	var loadedOnce sync.Once
	markLoaded := func() { loadedOnce.Do(func() { close(t.loaded) }) }
	defer markLoaded()
	fail := func(err error) {
		t.mu.Lock()
		t.err, t.stale = err, true
		t.mu.Unlock()
		t.changed()
	}
	states := t.c.States(ctx)
	if t.oneShot {
		t.runOneShot(ctx, states, fail, markLoaded)
		return
	}
	w, err := client.RetryValue(ctx, func(ctx context.Context) (*client.Watch, error) {
		return t.c.AddWatch(ctx, t.root, client.AddWatchPersistentRecursive)
	})
	if errors.Is(err, client.ErrUnimplemented) {
		// A server without persistent watches (before ZooKeeper 3.6).
		t.runOneShot(ctx, states, fail, markLoaded)
		return
	}
	if err != nil {
		if ctx.Err() == nil {
			fail(err)
		}
		return
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), t.c.SessionTimeout())
		defer cancel()
		_ = w.Remove(rctx)
	}()
	needLoad := true
	for {
		if needLoad && t.c.State().Connected() {
			if err := t.reload(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				if client.IsSessionLost(err) {
					fail(err)
					return
				}
				// connection lost during the reload: try again on reconnect
			} else {
				needLoad = false
				t.setStale(false)
				markLoaded()
			}
		}
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events():
			if !ok {
				fail(t.c.Err())
				return
			}
			t.apply(ctx, ev)
		case s, ok := <-states:
			if !ok {
				if ctx.Err() == nil {
					fail(t.c.Err())
				}
				return
			}
			if !s.Connected() {
				needLoad = true
				t.setStale(true)
			}
		}
	}
}

func (t *Cache) rel(p string) (string, bool) {
	if p == t.root {
		return "", false
	}
	prefix := t.root + "/"
	if t.root == "/" {
		prefix = "/"
	}
	r, ok := strings.CutPrefix(p, prefix)
	return r, ok
}

func (t *Cache) apply(ctx context.Context, ev client.Event) {
	r, ok := t.rel(ev.Path)
	if !ok {
		if ev.Type == client.EventNodeDeleted && ev.Path == t.root {
			t.mu.Lock()
			clear(t.entries)
			t.mu.Unlock()
			t.changed()
		}
		return
	}
	switch ev.Type {
	case client.EventNodeDeleted:
		t.mu.Lock()
		for k := range t.entries {
			if k == r || strings.HasPrefix(k, r+"/") {
				delete(t.entries, k)
			}
		}
		t.mu.Unlock()
		t.changed()
	case client.EventNodeCreated, client.EventNodeDataChanged:
		data, st, err := t.c.Get(ctx, ev.Path)
		t.mu.Lock()
		switch {
		case err == nil:
			if old, ok := t.entries[r]; !ok || old.Stat.Mzxid <= st.Mzxid {
				t.entries[r] = Entry{Data: data, Stat: st}
			}
		case errors.Is(err, client.ErrNoNode):
			delete(t.entries, r)
		default:
			t.stale = true // a reload follows the reconnect
		}
		t.mu.Unlock()
		t.changed()
	}
}

// reload reads the whole subtree and replaces the copy.
func (t *Cache) reload(ctx context.Context) error {
	fresh := map[string]Entry{}
	var walk func(p string) error
	walk = func(p string) error {
		kids, _, err := t.c.Children(ctx, p)
		if errors.Is(err, client.ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, k := range kids {
			cp := client.JoinPath(p, k)
			data, st, err := t.c.Get(ctx, cp)
			if errors.Is(err, client.ErrNoNode) {
				continue
			}
			if err != nil {
				return err
			}
			r, _ := t.rel(cp)
			fresh[r] = Entry{Data: data, Stat: st}
			if st.NumChildren > 0 {
				if err := walk(cp); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(t.root); err != nil {
		return err
	}
	t.mu.Lock()
	t.entries = fresh
	t.mu.Unlock()
	t.changed()
	return nil
}
