package lock

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/curatortest"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// The interop tests run Apache Curator's locks (testdata/curator/Locks.java)
// beside the Go locks on the same path at the same time, through
// curatortest (skipped without Java and Curator's jars).

// A Java InterProcessMutex and a Go Mutex on one directory hand the lock
// over both ways. Expectation: while Java holds, TryLock returns ErrLocked
// and a waiting Lock returns only after Java released (it never finds
// Java's marker); while Go holds, Java's tryAcquire fails and its waiting
// acquire returns only after Unlock.
func TestCuratorMutexHandOver(t *testing.T) {
	j := curatortest.New(t)
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t)
	dir, marker := root+"/lock", root+"/inside"
	java := j.Start(t, "Locks", "hold", zktest.Servers(t), dir, marker)
	java.Expect(ctx, t, "ready")
	command := func(cmd, want string) {
		t.Helper()
		java.Send(t, cmd)
		if f := java.Next(ctx, t); f[0] != want {
			t.Fatalf("Java %q: %q, want %s", cmd, f, want)
		}
	}

	command("lock mutex", "held")
	m := NewMutex(c, dir)
	if err := m.TryLock(ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("TryLock while Java holds: %v, want ErrLocked", err)
	}
	locked := make(chan error, 1)
	go func() { locked <- m.Lock(ctx) }()
	awaitContenders(ctx, t, c, dir, 2)
	command("unlock", "released")
	if err := <-locked; err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Create(ctx, marker, nil, client.ModeEphemeral, nil); err != nil {
		t.Fatalf("Go holder's marker after Java released: %v (Java still inside?)", err)
	}

	command("try mutex", "busy")
	java.Send(t, "lock mutex")
	awaitContenders(ctx, t, c, dir, 2)
	if err := c.Delete(ctx, marker, client.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if err := m.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if f := java.Next(ctx, t); f[0] != "held" {
		t.Fatalf("Java's waiting acquire after Go's Unlock: %q, want held", f)
	}
	command("unlock", "released")
}

// A Java InterProcessReadWriteLock and a Go RWMutex on one directory.
// Expectation: a Java writer excludes Go readers and writers; a Java
// reader shares with Go readers and excludes Go writers; and the reverse
// for Java's tryAcquire while Go holds.
func TestCuratorRWMutexExclusion(t *testing.T) {
	j := curatortest.New(t)
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t)
	dir := root + "/rw"
	java := j.Start(t, "Locks", "hold", zktest.Servers(t), dir, root+"/marker")
	java.Expect(ctx, t, "ready")
	command := func(cmd, want string) {
		t.Helper()
		java.Send(t, cmd)
		if f := java.Next(ctx, t); f[0] != want {
			t.Fatalf("Java %q: %q, want %s", cmd, f, want)
		}
	}
	rw := NewRWMutex(c, dir)

	command("lock write", "held")
	if err := rw.TryRLock(ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("TryRLock while a Java writer holds: %v, want ErrLocked", err)
	}
	if err := rw.TryLock(ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("TryLock while a Java writer holds: %v, want ErrLocked", err)
	}
	command("unlock", "released")

	command("lock read", "held")
	if err := rw.TryLock(ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("TryLock while a Java reader holds: %v, want ErrLocked", err)
	}
	if err := rw.TryRLock(ctx); err != nil {
		t.Fatalf("TryRLock while a Java reader holds: %v, want to share", err)
	}
	if err := rw.RUnlock(ctx); err != nil {
		t.Fatal(err)
	}
	command("unlock", "released")

	if err := rw.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	command("try read", "busy")
	command("try write", "busy")
	if err := rw.Unlock(ctx); err != nil {
		t.Fatal(err)
	}

	if err := rw.RLock(ctx); err != nil {
		t.Fatal(err)
	}
	command("try write", "busy")
	command("try read", "held")
	command("unlock", "released")
	if err := rw.RUnlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// awaitContenders waits until dir has n children (contenders' nodes).
func awaitContenders(ctx context.Context, t *testing.T, c *client.Conn, dir string, n int) {
	t.Helper()
	for {
		kids, _, ev, err := c.ChildrenW(ctx, dir)
		if err != nil && !errors.Is(err, client.ErrNoNode) {
			t.Fatal(err)
		}
		if len(kids) >= n {
			return
		}
		if errors.Is(err, client.ErrNoNode) {
			var ok bool
			if ok, _, ev, err = c.ExistsW(ctx, dir); err != nil {
				t.Fatal(err)
			} else if ok {
				continue // created meanwhile
			}
		}
		select {
		case <-ev:
		case <-ctx.Done():
			t.Fatalf("waiting for %d contenders in %s: %v", n, dir, ctx.Err())
		}
	}
}

// Go and Java contenders take one lock (Mutex and InterProcessMutex on
// the same directory), each holder incrementing a counter read-modify-write
// without a version and holding an ephemeral marker while inside.
// Expectation: no holder ever finds the marker of another, and the counter
// ends exactly at the number of holdings.
func TestCuratorMutexInterop(t *testing.T) {
	j := curatortest.New(t)
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t)
	counter, marker, dir := root+"/counter", root+"/inside", root+"/lock"
	if err := zktest.CreateAll(ctx, c, counter, []byte("0")); err != nil {
		t.Fatal(err)
	}
	const javaN, goN, goContenders = 30, 15, 2
	java := j.Start(t, "Locks", "mutex", zktest.Servers(t), dir, counter, marker, strconv.Itoa(javaN))
	java.Expect(ctx, t, "ready")

	var wg sync.WaitGroup
	start := make(chan struct{})
	for range goContenders {
		gc := zktest.Dial(t)
		m := NewMutex(gc, dir)
		wg.Go(func() {
			<-start
			for range goN {
				if err := m.Lock(ctx); err != nil {
					t.Errorf("Lock: %v", err)
					return
				}
				if err := incrementInside(ctx, gc, counter, marker); err != nil {
					t.Error(err)
				}
				if err := m.Unlock(ctx); err != nil {
					t.Errorf("Unlock: %v", err)
					return
				}
			}
		})
	}
	java.Send(t, "go")
	close(start)
	for f := java.Next(ctx, t); f[0] != "done"; f = java.Next(ctx, t) {
		t.Errorf("Java holder: %q", f)
	}
	wg.Wait()
	if err := java.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(ctx, counter); err != nil { // read what the others wrote
		t.Fatal(err)
	}
	b, _, err := c.Get(ctx, counter)
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(javaN + goN*goContenders); string(b) != want {
		t.Fatalf("counter %s after %s holdings (Java %d, Go %dx%d): increments were lost, two holders at once", b, want, javaN, goContenders, goN)
	}
}

// incrementInside is one holder's work: marker created (it must not
// exist), counter read and written back plus one without a version,
// marker deleted.
func incrementInside(ctx context.Context, c *client.Conn, counter, marker string) error {
	if _, _, err := c.Create(ctx, marker, nil, client.ModeEphemeral, nil); errors.Is(err, client.ErrNodeExists) {
		return errors.New("Go holder found another holder's marker: two holders at once")
	} else if err != nil {
		return err
	}
	b, _, err := c.Get(ctx, counter)
	if err != nil {
		return err
	}
	v, err := strconv.Atoi(string(b))
	if err != nil {
		return err
	}
	if _, err := c.Set(ctx, counter, []byte(strconv.Itoa(v+1)), client.AnyVersion); err != nil {
		return err
	}
	return c.Delete(ctx, marker, client.AnyVersion)
}

// Go RWMutexes and a Java InterProcessReadWriteLock share one lock, each
// taking the read or the write lock at random, and every holder enters and
// leaves a shared state node ("W" while a writer is inside, else the
// number of readers) by compare-and-set. Expectation: no writer ever finds
// anyone inside, no reader a writer, and both sides hold both kinds.
func TestCuratorRWMutexInterop(t *testing.T) {
	j := curatortest.New(t)
	seed := testSeed(t)
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t)
	state, dir := root+"/state", root+"/rw"
	if err := zktest.CreateAll(ctx, c, state, []byte("0")); err != nil {
		t.Fatal(err)
	}
	const javaN, goN, goContenders = 30, 15, 2
	java := j.Start(t, "Locks", "rw", zktest.Servers(t), dir, state, strconv.Itoa(javaN), strconv.FormatUint(seed, 10))
	java.Expect(ctx, t, "ready")

	var wg sync.WaitGroup
	start := make(chan struct{})
	var mu sync.Mutex
	goReads, goWrites := 0, 0
	for i := range goContenders {
		gc := zktest.Dial(t)
		rw := NewRWMutex(gc, dir)
		rnd := rand.New(rand.NewPCG(seed, uint64(i)))
		wg.Go(func() {
			<-start
			for range goN {
				write := rnd.IntN(3) == 0
				m := rw.Reader()
				if write {
					m = rw.Writer()
				}
				if err := m.Lock(ctx); err != nil {
					t.Errorf("Lock: %v", err)
					return
				}
				for _, enter := range []bool{true, false} {
					if err := changeState(ctx, gc, state, write, enter); err != nil {
						t.Errorf("Go holder: %v", err)
					}
				}
				if err := m.Unlock(ctx); err != nil {
					t.Errorf("Unlock: %v", err)
					return
				}
				mu.Lock()
				if write {
					goWrites++
				} else {
					goReads++
				}
				mu.Unlock()
			}
		})
	}
	java.Send(t, "go")
	close(start)
	f := java.Next(ctx, t)
	for ; f[0] != "done"; f = java.Next(ctx, t) {
		t.Errorf("Java holder: %q", f)
	}
	wg.Wait()
	t.Logf("Java held %s read and %s write locks, Go %d and %d", f[1], f[2], goReads, goWrites)
	if f[1] == "0" || f[2] == "0" || goReads == 0 || goWrites == 0 {
		t.Errorf("a side held only one kind of lock; rerun with another seed")
	}
}

// changeState is the Go twin of Locks.java's change: enter or leave state
// by compare-and-set; a violation counts only once the compare-and-set
// succeeded (proving the read was not stale).
func changeState(ctx context.Context, c *client.Conn, state string, write, enter bool) error {
	for {
		b, st, err := c.Get(ctx, state)
		if err != nil {
			return err
		}
		s, next, overlap := string(b), "", ""
		switch {
		case write:
			if enter && s != "0" {
				overlap = "writer entered state " + s
			}
			next = map[bool]string{true: "W", false: "0"}[enter]
		case s == "W":
			overlap, next = fmt.Sprintf("reader (enter %v) found state W", enter), s
		default:
			n, err := strconv.Atoi(s)
			if err != nil {
				return err
			}
			if enter {
				n++
			} else {
				n--
			}
			next = strconv.Itoa(n)
		}
		if _, err := c.Set(ctx, state, []byte(next), st.Version); errors.Is(err, client.ErrBadVersion) {
			continue
		} else if err != nil {
			return err
		}
		if overlap != "" {
			return errors.New("overlap: " + overlap)
		}
		return nil
	}
}
