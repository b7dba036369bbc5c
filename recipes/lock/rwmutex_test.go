package lock

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

var rwNode = regexp.MustCompile(`^_c_[0-9a-f-]{36}-__(READ|WRIT)__[0-9]{10}$`)

func TestRWMutexReadersShareWriterExcludes(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	r1 := NewRWMutex(zktest.Dial(t), dir)
	r2 := NewRWMutex(zktest.Dial(t), dir)
	cw := zktest.Dial(t)
	w := NewRWMutex(cw, dir)
	if err := r1.RLock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r2.TryRLock(ctx); err != nil {
		t.Fatalf("second reader: %v", err)
	}
	for _, m := range []*Mutex{r1.Reader(), r2.Reader()} {
		if name := m.Key()[len(dir)+1:]; !rwNode.MatchString(name) {
			t.Fatalf("node %q lacks Curator's read-write layout", name)
		}
	}
	if err := w.TryLock(ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("writer while readers hold: %v, want ErrLocked", err)
	}
	wErr := make(chan error, 1)
	go func() { wErr <- w.Lock(ctx) }()
	waitChildren(t, cw, dir, 3)
	// No writer starvation: a reader arriving after the waiting writer
	// queues behind it.
	r3 := NewRWMutex(zktest.Dial(t), dir)
	if err := r3.TryRLock(ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("reader behind a waiting writer: %v, want ErrLocked", err)
	}
	r3Err := make(chan error, 1)
	go func() { r3Err <- r3.RLock(ctx) }()
	waitChildren(t, cw, dir, 4)
	if err := r1.RUnlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r2.RUnlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := zktest.Wait(t, wErr, 20*time.Second, "the writer"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r3Err:
		t.Fatalf("reader got in while the writer holds: %v", err)
	default:
	}
	if w.Writer().Token() <= r2.Reader().Token() {
		t.Fatal("writer's token not greater than earlier readers'")
	}
	if err := w.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := zktest.Wait(t, r3Err, 20*time.Second, "the late reader"); err != nil {
		t.Fatal(err)
	}
	if err := r3.RUnlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// Readers and writers hammer one RWMutex: never a writer together with
// anyone else.
func TestRWMutexExclusion(t *testing.T) {
	seed := testSeed(t)
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	var readers, writers atomic.Int32
	var wg sync.WaitGroup
	for i := range 5 {
		rw := NewRWMutex(zktest.Dial(t), dir)
		write := (seed>>i)&1 == 1 || i == 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				if write {
					if err := rw.Lock(ctx); err != nil {
						t.Error(err)
						return
					}
					if n := writers.Add(1); n != 1 || readers.Load() != 0 {
						t.Errorf("writer with %d writers, %d readers", n, readers.Load())
					}
					writers.Add(-1)
					if err := rw.Unlock(ctx); err != nil {
						t.Error(err)
						return
					}
				} else {
					if err := rw.RLock(ctx); err != nil {
						t.Error(err)
						return
					}
					readers.Add(1)
					if writers.Load() != 0 {
						t.Error("reader with a writer")
					}
					readers.Add(-1)
					if err := rw.RUnlock(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestSemaphoreBoundsHolders(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	const n, workers = 2, 5
	var inside, maxIn atomic.Int32
	var wg sync.WaitGroup
	for range workers {
		s := NewSemaphore(zktest.Dial(t), dir, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				l, err := s.Acquire(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				in := inside.Add(1)
				for {
					m := maxIn.Load()
					if in <= m || maxIn.CompareAndSwap(m, in) {
						break
					}
				}
				inside.Add(-1)
				if err := l.Release(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if maxIn.Load() > n {
		t.Fatalf("%d lease holders at once, limit %d", maxIn.Load(), n)
	}
}

func TestSemaphoreTryAcquireAndWaiterGivesUp(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	c := zktest.Dial(t)
	s := NewSemaphore(c, dir, 2)
	l1, err := s.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := s.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.TryAcquire(ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("third lease of two: %v", err)
	}
	wctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { _, err := s.Acquire(wctx); errc <- err }()
	waitChildren(t, c, dir, 3)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	waitChildren(t, c, dir, 2)
	// Releasing the first lease (not the one the waiter would have
	// watched in a predecessor scheme) frees a place.
	if err := l1.Release(ctx); err != nil {
		t.Fatal(err)
	}
	l3, err := s.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("lease after a release: %v", err)
	}
	for _, l := range []*Lease{l2, l3} {
		if err := l.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := NewSemaphore(c, dir, 0).Acquire(ctx); !errors.Is(err, client.ErrBadArguments) {
		t.Fatalf("zero leases: %v", err)
	}
}
