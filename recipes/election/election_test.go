package election

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

var latchNode = regexp.MustCompile(`/_c_[0-9a-f-]{36}-latch-[0-9]{10}$`)

func TestCampaignResignHandsOverInOrder(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t) + "/election"
	const n = 3
	es := make([]*Election, n)
	for i := range es {
		es[i] = New(zktest.Dial(t), dir)
	}
	if _, err := es[0].Leader(ctx); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("Leader before any campaign: %v, want ErrNoLeader", err)
	}
	if err := es[0].Campaign(ctx, "c0"); err != nil {
		t.Fatal(err)
	}
	if !latchNode.MatchString(es[0].Key()) {
		t.Fatalf("leader node %q lacks Curator's latch layout", es[0].Key())
	}
	obsCtx, stopObs := context.WithCancel(ctx)
	obs := es[2].Observe(obsCtx)
	if got := zktest.Wait(t, obs, 10*time.Second, "the first observation"); got.Value != "c0" {
		t.Fatalf("observed %+v, want c0", got)
	}
	errs := make([]chan error, n)
	for i := 1; i < n; i++ {
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- es[i].Campaign(ctx, fmt.Sprintf("c%d", i)) }()
		waitCandidates(t, dir, i+1)
	}
	var last int64
	for i := 0; i < n; i++ {
		if i > 0 {
			if err := zktest.Wait(t, errs[i], 10*time.Second, "the next candidate to lead"); err != nil {
				t.Fatal(err)
			}
			if got := zktest.Wait(t, obs, 10*time.Second, "an observation"); got.Value != fmt.Sprintf("c%d", i) || got.Token != es[i].Token() {
				t.Fatalf("observed %+v, want c%d with token %d", got, i, es[i].Token())
			}
		}
		if v, err := es[0].Leader(ctx); err != nil || v != fmt.Sprintf("c%d", i) {
			t.Fatalf("Leader = %q %v, want c%d", v, err, i)
		}
		for j, e := range es {
			if e.IsLeader() != (j == i) {
				t.Fatalf("term %d: candidate %d IsLeader = %v", i, j, e.IsLeader())
			}
		}
		if tok := es[i].Token(); tok <= last {
			t.Fatalf("term %d token %d not greater than %d", i, tok, last)
		}
		last = es[i].Token()
		lost := es[i].Lost()
		if err := es[i].Resign(ctx); err != nil {
			t.Fatal(err)
		}
		<-lost
		if !errors.Is(context.Cause(es[i].Context()), ErrNotLeader) {
			t.Fatalf("after Resign: %v", context.Cause(es[i].Context()))
		}
	}
	if err := es[0].Resign(ctx); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("Resign twice: %v", err)
	}
	stopObs()
	for range obs {
	}
}

// waitCandidates waits until dir holds n candidate nodes.
func waitCandidates(t *testing.T, dir string, n int) {
	t.Helper()
	c := zktest.Dial(t)
	ctx := zktest.Ctx(t)
	for {
		kids, _, ch, err := c.ChildrenW(ctx, dir)
		if err != nil && !errors.Is(err, client.ErrNoNode) {
			t.Fatal(err)
		}
		if len(kids) == n {
			return
		}
		if ch == nil {
			_, _, ch, err = c.ExistsW(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
		}
		zktest.Wait(t, ch, 20*time.Second, "a candidate change")
	}
}

func TestCampaignCancelledLeavesNoNode(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	a := New(zktest.Dial(t), dir)
	b := New(zktest.Dial(t), dir)
	if err := a.Campaign(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Campaign(cctx, "b") }()
	waitCandidates(t, dir, 2)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Campaign: %v", err)
	}
	waitCandidates(t, dir, 1)
	if err := a.Resign(ctx); err != nil {
		t.Fatal(err)
	}
}

// Many candidates Run with fn leading once and returning: leadership
// rotates, and fencing tokens show one leader at a time.
func TestRunRotatesWithOneLeaderAtATime(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	const candidates, terms = 4, 16
	var f fence
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range candidates {
		e := New(zktest.Dial(t), dir)
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := e.Run(rctx, fmt.Sprint(i), func(lctx context.Context) error {
				f.enter(t, e.Token())
				defer f.leave()
				if f.count() >= terms {
					stop()
				}
				return nil
			})
			if err != nil {
				t.Errorf("candidate %d: Run: %v", i, err)
			}
		}()
	}
	wg.Wait()
	stop()
	if f.count() < terms {
		t.Fatalf("%d terms, want at least %d", f.count(), terms)
	}
}

func TestRunReturnsFnError(t *testing.T) {
	ctx := zktest.Ctx(t)
	e := New(zktest.Dial(t), zktest.Root(t))
	boom := errors.New("boom")
	if err := e.Run(ctx, "x", func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want boom", err)
	}
	if e.IsLeader() {
		t.Fatal("still leader after Run returned")
	}
}
