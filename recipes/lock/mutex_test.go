package lock

import (
	"context"
	"errors"
	"flag"
	"math/rand/v2"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
	"github.com/zabkit/zabkit/wire"
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

// fence is a resource guarded by fencing tokens, as Kleppmann describes: it
// rejects a write whose token is not greater than the last one accepted,
// and it counts how many holders are inside at once.
type fence struct {
	mu     sync.Mutex
	last   int64
	inside atomic.Int32
	maxIn  atomic.Int32
	writes int
}

func (f *fence) enter(t *testing.T, token int64) {
	if n := f.inside.Add(1); n > f.maxIn.Load() {
		f.maxIn.Store(n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if token <= f.last {
		t.Errorf("fencing token %d not greater than the last accepted %d: two holders", token, f.last)
	}
	f.last = token
	f.writes++
}

func (f *fence) leave() { f.inside.Add(-1) }

var protectedLock = regexp.MustCompile(`^_c_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-lock-[0-9]{10}$`)

func TestMutexCuratorLayoutAndToken(t *testing.T) {
	c := zktest.Dial(t)
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t) + "/a/b"
	m := NewMutex(c, dir)
	if m.Token() != 0 || m.Key() != "" {
		t.Fatalf("unheld Mutex: token %d key %q", m.Token(), m.Key())
	}
	if err := m.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	key := m.Key()
	name := key[len(dir)+1:]
	if !protectedLock.MatchString(name) {
		t.Fatalf("lock node %q does not have Curator's protected layout", name)
	}
	_, st, err := c.Get(ctx, key)
	if err != nil || st.EphemeralOwner != c.SessionID() || st.Czxid != m.Token() {
		t.Fatalf("lock node stat %+v (%v): want owner 0x%x, czxid %d", st, err, c.SessionID(), m.Token())
	}
	if err := m.Lock(ctx); !errors.Is(err, ErrHeld) {
		t.Fatalf("second Lock: %v, want ErrHeld", err)
	}
	select {
	case <-m.Lost():
		t.Fatal("Lost closed while held and connected")
	default:
	}
	if err := m.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := c.Exists(ctx, key); ok {
		t.Fatalf("lock node %s still exists after Unlock", key)
	}
	<-m.Lost()
	if cause := context.Cause(m.Context()); !errors.Is(cause, ErrNotHeld) {
		t.Fatalf("Context cause after Unlock: %v", cause)
	}
	if err := m.Unlock(ctx); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Unlock twice: %v, want ErrNotHeld", err)
	}
	// A second holding gets a greater token.
	first := st.Czxid
	if err := m.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if m.Token() <= first {
		t.Fatalf("second holding token %d, not greater than %d", m.Token(), first)
	}
	if err := m.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	// The directory is a container: the server reaps it once empty.
	ok, _, ch, err := c.ExistsW(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		if ev := zktest.Wait(t, ch, 30*time.Second, "the empty lock directory to be reaped"); ev.Type != client.EventNodeDeleted {
			t.Fatalf("event on the lock directory: %+v, want NodeDeleted", ev)
		}
	}
}

func TestMutexTryLockAndGiveUpLeaveNoNode(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	a := NewMutex(zktest.Dial(t), dir)
	cb := zktest.Dial(t)
	b := NewMutex(cb, dir)
	if err := a.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.TryLock(ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("TryLock while held elsewhere: %v, want ErrLocked", err)
	}
	wctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- b.Lock(wctx) }()
	waitChildren(t, cb, dir, 2) // b is queued
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock with cancelled ctx: %v", err)
	}
	waitChildren(t, cb, dir, 1) // b's node is gone, only a's is left
	// After a releases, a new contender gets the lock at once: nothing
	// abandoned blocks the queue.
	if err := a.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.TryLock(ctx); err != nil {
		t.Fatalf("TryLock on a free lock: %v", err)
	}
	if err := b.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// waitChildren waits, through child watches, until dir has n children.
func waitChildren(t *testing.T, c *client.Conn, dir string, n int) {
	t.Helper()
	ctx := zktest.Ctx(t)
	for {
		kids, _, ch, err := c.ChildrenW(ctx, dir)
		if err != nil {
			t.Fatalf("children %s: %v", dir, err)
		}
		if len(kids) == n {
			return
		}
		zktest.Wait(t, ch, 20*time.Second, "a change of "+dir)
	}
}

func TestMutexExclusionManyContenders(t *testing.T) {
	seed := testSeed(t)
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	const workers, rounds = 5, 6
	var f fence
	var wg sync.WaitGroup
	for w := range workers {
		c := zktest.Dial(t)
		r := rand.New(rand.NewPCG(seed, uint64(w)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := NewMutex(c, dir)
			for range rounds {
				var err error
				if r.IntN(3) == 0 {
					if err = m.TryLock(ctx); errors.Is(err, ErrLocked) {
						continue
					}
				} else {
					err = m.Lock(ctx)
				}
				if err != nil {
					t.Errorf("worker %d: lock: %v", w, err)
					return
				}
				f.enter(t, m.Token())
				f.leave()
				if err := m.Unlock(ctx); err != nil {
					t.Errorf("worker %d: unlock: %v", w, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if f.maxIn.Load() > 1 {
		t.Fatalf("%d holders inside at once", f.maxIn.Load())
	}
	if f.writes < workers {
		t.Fatalf("only %d holdings", f.writes)
	}
}

func TestMutexWaiterWatchesOnlyPredecessor(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	const n = 4
	ms := make([]*Mutex, n)
	conns := make([]*client.Conn, n)
	for i := range ms {
		conns[i] = zktest.Dial(t)
		ms[i] = NewMutex(conns[i], dir)
	}
	if err := ms[0].Lock(ctx); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, n)
	for i := 1; i < n; i++ {
		go func() { errs <- ms[i].Lock(ctx) }()
		waitChildren(t, conns[0], dir, i+1) // queue in a known order
	}
	// Release in queue order; each release must wake exactly the next one.
	for i := 0; i < n; i++ {
		if i > 0 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		held := 0
		for _, m := range ms {
			if m.Key() != "" {
				held++
			}
		}
		if held != 1 || ms[i].Key() == "" {
			t.Fatalf("after %d releases: %d holders, want ms[%d] alone", i, held, i)
		}
		if err := ms[i].Unlock(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// Fault: the reply to the lock node's create is lost (the connection
// breaks right after the request is written). Expectation: the client
// finds its node again by the protected uuid instead of creating a second
// one, so no orphan node is left to block the queue.
func TestFaultMutexCreateReplyLost(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	cut := ensembletest.Link(t, zktest.Servers(t))
	c := zktest.DialTo(t, cut.Servers())
	other := zktest.Dial(t)
	m := NewMutex(c, dir)
	// Create the directory first, so that the cut hits the lock node's
	// create and not a parent's.
	if _, _, err := c.Create(ctx, dir, nil, client.ModeContainer, nil, client.WithParentContainers()); err != nil {
		t.Fatal(err)
	}
	cut.CutAfter(int32(wire.OpCreate2))
	if err := m.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if cut.Cuts() != 1 {
		t.Fatalf("%d connections cut, want 1", cut.Cuts())
	}
	if err := other.Sync(ctx, dir); err != nil { // other may sit on a server behind c's
		t.Fatal(err)
	}
	kids, st, err := other.Children(ctx, dir)
	if err != nil || len(kids) != 1 || dir+"/"+kids[0] != m.Key() {
		t.Fatalf("children %v (%v), want only %s", kids, err, m.Key())
	}
	t.Logf("lock node %s, directory cversion %d", kids[0], st.Cversion)
	if err := m.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}
