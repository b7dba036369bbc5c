package registry

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// waitOwned waits, with watches, until node p exists and is owned by c's
// current session, and that session is not c's first.
func waitOwned(t *testing.T, ctx context.Context, watcher, c *client.Conn, p string) {
	t.Helper()
	for {
		_, st, ev, err := watcher.GetW(ctx, p)
		if errors.Is(err, client.ErrNoNode) {
			var ok bool
			ok, _, ev, err = watcher.ExistsW(ctx, p)
			if err == nil && ok {
				continue
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		if s := c.Session(); st.EphemeralOwner == s.ID() && s.Generation() > 1 {
			return
		}
		zktest.Wait(t, ev, 20*time.Second, "re-registration on the new session")
	}
}

// Fault: the registering session expires while an instance is registered
// (the Conn has renewal). Expectation: the Registry registers it again on
// the new session (the node is owned by it), a watching cache ends with the
// instance listed, and Unregister then removes it.
func TestFaultRegistrySessionExpiredReregisters(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	c := zktest.Dial(t, client.WithSessionRenewal(true))
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

	zktest.Expire(t, c)
	waitOwned(t, ctx, watcher, c, base+"/svc/one")
	waitList(t, changes, "one")
	if err := reg.Unregister(ctx, "svc", "one"); err != nil {
		t.Fatal(err)
	}
	waitList(t, changes)
}

// Fault: the session expires while the Registry is idle (nothing
// registered; renewal on). Expectation: Register afterwards writes on the
// new session.
func TestFaultRegistrySessionExpiredIdle(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	c := zktest.Dial(t, client.WithSessionRenewal(true))
	reg := New(c, base)
	defer reg.Close(ctx)
	zktest.Expire(t, c)
	if err := reg.Register(ctx, Instance{Name: "svc", ID: "late"}); err != nil {
		t.Fatal(err)
	}
	waitOwned(t, ctx, zktest.Dial(t), c, base+"/svc/late")
}

// Fault: the session of a DynamicSequential instance expires (renewal on).
// Expectation: the Registry registers it again as one new
// ephemeral-sequential node of the new session.
func TestFaultDynamicSequentialSessionExpired(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	c := zktest.Dial(t, client.WithSessionRenewal(true))
	reg := New(c, base)
	defer reg.Close(ctx)
	if err := reg.Register(ctx, Instance{Name: "s", ID: "seq", ServiceType: DynamicSequential}); err != nil {
		t.Fatal(err)
	}
	watcher := zktest.Dial(t)
	zktest.Expire(t, c)
	for {
		_, _, ev, err := watcher.ChildrenW(ctx, base+"/s")
		if err != nil && !errors.Is(err, client.ErrNoNode) {
			t.Fatal(err)
		}
		nodes := sequentialNodes(t, watcher, base+"/s", "seq")
		owners := map[int64]bool{}
		for _, owner := range nodes {
			owners[owner] = true
		}
		if len(nodes) == 1 && owners[c.SessionID()] && c.Session().Generation() > 1 {
			break
		}
		if len(nodes) > 2 {
			t.Fatalf("nodes %v, want at most the old one and one new", nodes)
		}
		if ev == nil { // no service node yet: wait for it
			_, _, ev, err = watcher.ExistsW(ctx, base+"/s")
			if err != nil {
				t.Fatal(err)
			}
		}
		zktest.Wait(t, ev, 20*time.Second, "re-registration")
	}
}

// Fault: the registering session expires on a Conn without renewal.
// Expectation: as before renewal existed: the dynamic instance is gone
// and stays gone, Register fails with ErrSessionLost, Unregister of the
// dynamic instance succeeds (it went with the session) and Close returns
// nil.
func TestFaultRegistrySessionExpiredNoRenewal(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	c := zktest.Dial(t, client.WithSessionRenewal(false))
	reg := New(c, base)
	if err := reg.Register(ctx, Instance{Name: "svc", ID: "one"}); err != nil {
		t.Fatal(err)
	}
	cache, err := NewCache(ctx, zktest.Dial(t), base, "svc")
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	changes := cache.Changes(cctx)
	waitList(t, changes, "one")
	zktest.Expire(t, c)
	waitList(t, changes)
	if err := reg.Register(ctx, Instance{Name: "svc", ID: "two"}); !errors.Is(err, ErrSessionLost) || !errors.Is(err, client.ErrSessionExpired) {
		t.Fatalf("Register after expiry: %v, want ErrSessionLost", err)
	}
	if err := reg.Unregister(ctx, "svc", "one"); err != nil {
		t.Fatalf("Unregister after expiry: %v", err)
	}
	if err := reg.Close(ctx); err != nil {
		t.Fatalf("Close after expiry: %v", err)
	}
	if got := ids(cache.Instances()); len(got) != 0 {
		t.Fatalf("instances %v after the expiry", got)
	}
}

// Fault: the cache's own session expires (renewal on). Expectation: the
// cache goes on on the new session: not stale, no error, and it follows
// registrations made after.
func TestFaultCacheSessionExpired(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	reg := New(zktest.Dial(t), base)
	defer reg.Close(ctx)
	if err := reg.Register(ctx, Instance{Name: "svc", ID: "one"}); err != nil {
		t.Fatal(err)
	}
	cc := zktest.Dial(t, client.WithSessionRenewal(true))
	cache, err := NewCache(ctx, cc, base, "svc")
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	changes := cache.Changes(cctx)
	waitList(t, changes, "one")
	zktest.Expire(t, cc)
	if err := reg.Register(ctx, Instance{Name: "svc", ID: "two"}); err != nil {
		t.Fatal(err)
	}
	waitList(t, changes, "one", "two")
	if err := reg.Unregister(ctx, "svc", "one"); err != nil {
		t.Fatal(err)
	}
	waitList(t, changes, "two")
	if cache.Err() != nil {
		t.Fatalf("cache error %v", cache.Err())
	}
}

// Fault: the cache's own session expires on a Conn without renewal.
// Expectation: the cache reports Stale and Err (it cannot follow the
// service any more), closes its Changes streams, and keeps serving its
// last content.
func TestFaultCacheSessionExpiredNoRenewal(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	reg := New(zktest.Dial(t), base)
	defer reg.Close(ctx)
	if err := reg.Register(ctx, Instance{Name: "svc", ID: "one"}); err != nil {
		t.Fatal(err)
	}
	cc := zktest.Dial(t, client.WithSessionRenewal(false))
	cache, err := NewCache(ctx, cc, base, "svc")
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	if got := ids(cache.Instances()); !slices.Equal(got, []string{"one"}) {
		t.Fatalf("instances %v", got)
	}
	zktest.Expire(t, cc)
	for range cache.Changes(ctx) { // closes once the cache stops following
	}
	if !cache.Stale() || !errors.Is(cache.Err(), client.ErrSessionExpired) {
		t.Fatalf("stale %v err %v", cache.Stale(), cache.Err())
	}
	if got := ids(cache.Instances()); !slices.Equal(got, []string{"one"}) {
		t.Fatalf("instances after expiry %v, want the last known", got)
	}
}

// Fault: the session expires (renewal on) with a Static instance
// registered. Expectation: its persistent node stays; Unregister after the
// expiry deletes it on the new session.
func TestFaultRegistrySessionExpiredStatic(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	c := zktest.Dial(t, client.WithSessionRenewal(true))
	reg := New(c, base)
	defer reg.Close(ctx)
	if err := reg.Register(ctx, Instance{Name: "svc", ID: "perm", ServiceType: Static}); err != nil {
		t.Fatal(err)
	}
	zktest.Expire(t, c)
	watcher := zktest.Dial(t)
	// watcher may sit on a server behind c's: it syncs before each read.
	exists := func() (bool, error) {
		if err := watcher.Sync(ctx, base); err != nil {
			return false, err
		}
		ok, _, err := watcher.Exists(ctx, base+"/svc/perm")
		return ok, err
	}
	if ok, err := exists(); err != nil || !ok {
		t.Fatalf("static node after the expiry: exists %v, %v", ok, err)
	}
	if err := reg.Unregister(ctx, "svc", "perm"); err != nil {
		t.Fatal(err)
	}
	if ok, err := exists(); err != nil || ok {
		t.Fatalf("static node after Unregister: exists %v, %v", ok, err)
	}
}
