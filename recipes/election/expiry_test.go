package election

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// ownerOf returns the ephemeralOwner of path as c sees it after a sync (0
// when it does not exist).
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

// waitCandidateOf waits until dir holds a candidate node owned by c's
// current session of a generation after first, and n candidates in all.
func waitCandidateOf(t *testing.T, watcher, c *client.Conn, dir string, first *client.Session, n int) {
	t.Helper()
	ctx := zktest.Ctx(t)
	for {
		kids, _, ch, err := watcher.ChildrenW(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		s := c.Session()
		found := false
		for _, k := range kids {
			if o := ownerOf(t, watcher, client.JoinPath(dir, k)); o == s.ID() && s.Generation() > first.Generation() {
				found = true
			}
		}
		if found && len(kids) == n {
			return
		}
		zktest.Wait(t, ch, 20*time.Second, "a candidate on the new session")
	}
}

// Expiry of a leader inside Run, renewal on (the default). Expectation:
// fn's context is cancelled with ErrLost; the other candidate leads with a
// greater token; Run goes on campaigning on the Conn's new session (a
// candidate node owned by it appears) and leads again, with a greater
// token still, once the other candidate stops; Run returns nil when its
// ctx ends.
func TestExpiryRunLeaderCarriesOn(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	ca, watcher := zktest.Dial(t), zktest.Dial(t)
	a, b := New(ca, dir), New(zktest.Dial(t), dir)
	type term struct {
		ctx   context.Context
		token int64
	}
	aLeads := make(chan term, 2)
	actx, stopA := context.WithCancel(ctx)
	aDone := make(chan error, 1)
	go func() {
		aDone <- a.Run(actx, "a", func(lctx context.Context) error {
			aLeads <- term{lctx, a.Token()}
			<-lctx.Done()
			return nil
		})
	}()
	first := zktest.Wait(t, aLeads, 20*time.Second, "a to lead")
	s1 := ca.Session()
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
	zktest.Wait(t, first.ctx.Done(), 20*time.Second, "a's leadership to end")
	if cause := context.Cause(first.ctx); !errors.Is(cause, ErrLost) {
		t.Fatalf("expired leader's fn context cause %v, want ErrLost", cause)
	}
	tokB := zktest.Wait(t, bLeads, 30*time.Second, "b to lead")
	if tokB <= first.token {
		t.Fatalf("b's token %d not greater than a's %d", tokB, first.token)
	}
	waitCandidateOf(t, watcher, ca, dir, s1, 2)
	select {
	case err := <-aDone:
		t.Fatalf("a's Run returned %v after its session expired, want it to campaign on", err)
	default:
	}
	stopB()
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
	second := zktest.Wait(t, aLeads, 30*time.Second, "a to lead again on its new session")
	if second.token <= tokB {
		t.Fatalf("a's new token %d not greater than b's %d", second.token, tokB)
	}
	if s := ca.Session(); s.Generation() <= s1.Generation() || ownerOf(t, watcher, a.Key()) != s.ID() {
		t.Fatalf("a leads with %s on session %v, want a node of a session after %v", a.Key(), s, s1)
	}
	stopA()
	if err := zktest.Wait(t, aDone, 20*time.Second, "a's Run to return"); err != nil {
		t.Fatalf("Run after ctx ended: %v", err)
	}
}

// Expiry of a waiting candidate, renewal on. Expectation: Campaign keeps
// waiting, re-enters the election on the new session, and returns once
// the leader resigns.
func TestExpiryCampaignWaiting(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	cb, watcher := zktest.Dial(t), zktest.Dial(t)
	a, b := New(zktest.Dial(t), dir), New(cb, dir)
	if err := a.Campaign(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- b.Campaign(ctx, "b") }()
	waitCandidates(t, dir, 2)
	s1 := cb.Session()
	zktest.Expire(t, cb)
	waitCandidateOf(t, watcher, cb, dir, s1, 2)
	select {
	case err := <-got:
		t.Fatalf("waiting Campaign returned %v while a leads", err)
	default:
	}
	if err := a.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if err := zktest.Wait(t, got, 20*time.Second, "b to lead"); err != nil {
		t.Fatalf("Campaign across expiry: %v", err)
	}
	if o := ownerOf(t, watcher, b.Key()); o != cb.Session().ID() {
		t.Fatalf("b leads with %s owned by 0x%x, want its new session %v", b.Key(), o, cb.Session())
	}
	if v, err := b.Leader(ctx); err != nil || v != "b" {
		t.Fatalf("Leader = %q, %v", v, err)
	}
	if err := b.Resign(ctx); err != nil {
		t.Fatal(err)
	}
}

// Expiry of an observer's session (idle: it campaigns for nothing),
// renewal on. Expectation: Observe keeps going and reports the leader
// elected after the expiry.
func TestExpiryObserveCarriesOn(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	co := zktest.Dial(t)
	a, b := New(zktest.Dial(t), dir), New(zktest.Dial(t), dir)
	if err := a.Campaign(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	terms := New(co, dir).Observe(ctx)
	if tm := zktest.Wait(t, terms, 20*time.Second, "the first leader"); tm.Value != "a" {
		t.Fatalf("observed %+v, want a", tm)
	}
	s1 := co.Session()
	zktest.Expire(t, co)
	zktest.Wait(t, s1.Done(), 20*time.Second, "the observer's Conn to see the expiry")
	if _, err := co.WaitSession(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Campaign(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	for {
		tm, ok := <-terms
		if !ok {
			t.Fatal("Observe closed after an expiry the Conn renewed")
		}
		if tm.Value == "b" {
			break
		}
	}
	if err := b.Resign(ctx); err != nil {
		t.Fatal(err)
	}
}

// Expiry of an observer's session with renewal off. Expectation: the
// Observe channel closes.
func TestExpiryObserveRenewalOff(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	co := zktest.Dial(t, client.WithSessionRenewal(false))
	terms := New(co, dir).Observe(ctx)
	zktest.Expire(t, co)
	for range terms {
	}
	if !errors.Is(co.Err(), client.ErrSessionExpired) {
		t.Fatalf("Conn error %v", co.Err())
	}
}

// Expiry while idle, renewal on. Expectation: an Election made on the
// first session campaigns and leads on the next one.
func TestExpiryIdleCampaign(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	c, watcher := zktest.Dial(t), zktest.Dial(t)
	e := New(c, dir)
	s1 := c.Session()
	zktest.Expire(t, c)
	if err := e.Campaign(ctx, "a"); err != nil {
		t.Fatalf("Campaign after expiry: %v", err)
	}
	if s2 := c.Session(); s2.Generation() <= s1.Generation() || ownerOf(t, watcher, e.Key()) != s2.ID() {
		t.Fatalf("leads with %s on session %v, want a node of a session after %v", e.Key(), s2, s1)
	}
	if err := e.Resign(ctx); err != nil {
		t.Fatal(err)
	}
}
