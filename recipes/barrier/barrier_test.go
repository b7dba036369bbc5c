package barrier

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

func TestBarrierHoldsUntilRemoved(t *testing.T) {
	ctx := zktest.Ctx(t)
	path := zktest.Root(t) + "/b"
	b := New(zktest.Dial(t), path)
	if err := b.Wait(ctx); err != nil {
		t.Fatalf("Wait on a lowered barrier: %v", err)
	}
	if err := b.Set(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx); err != nil {
		t.Fatalf("Set twice: %v", err)
	}
	const waiters = 3
	var passed atomic.Int32
	var removed atomic.Bool
	errs := make(chan error, waiters)
	for range waiters {
		w := New(zktest.Dial(t), path)
		go func() {
			err := w.Wait(ctx)
			if err == nil && !removed.Load() {
				err = errors.New("passed a raised barrier")
			}
			passed.Add(1)
			errs <- err
		}()
	}
	// A waiter with a short ctx gives up while the barrier is raised.
	sctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	if err := b.Wait(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait with an ending ctx: %v", err)
	}
	cancel()
	removed.Store(true)
	if err := b.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	for range waiters {
		if err := zktest.Wait(t, errs, 20*time.Second, "waiters to pass"); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Remove(ctx); err != nil {
		t.Fatalf("Remove twice: %v", err)
	}
}

// runParticipants runs n participants (plus extra that start later) through
// Enter, then Leave, and checks that no one passes Enter before all n have
// arrived nor Leave before all have started leaving.
func TestDoubleBarrierSynchronises(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	const n = 4
	var arrived, leaving atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		b := NewDoubleBarrier(zktest.Dial(t), dir, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			arrived.Add(1)
			if err := b.Enter(ctx); err != nil {
				t.Errorf("participant %d: Enter: %v", i, err)
				return
			}
			if a := arrived.Load(); a != n {
				t.Errorf("participant %d passed Enter with %d of %d arrived", i, a, n)
			}
			leaving.Add(1)
			if err := b.Leave(ctx); err != nil {
				t.Errorf("participant %d: Leave: %v", i, err)
				return
			}
			if l := leaving.Load(); l != n {
				t.Errorf("participant %d passed Leave with %d of %d leaving", i, l, n)
			}
		}()
	}
	wg.Wait()
	c := zktest.Dial(t)
	if kids, _, err := c.Children(ctx, dir); err == nil && len(kids) != 0 {
		t.Fatalf("nodes left behind: %v", kids)
	}
}

func TestDoubleBarrierEnterCancelledRemovesParticipant(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	c := zktest.Dial(t)
	b := NewDoubleBarrier(c, dir, 2)
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Enter(cctx) }()
	waitParticipants(t, c, dir, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Enter: %v", err)
	}
	waitParticipants(t, c, dir, 0)
	if err := b.Leave(ctx); !errors.Is(err, ErrNotEntered) {
		t.Fatalf("Leave without Enter: %v", err)
	}
}

func waitParticipants(t *testing.T, c *client.Conn, dir string, n int) {
	t.Helper()
	waitParticipantsFunc(t, c, dir, func(cnt int) bool { return cnt == n })
}

func waitParticipantsFunc(t *testing.T, c *client.Conn, dir string, done func(int) bool) {
	t.Helper()
	ctx := zktest.Ctx(t)
	for {
		kids, _, ch, err := c.ChildrenW(ctx, dir)
		if errors.Is(err, client.ErrNoNode) && done(0) {
			return
		}
		if err != nil {
			var ok bool
			ok, _, ch, err = c.ExistsW(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				continue
			}
		}
		cnt := 0
		for _, k := range kids {
			if k != readyNode {
				cnt++
			}
		}
		if err == nil && done(cnt) {
			return
		}
		zktest.Wait(t, ch, 20*time.Second, "participants to change")
	}
}

// Fault: a participant's session expires while the others wait in Leave.
// Expectation: its ephemeral node goes, so the others pass Leave instead of
// waiting forever, and the crashed one's Leave reports ErrSessionLost
// (its Conn renews the session, but the participation is over).
func TestFaultDoubleBarrierParticipantExpiresInLeave(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	const n = 3
	conns := make([]*client.Conn, n)
	bs := make([]*DoubleBarrier, n)
	for i := range bs {
		conns[i] = zktest.Dial(t)
		bs[i] = NewDoubleBarrier(conns[i], dir, n)
	}
	var wg sync.WaitGroup
	for i := range bs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := bs[i].Enter(ctx); err != nil {
				t.Errorf("Enter %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	// Everyone but the crashing participant leaves.
	crash := 1
	left := make(chan error, n)
	for i := range bs {
		if i != crash {
			go func() { left <- bs[i].Leave(ctx) }()
		}
	}
	// Wait until a non-lowest leaver deleted its node (one or both of them,
	// depending on where the crashing participant sorts).
	waitParticipantsFunc(t, zktest.Dial(t), dir, func(n int) bool { return n < 3 })
	zktest.Expire(t, conns[crash])
	for range n - 1 {
		if err := zktest.Wait(t, left, 30*time.Second, "the others to pass Leave"); err != nil {
			t.Fatal(err)
		}
	}
	if err := bs[crash].Leave(ctx); !errors.Is(err, ErrSessionLost) {
		t.Fatalf("Leave of the expired participant: %v, want ErrSessionLost", err)
	}
}

// Fault: a participant's session expires before the barrier fills, on a
// Conn without renewal. Expectation: Enter fails with ErrSessionLost, the
// participant no longer counts, and the barrier opens only when n live
// participants are present.
func TestFaultDoubleBarrierParticipantExpiresInEnterRenewalOff(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	watch := zktest.Dial(t)
	ca := zktest.Dial(t, client.WithSessionRenewal(false))
	a := NewDoubleBarrier(ca, dir, 2)
	aErr := make(chan error, 1)
	go func() { aErr <- a.Enter(ctx) }()
	waitParticipants(t, watch, dir, 1)
	zktest.Expire(t, ca)
	if err := zktest.Wait(t, aErr, 20*time.Second, "the expired Enter"); !errors.Is(err, ErrSessionLost) {
		t.Fatalf("Enter after expiry: %v, want ErrSessionLost", err)
	}
	waitParticipants(t, watch, dir, 0)
	b := NewDoubleBarrier(zktest.Dial(t), dir, 2)
	c := NewDoubleBarrier(zktest.Dial(t), dir, 2)
	bErr := make(chan error, 1)
	go func() { bErr <- b.Enter(ctx) }()
	waitParticipants(t, watch, dir, 1)
	select {
	case err := <-bErr:
		t.Fatalf("Enter passed with one live participant: %v", err)
	default:
	}
	if err := c.Enter(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-bErr; err != nil {
		t.Fatal(err)
	}
	for _, x := range []*DoubleBarrier{b, c} {
		go func() { bErr <- x.Leave(ctx) }()
	}
	for range 2 {
		if err := <-bErr; err != nil {
			t.Fatal(err)
		}
	}
}

// Fault: a waiting participant's server is killed. Expectation: the client
// reconnects and keeps waiting (no spurious passage on the reconnect); it
// passes once the last participant arrives.
func TestFaultDoubleBarrierServerKilledWhileWaiting(t *testing.T) {
	servers := zktest.Ensemble(t)
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	watch := zktest.Dial(t)
	ca := zktest.Dial(t)
	a := NewDoubleBarrier(ca, dir, 2)
	aErr := make(chan error, 1)
	go func() { aErr <- a.Enter(ctx) }()
	waitParticipants(t, watch, dir, 1)
	states := ca.States(ctx)
	<-states
	victim := zktest.ByAddr(t, servers, ca.Server())
	victim.Kill(t)
	defer victim.Restart(t)
	for s := range states {
		if s.Connected() {
			break
		}
	}
	// After the reconnect a is still alone and must still be waiting.
	if ok, _, err := watch.Exists(ctx, dir+"/"+readyNode); err != nil || ok {
		t.Fatalf("ready node after the reconnect: %v %v", ok, err)
	}
	select {
	case err := <-aErr:
		t.Fatalf("Enter passed with one participant after a reconnect: %v", err)
	default:
	}
	c := NewDoubleBarrier(zktest.Dial(t), dir, 2)
	if err := c.Enter(ctx); err != nil {
		t.Fatal(err)
	}
	if err := zktest.Wait(t, aErr, 20*time.Second, "a to pass Enter"); err != nil {
		t.Fatal(err)
	}
	for _, x := range []*DoubleBarrier{a, c} {
		go func() { aErr <- x.Leave(ctx) }()
	}
	for range 2 {
		if err := <-aErr; err != nil {
			t.Fatal(err)
		}
	}
}
