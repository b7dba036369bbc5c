package shared

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

var seedFlag = flag.Uint64("seed", 0, "seed for randomized tests (0: pick one)")

func testSeed(t *testing.T) uint64 {
	s := *seedFlag
	if s == 0 {
		s = rand.Uint64()
	}
	t.Logf("seed %d (rerun with -seed=%d)", s, s)
	return s
}

// synced returns a new session that has caught up with the leader on
// path (client.Sync), so a read sees every write completed before.
func synced(t *testing.T, path string) *client.Conn {
	t.Helper()
	c := zktest.Dial(t)
	if err := c.Sync(zktest.Ctx(t), path); err != nil {
		t.Fatal(err)
	}
	return c
}

// A Count is created with its seed by the first Get, stored as 4 bytes
// big-endian, and TrySet succeeds only on the version it was given.
func TestCountLayoutAndTrySet(t *testing.T) {
	ctx := zktest.Ctx(t)
	c := zktest.Dial(t)
	path := zktest.Root(t) + "/a/count"
	n := NewCount(c, path, -2)
	v, err := n.Get(ctx)
	if err != nil || v.Value != -2 || v.Version != 0 {
		t.Fatalf("first Get: %+v, %v; want the seed -2 at version 0", v, err)
	}
	raw, st, err := c.Get(ctx, path)
	if err != nil || string(raw) != "\xff\xff\xff\xfe" || st.EphemeralOwner != 0 {
		t.Fatalf("node %q (owner %x), %v; want 4 bytes big-endian, persistent", raw, st.EphemeralOwner, err)
	}
	v2, err := n.TrySet(ctx, v, 7)
	if err != nil || v2.Value != 7 || v2.Version != 1 {
		t.Fatalf("TrySet: %+v, %v", v2, err)
	}
	if _, err := n.TrySet(ctx, v, 9); !errors.Is(err, ErrConflict) {
		t.Fatalf("TrySet with a stale version: %v, want ErrConflict", err)
	}
	if v, err := NewCount(c, path, 100).Get(ctx); err != nil || v.Value != 7 {
		t.Fatalf("another Count on the same node: %+v, %v; want 7 (the seed applies only to a new node)", v, err)
	}
	if _, err := c.Set(ctx, path, []byte{1, 2}, client.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Get(ctx); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get of 2 bytes: %v, want ErrCorrupt", err)
	}
}

// Concurrent TrySet loops from several sessions, each retrying on
// ErrConflict, add up exactly.
func TestCountConcurrentTrySet(t *testing.T) {
	ctx := zktest.Ctx(t)
	path := zktest.Root(t) + "/count"
	const workers, each = 4, 10
	var wg sync.WaitGroup
	for range workers {
		n := NewCount(zktest.Dial(t), path, 0)
		wg.Go(func() {
			for i := 0; i < each; {
				v, err := n.Get(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := n.TrySet(ctx, v, v.Value+1); errors.Is(err, ErrConflict) {
					continue
				} else if err != nil {
					t.Error(err)
					return
				}
				i++
			}
		})
	}
	wg.Wait()
	if v, err := NewCount(synced(t, path), path, 0).Get(ctx); err != nil || v.Value != workers*each {
		t.Fatalf("count %+v, %v; want %d", v, err, workers*each)
	}
}

// Watch delivers the current value, then changes; a consumer that reads
// only after many changes still gets the latest value, never a stale one.
func TestWatchNeverDropsLatest(t *testing.T) {
	ctx := zktest.Ctx(t)
	c := zktest.Dial(t)
	path := zktest.Root(t) + "/v"
	v := NewValue(c, path, []byte("seed"))
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	w := v.Watch(wctx)
	if got := zktest.Wait(t, w, 30*time.Second, "first value"); string(got.Value) != "seed" {
		t.Fatalf("first value %q, want the seed", got.Value)
	}
	if _, err := v.Set(ctx, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if got := zktest.Wait(t, w, 30*time.Second, "change"); string(got.Value) != "one" {
		t.Fatalf("after Set: %q, want one", got.Value)
	}
	var last Versioned[[]byte]
	for i := range 20 {
		var err error
		if last, err = v.Set(ctx, []byte{byte('a' + i)}); err != nil {
			t.Fatal(err)
		}
	}
	for got := range w {
		if got.Zxid > last.Zxid {
			t.Fatalf("value %+v newer than the last write %+v", got, last)
		}
		if got.Zxid == last.Zxid {
			if string(got.Value) != string(last.Value) {
				t.Fatalf("latest value %q, want %q", got.Value, last.Value)
			}
			break
		}
	}
	stop()
	for range w {
	}
}

// AtomicLong: a missing node reads 0 and is created by the first change
// as 8 bytes big-endian; Add, Decrement, CompareAndSet and TrySet return
// the values before and after; CompareAndSet fails on another value.
func TestAtomicLongOperations(t *testing.T) {
	ctx := zktest.Ctx(t)
	c := zktest.Dial(t)
	path := zktest.Root(t) + "/x/long"
	a := NewAtomicLong(c, path)
	if n, err := a.Get(ctx); err != nil || n != 0 {
		t.Fatalf("Get of a missing node: %d, %v", n, err)
	}
	if _, err := a.CompareAndSet(ctx, 0, 5); !errors.Is(err, ErrConflict) {
		t.Fatalf("CompareAndSet on a missing node: %v, want ErrConflict (as Curator)", err)
	}
	r, err := a.Increment(ctx)
	if err != nil || !r.Succeeded || r.Pre != 0 || r.Post != 1 {
		t.Fatalf("Increment: %+v, %v", r, err)
	}
	raw, _, err := c.Get(ctx, path)
	if err != nil || binary.BigEndian.Uint64(raw) != 1 || len(raw) != 8 {
		t.Fatalf("node %x, %v; want 8 bytes big-endian 1", raw, err)
	}
	if r, err = a.Add(ctx, -11); err != nil || r.Pre != 1 || r.Post != -10 {
		t.Fatalf("Add(-11): %+v, %v", r, err)
	}
	if r, err = a.Decrement(ctx); err != nil || r.Pre != -10 || r.Post != -11 {
		t.Fatalf("Decrement: %+v, %v", r, err)
	}
	if r, err = a.CompareAndSet(ctx, 3, 4); !errors.Is(err, ErrConflict) || r.Succeeded || r.Pre != -11 {
		t.Fatalf("CompareAndSet(3, 4) on -11: %+v, %v; want ErrConflict with Pre -11", r, err)
	}
	if r, err = a.CompareAndSet(ctx, -11, 40); err != nil || !r.Succeeded || r.Post != 40 {
		t.Fatalf("CompareAndSet(-11, 40): %+v, %v", r, err)
	}
	if r, err = a.TrySet(ctx, 2); err != nil || r.Pre != 40 || r.Post != 2 {
		t.Fatalf("TrySet(2): %+v, %v", r, err)
	}
	if ok, err := a.Initialize(ctx, 9); err != nil || ok {
		t.Fatalf("Initialize of an existing node: %v, %v; want false", ok, err)
	}
	if err := a.ForceSet(ctx, 77); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Get(ctx); err != nil || n != 77 {
		t.Fatalf("after ForceSet: %d, %v", n, err)
	}
	if _, err := c.Set(ctx, path, []byte("abc"), client.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Increment(ctx); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Increment of 3 bytes: %v, want ErrCorrupt", err)
	}
}

// Concurrent increments from several sessions sum exactly. With a single
// optimistic try each, most lose and promote to the lock; all succeed.
func TestAtomicLongConcurrentIncrements(t *testing.T) {
	seed := testSeed(t)
	for _, tc := range []struct {
		name string
		opts []AtomicOption
	}{
		{"optimistic", []AtomicOption{WithTries(1000)}},
		{"promoted", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := zktest.Ctx(t)
			root := zktest.Root(t)
			opts := tc.opts
			if opts == nil {
				opts = []AtomicOption{WithTries(1), WithPromotedLock(root+"/lock", 1000)}
			}
			const workers, each = 4, 10
			var wg sync.WaitGroup
			var mu sync.Mutex
			posts := map[int64]bool{}
			promoted := 0
			for i := range workers {
				a := NewAtomicLong(zktest.Dial(t), root+"/n", opts...)
				rnd := rand.New(rand.NewPCG(seed, uint64(i)))
				wg.Go(func() {
					for range each {
						delta := int64(1)
						if rnd.IntN(4) == 0 {
							delta = 2
						}
						r, err := a.Add(ctx, delta)
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						if posts[r.Post] || r.Post != r.Pre+delta {
							t.Errorf("result %+v of Add(%d): post value reached twice or wrong", r, delta)
						}
						posts[r.Post] = true
						if r.Promoted {
							promoted++
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			var want int64
			for i := range workers {
				rnd := rand.New(rand.NewPCG(seed, uint64(i)))
				for range each {
					want++
					if rnd.IntN(4) == 0 {
						want++
					}
				}
			}
			if n, err := NewAtomicLong(synced(t, root+"/n"), root+"/n").Get(ctx); err != nil || n != want {
				t.Fatalf("value %d, %v; want %d", n, err, want)
			}
			t.Logf("%d of %d changes promoted to the lock", promoted, workers*each)
		})
	}
}

// With one try and no promoted lock, a change that loses fails with
// ErrContention and leaves the value alone.
func TestAtomicLongContention(t *testing.T) {
	ctx := zktest.Ctx(t)
	c := zktest.Dial(t)
	path := zktest.Root(t) + "/n"
	a := NewAtomicLong(c, path, WithTries(1))
	calls := 0
	r, err := a.change(ctx, func(pre int64) int64 {
		calls++
		// A concurrent writer changes the node after our read.
		if _, _, err := c.Create(ctx, path, longBytes(50), client.ModePersistent, nil, client.WithParentContainers()); err != nil {
			t.Fatal(err)
		}
		return pre + 1
	})
	if !errors.Is(err, ErrContention) || r.Succeeded || calls != 1 {
		t.Fatalf("change that lost its only try: %+v, %v (%d calls); want ErrContention", r, err, calls)
	}
	if n, err := a.Get(ctx); err != nil || n != 50 {
		t.Fatalf("value %d, %v; want the concurrent writer's 50", n, err)
	}
}
