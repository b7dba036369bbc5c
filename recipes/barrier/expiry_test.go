package barrier

import (
	"errors"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// Expiry while waiting in Enter, renewal on (the default). Expectation:
// Enter keeps waiting; the participant joins again on the Conn's new
// session (its old node gone, one node owned by the new session) and
// passes once the second participant arrives; both leave.
func TestExpiryDoubleBarrierWaitingInEnter(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	watch := zktest.Dial(t)
	ca := zktest.Dial(t)
	a := NewDoubleBarrier(ca, dir, 2)
	aErr := make(chan error, 1)
	go func() { aErr <- a.Enter(ctx) }()
	waitParticipants(t, watch, dir, 1)
	s1 := ca.Session()
	zktest.Expire(t, ca)
	for { // until a's only node is one of its new session
		kids, _, ch, err := watch.ChildrenW(ctx, dir)
		if errors.Is(err, client.ErrNoNode) { // the container was reaped
			var ok bool
			if ok, _, ch, err = watch.ExistsW(ctx, dir); ok {
				continue
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		if s := ca.Session(); len(kids) == 1 && s.Generation() > s1.Generation() {
			if err := watch.Sync(ctx, dir); err != nil {
				t.Fatal(err)
			}
			if ok, st, err := watch.Exists(ctx, dir+"/"+kids[0]); err == nil && ok && st.EphemeralOwner == s.ID() {
				break
			}
		}
		zktest.Wait(t, ch, 20*time.Second, "the participant to join again")
	}
	select {
	case err := <-aErr:
		t.Fatalf("Enter returned %v with one participant", err)
	default:
	}
	b := NewDoubleBarrier(zktest.Dial(t), dir, 2)
	if err := b.Enter(ctx); err != nil {
		t.Fatal(err)
	}
	if err := zktest.Wait(t, aErr, 20*time.Second, "a to pass Enter"); err != nil {
		t.Fatalf("Enter across expiry: %v", err)
	}
	for _, x := range []*DoubleBarrier{a, b} {
		go func() { aErr <- x.Leave(ctx) }()
	}
	for range 2 {
		if err := zktest.Wait(t, aErr, 20*time.Second, "Leave"); err != nil {
			t.Fatal(err)
		}
	}
}

// Expiry after Enter, renewal on. Expectation: Leave reports
// ErrSessionLost (the participation ended with the session's node), and
// the same participant can Enter again on the new session.
func TestExpiryDoubleBarrierEnteredThenEnterAgain(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	ca := zktest.Dial(t)
	a := NewDoubleBarrier(ca, dir, 1)
	if err := a.Enter(ctx); err != nil {
		t.Fatal(err)
	}
	s1 := ca.Session()
	zktest.Expire(t, ca)
	zktest.Wait(t, s1.Done(), 20*time.Second, "the Conn to see the expiry")
	if err := a.Leave(ctx); !errors.Is(err, ErrSessionLost) {
		t.Fatalf("Leave after expiry: %v, want ErrSessionLost", err)
	}
	if err := a.Enter(ctx); err != nil {
		t.Fatalf("Enter again on the new session: %v", err)
	}
	if err := a.Leave(ctx); err != nil {
		t.Fatal(err)
	}
}

// Expiry of a waiter and of the setter, renewal on. Expectation: the
// barrier is a persistent node, so nothing of it goes with a session:
// Wait keeps waiting across the waiter's expiry, Remove on the setter's
// renewed Conn lowers it, and the waiter passes.
func TestExpiryBarrierWaitAndRemove(t *testing.T) {
	ctx := zktest.Ctx(t)
	path := zktest.Root(t) + "/b"
	cs, cw := zktest.Dial(t), zktest.Dial(t)
	if err := New(cs, path).Set(ctx); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- New(cw, path).Wait(ctx) }()
	sw, ss := cw.Session(), cs.Session()
	zktest.Expire(t, cw)
	zktest.Expire(t, cs)
	zktest.Wait(t, sw.Done(), 20*time.Second, "the waiter's Conn to see the expiry")
	select {
	case err := <-waited:
		t.Fatalf("Wait returned %v while the barrier is raised", err)
	default:
	}
	if err := New(cs, path).Remove(ctx); err != nil {
		t.Fatalf("Remove after the setter's expiry: %v", err)
	}
	if cs.Session() == ss {
		t.Fatalf("Remove answered on the expired session %v", ss)
	}
	if err := zktest.Wait(t, waited, 20*time.Second, "Wait to return"); err != nil {
		t.Fatalf("Wait across expiry: %v", err)
	}
}

// Expiry of a waiter with renewal off. Expectation: Wait returns
// ErrSessionLost.
func TestExpiryBarrierWaitRenewalOff(t *testing.T) {
	ctx := zktest.Ctx(t)
	path := zktest.Root(t) + "/b"
	if err := New(zktest.Dial(t), path).Set(ctx); err != nil {
		t.Fatal(err)
	}
	cw := zktest.Dial(t, client.WithSessionRenewal(false))
	waited := make(chan error, 1)
	go func() { waited <- New(cw, path).Wait(ctx) }()
	zktest.Expire(t, cw)
	if err := zktest.Wait(t, waited, 20*time.Second, "Wait to return"); !errors.Is(err, ErrSessionLost) {
		t.Fatalf("Wait after expiry without renewal: %v, want ErrSessionLost", err)
	}
}
