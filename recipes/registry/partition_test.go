package registry

import (
	"context"
	"github.com/zabkit/zabkit/client"
	"testing"
	"time"

	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// Fault: a registered instance is cut off from the majority (every
// zktest.Partition kind); its Conn has renewal. Expectation: once its
// session expires on the servers, consumers on the majority see the
// instance go; once the Conn has a new session, at the latest after
// healing, the Registry registers the instance again on it, and consumers
// see it back.
func TestFaultRegistryPartitionedInstance(t *testing.T) {
	zktest.Partitions(t, testRegistryPartitionedInstance)
}

func testRegistryPartitionedInstance(t *testing.T, p *zktest.Partition) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	c := p.Dial(t, client.WithSessionRenewal(true))
	reg := New(c, base)
	defer reg.Close(ctx)
	if err := reg.Register(ctx, Instance{Name: "svc", ID: "one", Address: "h"}); err != nil {
		t.Fatal(err)
	}
	watcher := zktest.Dial(t)
	cache, err := NewCache(ctx, watcher, base, "svc")
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	changes := cache.Changes(cctx)
	waitList(t, changes, "one")

	p.Cut(t)
	waitList(t, changes) // the session expired on the majority: the instance is gone
	p.Heal(t)
	waitList(t, changes, "one")
	waitOwned(t, ctx, watcher, c, base+"/svc/one")
}

// Fault: a watching cache is cut off (every zktest.Partition kind) until
// its session expires on the servers, and the service changes meanwhile;
// its Conn has renewal. Expectation: after the heal the cache re-reads the
// service on the new session and its list ends as the servers' (one
// instance gone, one new), no longer stale.
func TestFaultCachePartitionedExpires(t *testing.T) {
	zktest.Partitions(t, func(t *testing.T, p *zktest.Partition) {
		ctx := zktest.Ctx(t)
		base := zktest.Root(t)
		rc := zktest.Dial(t)
		reg := New(rc, base)
		defer reg.Close(ctx)
		if err := reg.Register(ctx, Instance{Name: "svc", ID: "one"}); err != nil {
			t.Fatal(err)
		}
		cc := p.Dial(t, client.WithSessionRenewal(true))
		marker := base + "/svc/marker"
		if _, _, err := cc.Create(ctx, marker, nil, client.ModeEphemeral, nil); err != nil {
			t.Fatal(err)
		}
		cache, err := NewCache(ctx, cc, base, "svc")
		if err != nil {
			t.Fatal(err)
		}
		defer cache.Close()
		cctx, stop := context.WithCancel(ctx)
		defer stop()
		changes := cache.Changes(cctx)
		waitList(t, changes, "one")

		p.Cut(t)
		for { // the cache's session expired on the servers
			ok, _, ch, err := rc.ExistsW(ctx, marker)
			if client.IsRetryable(err) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			zktest.Wait(t, ch, 30*time.Second, "the cut-off session to expire")
		}
		if err := reg.Register(ctx, Instance{Name: "svc", ID: "two"}); err != nil {
			t.Fatal(err)
		}
		if err := reg.Unregister(ctx, "svc", "one"); err != nil {
			t.Fatal(err)
		}
		p.Heal(t)
		waitList(t, changes, "two")
		// The Conn may learn of the expiry after the cache re-read (on a
		// new link): wait, bounded by ctx, for its next session.
		for {
			s, err := cc.WaitSession(ctx)
			if err != nil {
				t.Fatalf("generation %d after the expiry: %v", cc.Session().Generation(), err)
			}
			if s.Generation() >= 2 {
				break
			}
			zktest.Wait(t, s.Done(), 30*time.Second, "the Conn to learn its session expired")
		}
		if err := cache.BadNodes(); err != nil {
			t.Fatalf("BadNodes: %v", err) // the marker went with the session
		}
	})
}
