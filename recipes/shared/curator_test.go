package shared

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/zabkit/zabkit/recipes/internal/curatortest"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// The interop tests run Apache Curator's SharedCount and
// DistributedAtomicLong (testdata/curator/Shared.java) beside the Go
// recipes on the same node, through curatortest (skipped without Java and
// Curator's jars).

// Java and Go increment one SharedCount at the same time, each by TrySet
// on the version read, retried on conflict. Expectation: the count ends
// at the exact number of increments.
func TestCuratorSharedCountIncrements(t *testing.T) {
	j := curatortest.New(t)
	ctx := zktest.Ctx(t)
	path := zktest.Root(t) + "/count"
	const javaN, goN, goWorkers = 20, 10, 2
	java := j.Start(t, "Shared", "count", zktest.Servers(t), path, strconv.Itoa(javaN))
	java.Expect(ctx, t, "ready")
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range goWorkers {
		n := NewCount(zktest.Dial(t), path, 0)
		wg.Go(func() {
			<-start
			for i := 0; i < goN; {
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
	java.Send(t, "go")
	close(start)
	java.Expect(ctx, t, "done")
	wg.Wait()
	if v, err := NewCount(synced(t, path), path, 0).Get(ctx); err != nil || v.Value != javaN+goN*goWorkers {
		t.Fatalf("count %+v, %v; want %d", v, err, javaN+goN*goWorkers)
	}
}

// Java's DistributedAtomicLong and Go's AtomicLong increment one node at
// the same time, both with one optimistic try and then the promoted lock
// (InterProcessMutex) at the same path. Expectation: every increment
// succeeds and the value ends exact.
func TestCuratorAtomicLongIncrements(t *testing.T) {
	j := curatortest.New(t)
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	path, lockPath := root+"/long", root+"/lock"
	const javaN, goN, goWorkers = 20, 10, 2
	java := j.Start(t, "Shared", "atomic", zktest.Servers(t), path, lockPath, strconv.Itoa(javaN))
	java.Expect(ctx, t, "ready")
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range goWorkers {
		a := NewAtomicLong(zktest.Dial(t), path, WithTries(1), WithPromotedLock(lockPath, 1000))
		wg.Go(func() {
			<-start
			for range goN {
				if r, err := a.Increment(ctx); err != nil || r.Post != r.Pre+1 {
					t.Errorf("Increment: %+v, %v", r, err)
					return
				}
			}
		})
	}
	java.Send(t, "go")
	close(start)
	f := java.Next(ctx, t)
	for ; f[0] != "done"; f = java.Next(ctx, t) {
		t.Errorf("Java: %q", f)
	}
	wg.Wait()
	t.Logf("Java promoted %s of %d increments to the lock", f[1], javaN)
	if n, err := NewAtomicLong(synced(t, path), path).Get(ctx); err != nil || n != javaN+goN*goWorkers {
		t.Fatalf("value %d, %v; want %d", n, err, javaN+goN*goWorkers)
	}
}

// Values written by one side are read and watched by the other: Go's Set
// reaches Java's SharedCount listener, Java's setCount reaches Go's Watch,
// and Curator reads Go's AtomicLong.
func TestCuratorSharedCountWatch(t *testing.T) {
	j := curatortest.New(t)
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t)
	countPath, longPath := root+"/count", root+"/long"
	java := j.Start(t, "Shared", "watch", zktest.Servers(t), countPath, longPath)
	java.Expect(ctx, t, "ready")
	n := NewCount(c, countPath, 0)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	w := n.Watch(wctx)

	for i := int32(1); i <= 5; i++ {
		if _, err := n.Set(ctx, i*i); err != nil {
			t.Fatal(err)
		}
	}
	// The listener may coalesce changes; it must end with the last one.
	for f := java.Expect(ctx, t, "changed"); f[1] != "25"; f = java.Expect(ctx, t, "changed") {
	}
	java.Send(t, "set -7")
	java.Expect(ctx, t, "set")
	seen := false
	for v := range w {
		if seen = v.Value == -7; seen {
			break
		}
	}
	if !seen {
		t.Fatal("Go's Watch ended without Java's value -7")
	}
	if _, err := NewAtomicLong(c, longPath).Add(ctx, 1<<40); err != nil {
		t.Fatal(err)
	}
	java.Send(t, "get")
	for f := java.Next(ctx, t); ; f = java.Next(ctx, t) {
		if f[0] == "get" {
			if f[1] != "-7" || f[2] != strconv.FormatInt(1<<40, 10) {
				t.Fatalf("Curator reads count %s and long %s, want -7 and %d", f[1], f[2], int64(1<<40))
			}
			break
		}
	}
	stop()
	for range w {
	}
}
