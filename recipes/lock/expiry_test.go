package lock

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// ownerOf returns the ephemeralOwner of path as seen by c after a sync
// (0 when the node does not exist).
func ownerOf(t *testing.T, c *client.Conn, path string) int64 {
	t.Helper()
	ctx := zktest.Ctx(t)
	if err := c.Sync(ctx, path); err != nil {
		t.Fatalf("sync %s: %v", path, err)
	}
	ok, st, err := c.Exists(ctx, path)
	if err != nil {
		t.Fatalf("exists %s: %v", path, err)
	}
	if !ok {
		return 0
	}
	return st.EphemeralOwner
}

// holder is one kind of lock, seen as the same object locked twice.
type holder struct {
	lock   func(ctx context.Context) error
	unlock func(ctx context.Context) error
	held   func() (token int64, key string, lost context.Context)
}

func holders(c *client.Conn, dir string) map[string]holder {
	m := NewMutex(c, dir+"/mutex")
	rw := NewRWMutex(c, dir+"/rw")
	rr := NewRWMutex(c, dir+"/rr")
	sem := NewSemaphore(c, dir+"/sem", 2)
	var lease *Lease
	half := func(h *Mutex) func() (int64, string, context.Context) {
		return func() (int64, string, context.Context) { return h.Token(), h.Key(), h.Context() }
	}
	return map[string]holder{
		"Mutex":         {m.Lock, m.Unlock, half(m)},
		"RWMutex.Lock":  {rw.Lock, rw.Unlock, half(rw.Writer())},
		"RWMutex.RLock": {rr.RLock, rr.RUnlock, half(rr.Reader())},
		"Semaphore": {
			func(ctx context.Context) (err error) { lease, err = sem.Acquire(ctx); return err },
			func(ctx context.Context) error { return lease.Release(ctx) },
			func() (int64, string, context.Context) { return lease.Token(), lease.m.Key(), lease.Context() },
		},
	}
}

// Expiry while holding, renewal on (the default). Expectation: the
// holding ends (Context's cause wraps ErrLost); Unlock succeeds and Lock on
// the same object takes the lock again on the Conn's new session, with a greater token
// and a node owned by the new session; the old node is gone.
func TestExpiryWhileHolding(t *testing.T) {
	for name := range holders(nil, "/x") {
		t.Run(name, func(t *testing.T) {
			ctx := zktest.Ctx(t)
			dir := zktest.Root(t)
			c, watcher := zktest.Dial(t), zktest.Dial(t)
			h := holders(c, dir)[name]
			if err := h.lock(ctx); err != nil {
				t.Fatal(err)
			}
			s1 := c.Session()
			tok1, key1, held := h.held()
			zktest.Expire(t, c)
			zktest.Wait(t, held.Done(), 20*time.Second, "the holding to end")
			if cause := context.Cause(held); !errors.Is(cause, ErrLost) {
				t.Fatalf("cause %v, want ErrLost", cause)
			}
			// As after any loss: stop acting as owner, Unlock, lock again.
			if err := h.unlock(ctx); err != nil {
				t.Fatalf("unlock after expiry: %v", err)
			}
			if err := h.lock(ctx); err != nil {
				t.Fatalf("lock again after expiry: %v", err)
			}
			tok2, key2, held2 := h.held()
			s2 := c.Session()
			if s2.Generation() <= s1.Generation() || s2.ID() == s1.ID() {
				t.Fatalf("locked again on session %v, the expired one was %v", s2, s1)
			}
			if tok2 <= tok1 {
				t.Fatalf("token after expiry %d not greater than %d", tok2, tok1)
			}
			if o := ownerOf(t, watcher, key2); o != s2.ID() {
				t.Fatalf("new holding's node %s owned by 0x%x, want the new session %v", key2, o, s2)
			}
			if o := ownerOf(t, watcher, key1); o != 0 {
				t.Fatalf("expired holding's node %s still exists (owner 0x%x)", key1, o)
			}
			if held2.Err() != nil {
				t.Fatalf("new holding already ended: %v", context.Cause(held2))
			}
			if err := h.unlock(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Expiry while waiting, renewal on. Expectation: Lock keeps waiting; the
// waiter re-enters the queue on the new session (its old node gone, a new
// one owned by the new session) and gets the lock when the holder
// unlocks, with a greater token.
func TestExpiryWhileWaiting(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	a := NewMutex(zktest.Dial(t), dir)
	cb, watcher := zktest.Dial(t), zktest.Dial(t)
	b := NewMutex(cb, dir)
	if err := a.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx) }()
	waitChildren(t, watcher, dir, 2)
	s1 := cb.Session()
	zktest.Expire(t, cb)
	zktest.Wait(t, s1.Done(), 20*time.Second, "the waiter's Conn to see the expiry")
	for { // until b's new node is queued: two nodes, one of the new session
		kids, _, ch, err := watcher.ChildrenW(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		s2 := cb.Session()
		requeued := false
		for _, k := range kids {
			if o := ownerOf(t, watcher, dir+"/"+k); o == s1.ID() {
				requeued = false
				break
			} else if o == s2.ID() && s2 != s1 {
				requeued = true
			}
		}
		if requeued && len(kids) == 2 {
			break
		}
		select {
		case err := <-got:
			t.Fatalf("waiter's Lock returned %v while the lock is held", err)
		default:
		}
		zktest.Wait(t, ch, 20*time.Second, "the waiter to queue again")
	}
	tokA := a.Token()
	if err := a.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := zktest.Wait(t, got, 20*time.Second, "the waiter to get the lock"); err != nil {
		t.Fatalf("waiter's Lock across expiry: %v", err)
	}
	if b.Token() <= tokA {
		t.Fatalf("waiter's token %d not greater than %d", b.Token(), tokA)
	}
	if o := ownerOf(t, watcher, b.Key()); o != cb.Session().ID() || cb.Session().Generation() < 2 {
		t.Fatalf("waiter holds %s owned by 0x%x, want its new session %v", b.Key(), o, cb.Session())
	}
	if err := b.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// Expiry while idle, renewal on. Expectation: a Mutex made on the first
// session locks on the next one.
func TestExpiryWhileIdle(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	c, watcher := zktest.Dial(t), zktest.Dial(t)
	m := NewMutex(c, dir)
	s1 := c.Session()
	zktest.Expire(t, c)
	if err := m.Lock(ctx); err != nil {
		t.Fatalf("Lock after expiry: %v", err)
	}
	s2 := c.Session()
	if s2.Generation() <= s1.Generation() {
		t.Fatalf("locked on session %v, the expired one was %v", s2, s1)
	}
	if o := ownerOf(t, watcher, m.Key()); o != s2.ID() {
		t.Fatalf("node %s owned by 0x%x, want %v", m.Key(), o, s2)
	}
	if err := m.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// Expiry while holding, renewal off. Expectation: the holding ends with
// ErrLost, Unlock succeeds (the node went with the session) and Lock
// fails with ErrSessionLost, as the Conn is finished.
func TestExpiryWhileHoldingRenewalOff(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	c := zktest.Dial(t, client.WithSessionRenewal(false))
	m := NewMutex(c, dir)
	if err := m.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	zktest.Expire(t, c)
	zktest.Wait(t, m.Lost(), 20*time.Second, "the holding to end")
	if cause := context.Cause(m.Context()); !errors.Is(cause, ErrLost) {
		t.Fatalf("cause %v, want ErrLost", cause)
	}
	if err := m.Unlock(ctx); err != nil {
		t.Fatalf("Unlock after expiry: %v", err)
	}
	if err := m.Lock(ctx); !errors.Is(err, ErrSessionLost) {
		t.Fatalf("Lock on a Conn whose session expired without renewal: %v, want ErrSessionLost", err)
	}
}
