package election

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// Fault: the leader's session expires while it runs, on a Conn without
// renewal. Expectation: its fn's context is cancelled with a cause wrapping
// ErrLost, its Run returns ErrSessionLost, and the other candidate leads
// next with a greater token.
func TestFaultRunLeaderSessionExpiredRenewalOff(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	ca := zktest.Dial(t, client.WithSessionRenewal(false))
	a := New(ca, dir)
	b := New(zktest.Dial(t), dir)
	aLeads := make(chan context.Context, 1)
	aDone := make(chan error, 1)
	go func() {
		aDone <- a.Run(ctx, "a", func(lctx context.Context) error {
			aLeads <- lctx
			<-lctx.Done()
			return lctx.Err()
		})
	}()
	lctx := zktest.Wait(t, aLeads, 10*time.Second, "a to lead")
	tokA := a.Token()
	bLeads := make(chan int64, 1)
	bctx, stopB := context.WithCancel(ctx)
	bDone := make(chan error, 1)
	go func() {
		bDone <- b.Run(bctx, "b", func(l context.Context) error {
			bLeads <- b.Token()
			<-l.Done()
			return nil
		})
	}()
	waitCandidates(t, dir, 2)
	zktest.Expire(t, ca)
	<-lctx.Done()
	if cause := context.Cause(lctx); !errors.Is(cause, ErrLost) {
		t.Fatalf("leader's fn context cause %v, want ErrLost", cause)
	}
	if err := zktest.Wait(t, aDone, 10*time.Second, "a's Run to return"); !errors.Is(err, ErrSessionLost) {
		t.Fatalf("Run after expiry: %v, want ErrSessionLost", err)
	}
	if tokB := zktest.Wait(t, bLeads, 30*time.Second, "b to lead"); tokB <= tokA {
		t.Fatalf("b's token %d not greater than a's %d", tokB, tokA)
	}
	stopB()
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
}

// Fault: the leader's own server (a follower of the ensemble) is killed.
// Expectation with a grace period: the client reconnects elsewhere,
// leadership stays (same token, Lost open) and no other candidate leads.
func TestFaultLeaderServerKilled(t *testing.T) {
	servers := zktest.Ensemble(t)
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	ca, victim := zktest.DialFollowers(t, servers)
	a := New(ca, dir, WithSuspendGrace(zktest.SessionTimeout/3))
	if err := a.Campaign(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	b := New(zktest.Dial(t), dir)
	bctx, stopB := context.WithCancel(ctx)
	bDone := make(chan error, 1)
	go func() { bDone <- b.Campaign(bctx, "b") }()
	waitCandidates(t, dir, 2)
	tok := a.Token()
	states := ca.States(ctx)
	<-states
	victim.Kill(t)
	defer victim.Restart(t)
	for s := range states {
		if s.Connected() {
			break
		}
	}
	if v, err := b.Leader(ctx); err != nil || v != "a" {
		t.Fatalf("Leader after the kill = %q %v, want a", v, err)
	}
	select {
	case <-a.Lost():
		t.Fatalf("leadership lost though reconnected within the grace: %v", context.Cause(a.Context()))
	case err := <-bDone:
		t.Fatalf("b's campaign ended while a leads: %v", err)
	default:
	}
	if a.Token() != tok {
		t.Fatal("token changed")
	}
	stopB()
	if err := <-bDone; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if err := a.Resign(ctx); err != nil {
		t.Fatal(err)
	}
}

// Fault: the ensemble's leader is killed while candidates take turns.
// Expectation: terms keep increasing tokens and rotation resumes once a
// new ZooKeeper leader is elected.
func TestFaultRunZooKeeperLeaderKilled(t *testing.T) {
	servers := zktest.Ensemble(t)
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	const candidates, terms = 3, 12
	f := fence{loose: true}
	rctx, stop := context.WithCancel(ctx)
	halfway := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for i := range candidates {
		e := New(zktest.Dial(t), dir, WithSuspendGrace(zktest.SessionTimeout/3))
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := e.Run(rctx, "x", func(lctx context.Context) error {
				f.enter(t, e.Token())
				defer f.leave()
				switch n := f.count(); {
				case n == terms/2:
					once.Do(func() { close(halfway) })
				case n >= terms:
					stop()
				}
				return nil
			})
			if err != nil {
				t.Errorf("candidate %d: %v", i, err)
			}
		}()
	}
	<-halfway
	l := zktest.Leader(t, servers)
	l.Kill(t)
	wg.Wait()
	l.Restart(t)
	stop()
	if f.count() < terms {
		t.Fatalf("%d terms, want %d", f.count(), terms)
	}
}
