package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

func ids(l []Instance) []string {
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = x.ID
	}
	return out
}

// waitList reads a Changes stream until the ids match want.
func waitList(t *testing.T, ch <-chan []Instance, want ...string) []Instance {
	t.Helper()
	for {
		l := zktest.Wait(t, ch, 20*time.Second, fmt.Sprintf("instances %v", want))
		if slices.Equal(ids(l), want) {
			return l
		}
	}
}

func TestRegisterFollowUnregister(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t) + "/services"
	c := zktest.Dial(t)
	reg := New(c, base)
	defer reg.Close(ctx)

	cache, err := NewCache(ctx, zktest.Dial(t), base, "orders")
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	changes := cache.Changes(cctx)
	waitList(t, changes)

	for _, id := range []string{"b", "a"} {
		if err := reg.Register(ctx, Instance{Name: "orders", ID: id, Address: "10.0.0." + id, Port: Int(80)}); err != nil {
			t.Fatal(err)
		}
	}
	l := waitList(t, changes, "a", "b")
	if l[0].ServiceType != Dynamic || l[0].RegistrationTimeUTC == 0 || *l[0].Port != 80 {
		t.Fatalf("cached instance %+v", l[0])
	}
	data, st, err := c.Get(ctx, base+"/orders/a")
	if err != nil || st.EphemeralOwner != c.SessionID() {
		t.Fatalf("instance node: %+v %v, want an ephemeral of the session", st, err)
	}
	if inst, err := Unmarshal(data); err != nil || inst.Address != "10.0.0.a" {
		t.Fatalf("node data %s: %v", data, err)
	}

	if err := reg.Update(ctx, Instance{Name: "orders", ID: "a", Address: "10.9.9.9", Port: Int(81), Disabled: true}); err != nil {
		t.Fatal(err)
	}
	for {
		l = zktest.Wait(t, changes, 20*time.Second, "the update")
		if len(l) == 2 && l[0].Address == "10.9.9.9" {
			break
		}
	}
	if p, err := cache.Provider(NewRoundRobin()).Get(); err != nil || p.ID != "b" {
		t.Fatalf("provider = %+v %v, want b (a is disabled)", p, err)
	}
	if err := reg.Update(ctx, Instance{Name: "orders", ID: "zz"}); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("Update of an unknown instance: %v", err)
	}

	if err := reg.Unregister(ctx, "orders", "a"); err != nil {
		t.Fatal(err)
	}
	waitList(t, changes, "b")
	if err := reg.Unregister(ctx, "orders", "b"); err != nil {
		t.Fatal(err)
	}
	waitList(t, changes)
	// The service node is a container: the server removes it once empty.
	ok, _, ev, err := c.ExistsW(ctx, base+"/orders")
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		if e := zktest.Wait(t, ev, 30*time.Second, "the empty service node to be reaped"); e.Type != client.EventNodeDeleted {
			t.Fatalf("event %+v", e)
		}
	}
	if cache.Stale() {
		t.Fatal("cache stale while connected")
	}
}

func TestCloseUnregistersDynamicInstances(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	c := zktest.Dial(t)
	reg := New(c, base)
	if err := reg.Register(ctx, Instance{Name: "s", ID: "dyn"}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(ctx, Instance{Name: "s", ID: "perm", ServiceType: Permanent}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(ctx, Instance{Name: "s", ID: "x"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Register after Close: %v", err)
	}
	kids, _, err := c.Children(ctx, base+"/s")
	if err != nil || !slices.Equal(kids, []string{"perm"}) {
		t.Fatalf("after Close: %v %v, want only the permanent instance", kids, err)
	}
}

// Fault: the server the cache is connected to is killed, and an instance
// registers meanwhile. Expectation: the cache reconnects, reads the service
// again and ends up current and not stale.
func TestFaultCacheServerKilled(t *testing.T) {
	servers := zktest.Ensemble(t)
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	reg := New(zktest.Dial(t), base)
	defer reg.Close(ctx)
	cc := zktest.Dial(t)
	cache, err := NewCache(ctx, cc, base, "svc")
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	changes := cache.Changes(cctx)
	waitList(t, changes)
	victim := zktest.ByAddr(t, servers, cc.Server())
	victim.Kill(t)
	defer victim.Restart(t)
	if err := reg.Register(ctx, Instance{Name: "svc", ID: "new"}); err != nil {
		t.Fatal(err)
	}
	waitList(t, changes, "new")
	states := cc.States(ctx)
	for s := range states {
		if s.Connected() {
			break
		}
	}
	// After the reconnect the cache reloads and clears the stale flag; a
	// registration after that proves the watch is live again.
	if err := reg.Register(ctx, Instance{Name: "svc", ID: "newer"}); err != nil {
		t.Fatal(err)
	}
	waitList(t, changes, "new", "newer")
	if cache.Stale() || cache.Err() != nil {
		t.Fatalf("stale %v err %v after reconnect", cache.Stale(), cache.Err())
	}
}
