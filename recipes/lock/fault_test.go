package lock

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// Fault: the holder's session expires. Expectation: Lost closes with a
// cause wrapping ErrLost, the waiter gets the lock with a greater token,
// and the old holder's Unlock reports success (its node went with the
// session).
func TestFaultMutexHolderSessionExpired(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	ca := zktest.Dial(t)
	a := NewMutex(ca, dir, WithSuspendGrace(time.Second))
	b := NewMutex(zktest.Dial(t), dir)
	if err := a.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	tokA := a.Token()
	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx) }()

	zktest.Expire(t, ca)
	zktest.Wait(t, a.Lost(), 20*time.Second, "Lost after the holder's session expired")
	if cause := context.Cause(a.Context()); !errors.Is(cause, ErrLost) {
		t.Fatalf("cause %v, want ErrLost", cause)
	}
	if err := zktest.Wait(t, got, 30*time.Second, "the waiter to get the lock"); err != nil {
		t.Fatal(err)
	}
	if b.Token() <= tokA {
		t.Fatalf("new holder's token %d not greater than the expired holder's %d", b.Token(), tokA)
	}
	if err := a.Unlock(ctx); err != nil {
		t.Fatalf("Unlock after expiry: %v", err)
	}
	if err := b.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// Fault: a waiter's session expires on a Conn without renewal.
// Expectation: Lock returns ErrSessionLost, it does not hold, and Lock on
// the finished Conn fails the same way instead of hanging.
func TestFaultMutexWaiterSessionExpiredRenewalOff(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	a := NewMutex(zktest.Dial(t), dir)
	cb := zktest.Dial(t, client.WithSessionRenewal(false))
	b := NewMutex(cb, dir)
	if err := a.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx) }()
	waitChildren(t, zktest.Dial(t), dir, 2)
	zktest.Expire(t, cb)
	if err := zktest.Wait(t, got, 20*time.Second, "Lock to fail"); !errors.Is(err, ErrSessionLost) {
		t.Fatalf("waiter's Lock after expiry: %v, want ErrSessionLost", err)
	}
	if b.Token() != 0 {
		t.Fatal("waiter holds after its session expired")
	}
	if err := b.Lock(ctx); !errors.Is(err, ErrSessionLost) {
		t.Fatalf("Lock on an expired session: %v, want ErrSessionLost", err)
	}
	if err := a.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// Fault: the server the holder is connected to (a follower of the
// ensemble) is killed. Expectation with a grace period: the client reconnects to another server within the grace,
// Lost stays open, the lock node (same token) is still the holder's and no
// one else gets the lock; without a grace period Lost closes at once.
func TestFaultMutexHolderServerKilled(t *testing.T) {
	servers := zktest.Ensemble(t)
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	ca, victim := zktest.DialFollowers(t, servers)
	a := NewMutex(ca, dir, WithSuspendGrace(zktest.SessionTimeout/3))
	strict := NewMutex(ca, zktest.Root(t)) // default grace: zero
	other := NewMutex(zktest.Dial(t), dir)
	if err := a.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := strict.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	tok := a.Token()
	states := ca.States(ctx)
	<-states // current
	victim.Kill(t)
	defer victim.Restart(t)
	for s := range states {
		if s.Connected() {
			break
		}
	}
	zktest.Wait(t, strict.Lost(), time.Second, "Lost of the zero-grace Mutex") // closed on Disconnected
	select {
	case <-a.Lost():
		t.Fatalf("Lost closed though the client reconnected within the grace: %v", context.Cause(a.Context()))
	default:
	}
	if ca.Server() == victim.Addr {
		t.Fatal("reconnected to the killed server")
	}
	_, st, err := ca.Get(ctx, a.Key())
	if err != nil || st.EphemeralOwner != ca.SessionID() || st.Czxid != tok {
		t.Fatalf("lock node after reconnect: %+v %v", st, err)
	}
	if err := other.TryLock(ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("TryLock by another session while held: %v, want ErrLocked", err)
	}
	if err := a.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := strict.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := other.TryLock(ctx); err != nil {
		t.Fatalf("TryLock after release: %v", err)
	}
	if err := other.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// Fault: the ensemble's leader is killed while contenders take turns.
// Expectation: mutual exclusion holds throughout (fencing tokens strictly
// increase, never two inside) and every contender finishes its rounds once
// a new leader is elected.
func TestFaultMutexLeaderKilled(t *testing.T) {
	servers := zktest.Ensemble(t)
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	const workers, rounds = 4, 8
	var f fence
	var wg sync.WaitGroup
	halfway := make(chan struct{})
	var once sync.Once
	conns := make([]*client.Conn, workers)
	for i := range conns {
		conns[i] = zktest.Dial(t)
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := NewMutex(conns[w], dir, WithSuspendGrace(zktest.SessionTimeout/3))
			for r := 0; r < rounds; {
				err := m.Lock(ctx)
				if client.IsRetryable(err) || errors.Is(err, client.ErrConnectionLoss) {
					continue
				}
				if err != nil {
					t.Errorf("worker %d: lock: %v", w, err)
					return
				}
				f.enter(t, m.Token())
				f.leave()
				if r == rounds/2 {
					once.Do(func() { close(halfway) })
				}
				if err := m.Unlock(ctx); err != nil {
					t.Errorf("worker %d: unlock: %v", w, err)
					return
				}
				r++
			}
		}()
	}
	<-halfway
	leader := zktest.Leader(t, servers)
	leader.Kill(t)
	wg.Wait()
	leader.Restart(t)
	if f.maxIn.Load() > 1 {
		t.Fatalf("%d holders inside at once", f.maxIn.Load())
	}
	if f.writes != workers*rounds {
		t.Fatalf("%d holdings, want %d", f.writes, workers*rounds)
	}
}

// Fault: a lease holder's session expires while the semaphore is full.
// Expectation: its lease reports Lost and the waiter gets a lease.
func TestFaultSemaphoreHolderSessionExpired(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	ca := zktest.Dial(t)
	l, err := NewSemaphore(ca, dir, 1).Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	var lb *Lease
	go func() {
		var err error
		lb, err = NewSemaphore(zktest.Dial(t), dir, 1).Acquire(ctx)
		got <- err
	}()
	waitChildren(t, zktest.Dial(t), dir, 2)
	zktest.Expire(t, ca)
	zktest.Wait(t, l.Lost(), 20*time.Second, "the expired lease's Lost")
	if err := zktest.Wait(t, got, 20*time.Second, "the waiter's lease"); err != nil {
		t.Fatal(err)
	}
	if lb.Token() <= l.Token() {
		t.Fatalf("new lease token %d not greater than %d", lb.Token(), l.Token())
	}
	if err := lb.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatalf("Release after expiry: %v", err)
	}
}

// Fault: a reader's session expires while a writer waits behind it.
// Expectation: the writer gets the lock.
func TestFaultRWMutexReaderSessionExpired(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	cr := zktest.Dial(t)
	r := NewRWMutex(cr, dir)
	if err := r.RLock(ctx); err != nil {
		t.Fatal(err)
	}
	w := NewRWMutex(zktest.Dial(t), dir)
	got := make(chan error, 1)
	go func() { got <- w.Lock(ctx) }()
	waitChildren(t, zktest.Dial(t), dir, 2)
	zktest.Expire(t, cr)
	if err := zktest.Wait(t, got, 20*time.Second, "the writer"); err != nil {
		t.Fatal(err)
	}
	<-r.Reader().Lost()
	if err := w.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}
