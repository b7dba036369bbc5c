package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// collect takes n nodes from take and returns their items in order.
func collect(t *testing.T, n int, take func(context.Context, Handler) error) []string {
	t.Helper()
	ctx := zktest.Ctx(t)
	var got []string
	for range n {
		if err := take(ctx, func(_ context.Context, it []byte) error {
			got = append(got, string(it))
			return nil
		}); err != nil {
			t.Fatalf("Take: %v", err)
		}
	}
	return got
}

func children(t *testing.T, c *client.Conn, path string) []string {
	t.Helper()
	kids, _, err := c.Children(zktest.Ctx(t), path)
	if err != nil && !errors.Is(err, client.ErrNoNode) {
		t.Fatal(err)
	}
	return kids
}

// Nodes are Curator's queue-<seq> in Curator's framing, taken in order; a
// multi-item node yields its items in order; foreign nodes are skipped.
func TestQueueLayoutAndOrder(t *testing.T) {
	for _, locked := range []bool{false, true} {
		t.Run(fmt.Sprint("lockPath=", locked), func(t *testing.T) {
			ctx := zktest.Ctx(t)
			root := zktest.Root(t)
			c := zktest.Dial(t)
			var opts []Option
			if locked {
				opts = append(opts, WithLockPath(root+"/locks"))
			}
			q := New(c, root+"/q", opts...)
			if err := q.Put(ctx, []byte("a")); err != nil {
				t.Fatal(err)
			}
			if err := q.Put(ctx, []byte("b"), []byte("c")); err != nil {
				t.Fatal(err)
			}
			if err := q.Put(ctx, []byte("d")); err != nil {
				t.Fatal(err)
			}
			kids := children(t, c, root+"/q")
			if len(kids) != 3 {
				t.Fatalf("nodes %v, want 3", kids)
			}
			for _, k := range kids {
				if !regexp.MustCompile(`^queue-\d{10}$`).MatchString(k) {
					t.Fatalf("node %q is not queue-<10 digits>", k)
				}
				data, _, err := c.Get(ctx, root+"/q/"+k)
				if err != nil || !bytes.HasPrefix(data, []byte{0, 1, 0, 1, 1}) || data[len(data)-1] != 2 {
					t.Fatalf("node %s holds % x, %v: not Curator's framing", k, data, err)
				}
			}
			if _, _, err := c.Create(ctx, root+"/q/aaa-foreign", nil, 0, nil); err != nil {
				t.Fatal(err)
			}
			if got := collect(t, 3, q.Take); fmt.Sprint(got) != "[a b c d]" {
				t.Fatalf("taken %v, want [a b c d]", got)
			}
			if kids := children(t, c, root+"/q"); len(kids) != 1 {
				t.Fatalf("left %v, want only the foreign node", kids)
			}
			if locked {
				if kids := children(t, c, root+"/locks"); len(kids) != 0 {
					t.Fatalf("lock nodes left: %v", kids)
				}
			}
		})
	}
}

// Lower priorities first, equal ones in put order; names are Curator's.
func TestPriorityQueueOrder(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t)
	q := NewPriority(c, root+"/q")
	for _, p := range []struct {
		prio int32
		item string
	}{{5, "five-a"}, {-3, "minus-three"}, {0, "zero"}, {5, "five-b"}, {1 << 20, "big"}, {-1 << 31, "min"}} {
		if err := q.Put(ctx, p.prio, []byte(p.item)); err != nil {
			t.Fatal(err)
		}
	}
	names := fmt.Sprint(sortItems(children(t, c, root+"/q"), false))
	if !regexp.MustCompile(`^\[queue-080000000\d{10} queue-0FFFFFFFD\d{10} queue-100000000\d{10} queue-100000005\d{10} queue-100000005\d{10} queue-100100000\d{10}\]$`).MatchString(names) {
		t.Fatalf("node names %s are not Curator's priority encoding", names)
	}
	if got := fmt.Sprint(collect(t, 6, q.Take)); got != "[min minus-three zero five-a five-b big]" {
		t.Fatalf("taken %s", got)
	}
}

// A node is not taken before its due time; due nodes go earliest first.
func TestDelayQueueTakesOnlyDueItems(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t)
	q := NewDelay(c, root+"/q")
	now := time.Now()
	later := now.Add(300 * time.Millisecond)
	if err := q.Put(ctx, later, []byte("later")); err != nil {
		t.Fatal(err)
	}
	if err := q.Put(ctx, now.Add(-time.Second), []byte("earlier")); err != nil {
		t.Fatal(err)
	}
	if err := q.Put(ctx, now.Add(-time.Hour), []byte("earliest")); err != nil {
		t.Fatal(err)
	}
	if err := q.Put(ctx, time.Unix(0, 0), []byte("x")); !errors.Is(err, ErrBadDueTime) {
		t.Fatalf("Put at the epoch: %v, want ErrBadDueTime", err)
	}
	for _, k := range children(t, c, root+"/q") {
		if !regexp.MustCompile(`^queue-\|[0-9A-F]{8,}\|\d{10}$`).MatchString(k) {
			t.Fatalf("node %q is not Curator's delay encoding", k)
		}
	}
	var got []string
	for range 3 {
		if err := q.Take(ctx, func(_ context.Context, it []byte) error {
			if string(it) == "later" && time.Now().Before(later.Truncate(time.Millisecond)) {
				t.Errorf("taken at %v, before its due time %v", time.Now(), later)
			}
			got = append(got, string(it))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(got) != "[earliest earlier later]" {
		t.Fatalf("taken %v", got)
	}
}

// A failing handler puts its node back at the tail (same priority), or
// drops it with WithDeleteOnError; Take returns the handler's error.
func TestHandlerErrorRequeuesOrDeletes(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t)
	boom := errors.New("boom")
	fail := func(_ context.Context, it []byte) error { return boom }

	q := NewPriority(c, root+"/q", WithLockPath(root+"/locks"))
	for _, it := range []string{"a", "b"} {
		if err := q.Put(ctx, 7, []byte(it)); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Put(ctx, 8, []byte("c")); err != nil {
		t.Fatal(err)
	}
	if err := q.Take(ctx, fail); !errors.Is(err, boom) {
		t.Fatalf("Take: %v, want the handler's error", err)
	}
	if got := fmt.Sprint(collect(t, 3, q.Take)); got != "[b a c]" {
		t.Fatalf("after a requeue: %s, want [b a c]", got)
	}

	d := New(c, root+"/d", WithLockPath(root+"/locks"), WithDeleteOnError())
	for _, it := range []string{"a", "b"} {
		if err := d.Put(ctx, []byte(it)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Take(ctx, fail); !errors.Is(err, boom) {
		t.Fatalf("Take: %v, want the handler's error", err)
	}
	if got := fmt.Sprint(collect(t, 1, d.Take)); got != "[b]" {
		t.Fatalf("after a delete on error: %s, want [b]", got)
	}
	if kids := children(t, c, root+"/d"); len(kids) != 0 {
		t.Fatalf("left %v", kids)
	}
}

// A node that is not Curator's framing is removed and reported.
func TestCorruptItemIsRemovedAndReported(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t)
	q := New(c, root+"/q", WithLockPath(root+"/locks"))
	if err := zktest.CreateAll(ctx, c, root+"/q/queue-0000000000", []byte("not framed")); err != nil {
		t.Fatal(err)
	}
	if err := q.Put(ctx, []byte("ok")); err != nil {
		t.Fatal(err)
	}
	if err := q.Take(ctx, func(context.Context, []byte) error { return nil }); !errors.Is(err, ErrCorruptItem) {
		t.Fatalf("Take: %v, want ErrCorruptItem", err)
	}
	if got := fmt.Sprint(collect(t, 1, q.Take)); got != "[ok]" {
		t.Fatalf("taken %s", got)
	}
}

// Safe consumers on several sessions: every item handled exactly once,
// no lock node left behind.
func TestQueueConsumersHandleEachItemOnce(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	const producers, consumers, each = 3, 3, 15
	var wg sync.WaitGroup
	for p := range producers {
		q := New(zktest.Dial(t), root+"/q")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := q.Put(ctx, []byte(fmt.Sprintf("p%d-%d", p, i))); err != nil {
					t.Errorf("Put: %v", err)
					return
				}
			}
		}()
	}
	seen := make(map[string]int)
	var mu sync.Mutex
	handled := make(chan struct{}, producers*each)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var cwg sync.WaitGroup
	for range consumers {
		q := New(zktest.Dial(t), root+"/q", WithLockPath(root+"/locks"))
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			err := q.Consume(cctx, func(_ context.Context, it []byte) error {
				mu.Lock()
				seen[string(it)]++
				mu.Unlock()
				handled <- struct{}{}
				return nil
			})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Consume: %v", err)
			}
		}()
	}
	wg.Wait()
	for range producers * each {
		zktest.Wait(t, handled, 30*time.Second, "every item to be handled")
	}
	cancel()
	cwg.Wait()
	checkOnce(t, seen, producers, each)
	c := zktest.Dial(t)
	if kids := children(t, c, root+"/locks"); len(kids) != 0 {
		t.Fatalf("lock nodes left: %v", kids)
	}
}
