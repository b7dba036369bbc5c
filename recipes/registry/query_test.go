package registry

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// The one-shot queries read what is registered without a watch; a node
// whose data is not a service instance is named in an error matching
// ErrBadInstance while the good instances are still returned.
func TestQueries(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t) + "/services"
	c := zktest.Dial(t)
	if names, err := QueryNames(ctx, c, base); err != nil || len(names) != 0 {
		t.Fatalf("QueryNames before any registration: %v %v", names, err)
	}
	if l, err := QueryInstances(ctx, c, base, "orders"); err != nil || len(l) != 0 {
		t.Fatalf("QueryInstances of an unknown service: %v %v", l, err)
	}
	reg := New(c, base)
	defer reg.Close(ctx)
	for _, inst := range []Instance{{Name: "orders", ID: "b", Address: "h2"}, {Name: "orders", ID: "a", Address: "h1"},
		{Name: "orders", ID: "s", ServiceType: DynamicSequential}, {Name: "billing", ID: "x", ServiceType: Permanent}} {
		if err := reg.Register(ctx, inst); err != nil {
			t.Fatal(err)
		}
	}
	names, err := QueryNames(ctx, c, base)
	if err != nil || !slices.Equal(names, []string{"billing", "orders"}) {
		t.Fatalf("QueryNames = %v %v", names, err)
	}
	l, err := QueryInstances(ctx, c, base, "orders")
	if err != nil || !slices.Equal(ids(l), []string{"a", "b", "s"}) || l[0].Address != "h1" {
		t.Fatalf("QueryInstances = %+v %v", l, err)
	}
	inst, err := QueryInstance(ctx, c, base, "orders", "b")
	if err != nil || inst.ID != "b" || inst.Address != "h2" {
		t.Fatalf("QueryInstance = %+v %v", inst, err)
	}
	if _, err := QueryInstance(ctx, c, base, "orders", "nope"); !errors.Is(err, client.ErrNoNode) {
		t.Fatalf("QueryInstance of a missing node: %v", err)
	}

	if _, _, err := c.Create(ctx, base+"/orders/junk", []byte("not json"), client.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	l, err = QueryInstances(ctx, c, base, "orders")
	if !errors.Is(err, ErrBadInstance) || !strings.Contains(err.Error(), base+"/orders/junk") {
		t.Fatalf("QueryInstances with a bad node: err %v, want ErrBadInstance naming the node", err)
	}
	if !slices.Equal(ids(l), []string{"a", "b", "s"}) {
		t.Fatalf("QueryInstances with a bad node returned %v, want the good instances", ids(l))
	}
	if _, err := QueryInstance(ctx, c, base, "orders", "junk"); !errors.Is(err, ErrBadInstance) {
		t.Fatalf("QueryInstance of a bad node: %v", err)
	}
	for _, bad := range [][2]string{{"rel", "orders"}, {base, "a/b"}, {base, ""}} {
		if _, err := QueryInstances(ctx, c, bad[0], bad[1]); err == nil {
			t.Errorf("QueryInstances(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// A watching cache reports a node whose data is not a service instance
// through BadNodes, sends the list again when that changes, and forgets
// the node once it is fixed.
func TestCacheReportsBadNodes(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	c := zktest.Dial(t)
	reg := New(c, base)
	defer reg.Close(ctx)
	if err := reg.Register(ctx, Instance{Name: "svc", ID: "good"}); err != nil {
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
	waitList(t, changes, "good")
	if err := cache.BadNodes(); err != nil {
		t.Fatalf("BadNodes with only good nodes: %v", err)
	}

	p := base + "/svc/junk"
	if _, _, err := c.Create(ctx, p, []byte("{"), client.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	for {
		l := zktest.Wait(t, changes, 20*time.Second, "the list sent again for the bad node")
		if !slices.Equal(ids(l), []string{"good"}) {
			t.Fatalf("list %v, want only the good instance", ids(l))
		}
		if err := cache.BadNodes(); err != nil {
			if !errors.Is(err, ErrBadInstance) || !strings.Contains(err.Error(), p) {
				t.Fatalf("BadNodes = %v, want ErrBadInstance naming %s", err, p)
			}
			break
		}
	}

	fixed, _ := Marshal(Instance{Name: "svc", ID: "junk"})
	if _, err := c.Set(ctx, p, fixed, client.AnyVersion); err != nil {
		t.Fatal(err)
	}
	waitList(t, changes, "good", "junk")
	if err := cache.BadNodes(); err != nil {
		t.Fatalf("BadNodes after the node was fixed: %v", err)
	}
}
