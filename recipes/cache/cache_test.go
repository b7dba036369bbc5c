package cache

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// mirror applies a Listen stream to a map, as a consumer of the cache
// would.
type mirror struct {
	t       testing.TB
	ch      <-chan Event
	nodes   map[string]Node
	stale   bool
	inits   int
	syncs   int
	closed  bool
	history []Event
}

func listen(t testing.TB, ctx context.Context, c *Cache) *mirror {
	return &mirror{t: t, ch: c.Listen(ctx), nodes: map[string]Node{}}
}

// next applies one event; it fails the test if none comes within 30s.
func (m *mirror) next(what string) {
	m.t.Helper()
	tm := time.NewTimer(30 * time.Second)
	defer tm.Stop()
	select {
	case ev, ok := <-m.ch:
		if !ok {
			m.closed = true
			return
		}
		m.history = append(m.history, ev)
		switch ev.Type {
		case EventCreated:
			if _, dup := m.nodes[ev.Node.Path]; dup {
				m.t.Fatalf("created %s, already there", ev.Node.Path)
			}
			m.nodes[ev.Node.Path] = ev.Node
		case EventChanged:
			if old, ok := m.nodes[ev.Node.Path]; !ok || old.Stat != ev.Old.Stat || string(old.Data) != string(ev.Old.Data) {
				m.t.Fatalf("changed %s: old %+v, mirror has %+v", ev.Node.Path, ev.Old, old)
			}
			m.nodes[ev.Node.Path] = ev.Node
		case EventDeleted:
			if _, ok := m.nodes[ev.Node.Path]; !ok {
				m.t.Fatalf("deleted %s, not there", ev.Node.Path)
			}
			for p := range m.nodes {
				if p != ev.Node.Path && below(p, ev.Node.Path) {
					m.t.Fatalf("deleted %s before its child %s", ev.Node.Path, p)
				}
			}
			delete(m.nodes, ev.Node.Path)
		case EventInitialized:
			m.inits++
		case EventStale:
			m.stale = true
		case EventSynced:
			m.stale = false
			m.syncs++
		}
	case <-tm.C:
		m.t.Fatalf("no event within 30s while waiting for %s; mirror %v", what, m.data())
	}
}

// until applies events until cond holds.
func (m *mirror) until(what string, cond func() bool) {
	m.t.Helper()
	for !cond() {
		if m.closed {
			m.t.Fatalf("stream closed while waiting for %s", what)
		}
		m.next(what)
	}
}

func (m *mirror) data() map[string]string {
	out := map[string]string{}
	for p, n := range m.nodes {
		out[p] = string(n.Data)
	}
	return out
}

// consistent applies events until the mirror and the cache's own reads
// hold what the servers hold below root (up to depth) and the mirror is
// not stale.
func (m *mirror) consistent(ctx context.Context, c *Cache, w *client.Conn, depth int) {
	m.t.Helper()
	var want map[string]string
	m.until("the tree", func() bool {
		if m.stale || m.inits == 0 {
			return false
		}
		want = serverTree(m.t, ctx, w, c.Path(), depth)
		got := map[string]string{}
		c.Walk(func(n Node) bool { got[n.Path] = string(n.Data); return true })
		return maps.Equal(m.data(), want) && maps.Equal(got, want)
	})
}

// serverTree reads root's subtree (up to depth, negative: all) from the
// servers.
func serverTree(t testing.TB, ctx context.Context, w *client.Conn, root string, depth int) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(p string, level int)
	walk = func(p string, level int) {
		data, err := client.RetryValue(ctx, func(ctx context.Context) ([]byte, error) {
			data, _, err := w.Get(ctx, p)
			return data, err
		})
		if errors.Is(err, client.ErrNoNode) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		out[p] = string(data)
		if depth >= 0 && level >= depth {
			return
		}
		kids, err := client.RetryValue(ctx, func(ctx context.Context) ([]string, error) {
			kids, _, err := w.Children(ctx, p)
			return kids, err
		})
		if errors.Is(err, client.ErrNoNode) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range kids {
			walk(client.JoinPath(p, k), level+1)
		}
	}
	walk(root, 0)
	return out
}

// mk, set and del change the tree through w, retrying after connection
// loss (w may be connected to a server a fault test cuts off).
func mk(t testing.TB, ctx context.Context, w *client.Conn, p, data string) {
	t.Helper()
	tries := 0
	err := client.Retry(ctx, func(ctx context.Context) error {
		tries++
		err := zktest.CreateAll(ctx, w, p, []byte(data))
		if tries > 1 && errors.Is(err, client.ErrNodeExists) {
			err = nil // made by the attempt whose reply was lost
		}
		return err
	})
	if err != nil {
		t.Fatalf("create %s: %v", p, err)
	}
}

func set(t testing.TB, ctx context.Context, w *client.Conn, p, data string) {
	t.Helper()
	if err := client.Retry(ctx, func(ctx context.Context) error {
		_, err := w.Set(ctx, p, []byte(data), client.AnyVersion)
		return err
	}); err != nil {
		t.Fatalf("set %s: %v", p, err)
	}
}

func del(t testing.TB, ctx context.Context, w *client.Conn, p string) {
	t.Helper()
	if err := client.Retry(ctx, func(ctx context.Context) error { return zktest.DeleteAll(ctx, w, p) }); err != nil {
		t.Fatalf("delete %s: %v", p, err)
	}
}

// modes runs body with each way of watching.
func modes(t *testing.T, body func(t *testing.T, opts ...Option)) {
	t.Run("persistent", func(t *testing.T) { body(t) })
	t.Run("oneShot", func(t *testing.T) { body(t, WithOneShotWatches()) })
}

func TestCacheFollowsTree(t *testing.T) {
	modes(t, func(t *testing.T, opts ...Option) {
		ctx := zktest.Ctx(t)
		root := zktest.Root(t)
		w := zktest.Dial(t)
		c, err := New(ctx, zktest.Dial(t), root, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		m := listen(t, ctx, c)
		m.consistent(ctx, c, w, -1) // root missing: empty
		mk(t, ctx, w, root+"/a/b", "2")
		set(t, ctx, w, root+"/a", "1")
		m.consistent(ctx, c, w, -1)
		set(t, ctx, w, root+"/a/b", "3")
		seen := len(m.history)
		m.until("a/b changed", func() bool { return len(m.history) > seen && m.history[len(m.history)-1].Type == EventChanged })
		if ev := m.history[len(m.history)-1]; ev.Node.Path != root+"/a/b" || string(ev.Old.Data) != "2" || string(ev.Node.Data) != "3" {
			t.Fatalf("changed event %+v", ev)
		}
		mk(t, ctx, w, root+"/c", "4")
		m.consistent(ctx, c, w, -1)
		if kids := c.Children(root); !slices.Equal(kids, []string{"a", "c"}) {
			t.Fatalf("Children(root) = %v", kids)
		}
		if n, ok := c.Get(root + "/a/b"); !ok || string(n.Data) != "3" || n.Stat.Version != 1 {
			t.Fatalf("Get(a/b) = %+v %v", n, ok)
		}
		del(t, ctx, w, root+"/a")
		m.consistent(ctx, c, w, -1)
		del(t, ctx, w, root)
		m.consistent(ctx, c, w, -1)
		mk(t, ctx, w, root+"/again", "5")
		m.consistent(ctx, c, w, -1)
		if m.inits != 1 || m.syncs != 0 {
			t.Fatalf("%d initialized, %d synced events, want 1 and 0", m.inits, m.syncs)
		}
	})
}

func TestCacheDepth(t *testing.T) {
	for _, depth := range []int{0, 1, 2} {
		t.Run(fmt.Sprint(depth), func(t *testing.T) {
			modes(t, func(t *testing.T, opts ...Option) {
				ctx := zktest.Ctx(t)
				root := zktest.Root(t)
				w := zktest.Dial(t)
				mk(t, ctx, w, root+"/a/b/c", "3")
				c, err := New(ctx, zktest.Dial(t), root, append(opts, WithDepth(depth))...)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				m := listen(t, ctx, c)
				m.consistent(ctx, c, w, depth)
				mk(t, ctx, w, root+"/x/y/z", "z")
				set(t, ctx, w, root, "r")
				set(t, ctx, w, root+"/a/b", "b")
				m.consistent(ctx, c, w, depth)
				if c.Len() != 2*depth+1 { // the root, then a and x at each level
					t.Fatalf("depth %d caches %d nodes: %v", depth, c.Len(), m.data())
				}
			})
		})
	}
}

// Every stream starts with the snapshot, whenever it is opened; two
// streams see the same events.
func TestListenSnapshotThenChanges(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	w := zktest.Dial(t)
	for _, p := range []string{"/b", "/a", "/b/x", "/a/y/z"} {
		mk(t, ctx, w, root+p, p)
	}
	c, err := New(ctx, zktest.Dial(t), root)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first := listen(t, ctx, c)
	first.until("initialized", func() bool { return first.inits == 1 })
	var order []string
	for _, ev := range first.history[:len(first.history)-1] {
		order = append(order, ev.Node.Path[len(root):])
	}
	if want := []string{"", "/a", "/a/y", "/a/y/z", "/b", "/b/x"}; !slices.Equal(order, want) {
		t.Fatalf("snapshot order %v, want %v", order, want)
	}
	var walked []string
	c.Walk(func(n Node) bool { walked = append(walked, n.Path[len(root):]); return len(walked) < 3 })
	if !slices.Equal(walked, order[:3]) {
		t.Fatalf("Walk stopped after %v, want %v", walked, order[:3])
	}
	mk(t, ctx, w, root+"/c", "c")
	second := listen(t, ctx, c)
	del(t, ctx, w, root+"/a")
	first.consistent(ctx, c, w, -1)
	second.consistent(ctx, c, w, -1)
	if got := first.history[len(first.history)-4:]; got[0].Type != EventCreated || got[1].Node.Path != root+"/a/y/z" || got[3].Node.Path != root+"/a" {
		t.Fatalf("last events %+v, want c created, then a/y/z, a/y, a deleted", got)
	}
	// Closing the cache ends every stream.
	c.Close()
	for !first.closed {
		first.next("the stream to close")
	}
	if _, err := New(ctx, zktest.Dial(t), "not/a/path"); err == nil {
		t.Fatal("New with a bad path succeeded")
	}
	if !errors.Is(c.Err(), ErrClosed) {
		t.Fatalf("Err after Close = %v", c.Err())
	}
}

// New gives up when its ctx ends before the first snapshot.
func TestNewCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(zktest.Ctx(t))
	cancel()
	if _, err := New(ctx, zktest.Dial(t), zktest.Root(t)); !errors.Is(err, context.Canceled) {
		t.Fatalf("New with an ended ctx: %v", err)
	}
}

// below reports whether p is q or in q's subtree.
func below(p, q string) bool {
	return p == q || q == "/" || strings.HasPrefix(p, q+"/")
}
