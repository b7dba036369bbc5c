package election

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// Fault: the leader is cut off from the majority (every zktest.Partition
// kind: its only server partitioned from the quorum, or its own network
// cut). Expectation:
// its fn's context is cancelled with ErrLost; the other candidate leads
// only once the old leader's node went with its session, with a greater
// token; after healing, the cut-off client (renewal off) learns its session
// expired and its Run returns ErrSessionLost.
func TestFaultRunLeaderPartitioned(t *testing.T) {
	zktest.Partitions(t, testRunLeaderPartitioned)
}

func testRunLeaderPartitioned(t *testing.T, p *zktest.Partition) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	ca := p.Dial(t, client.WithSessionRenewal(false)) // renewal on: TestExpiryRunLeaderCarriesOn
	a := New(ca, dir)
	aLeads := make(chan context.Context, 1)
	aDone := make(chan error, 1)
	go func() {
		aDone <- a.Run(ctx, "a", func(lctx context.Context) error {
			aLeads <- lctx
			<-lctx.Done()
			return nil
		})
	}()
	lctx := zktest.Wait(t, aLeads, 20*time.Second, "a to lead")
	tokA, keyA := a.Token(), a.Key()
	cb := zktest.Dial(t)
	b := New(cb, dir)
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

	p.Cut(t)
	<-lctx.Done()
	if cause := context.Cause(lctx); !errors.Is(cause, ErrLost) {
		t.Fatalf("cut-off leader's fn context cause %v, want ErrLost", cause)
	}
	tokB := zktest.Wait(t, bLeads, 30*time.Second, "b to lead")
	if ok, _, err := cb.Exists(ctx, keyA); err != nil || ok {
		t.Fatalf("cut-off leader's node %s exists=%v (%v) when b leads", keyA, ok, err)
	}
	if tokB <= tokA {
		t.Fatalf("b's token %d not greater than the cut-off leader's %d", tokB, tokA)
	}
	p.Heal(t)
	if err := zktest.Wait(t, aDone, 30*time.Second, "a's Run to return"); !errors.Is(err, ErrSessionLost) {
		t.Fatalf("cut-off leader's Run: %v, want ErrSessionLost", err)
	}
	if !errors.Is(ca.Err(), client.ErrSessionExpired) {
		t.Fatalf("cut-off client's session ended with %v, want ErrSessionExpired", ca.Err())
	}
	stopB()
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
}
