package client_test

import (
	"slices"
	"testing"

	"github.com/zabkit/zabkit/client"
)

func TestIntegrationChroot(t *testing.T) {
	srv := testServers(t)
	c := dialTest(t, srv)
	ctx := testCtx(t)
	root := testRoot(t, c)

	cc := dialTest(t, srv+root)
	p, _, err := cc.Create(ctx, "/x-", []byte("in chroot"), client.ModeEphemeralSequential, nil)
	if err != nil || p != "/x-0000000000" {
		t.Fatalf("Create in chroot = %q %v", p, err)
	}
	// Another session's write is visible to c only after a sync (c may be
	// connected to a follower that has not applied it yet).
	if err := c.Sync(ctx, root+p); err != nil {
		t.Fatal(err)
	}
	d, _, err := c.Get(ctx, root+p)
	if err != nil || string(d) != "in chroot" {
		t.Fatalf("Get outside chroot = %q %v", d, err)
	}
	kids, _, err := cc.Children(ctx, "/")
	if err != nil || !slices.Equal(kids, []string{"x-0000000000"}) {
		t.Fatalf("Children(/) in chroot = %v %v", kids, err)
	}
	_, _, ch, err := cc.GetW(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set(ctx, root+p, nil, client.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if ev := <-ch; ev != (client.Event{Type: client.EventNodeDataChanged, Path: p}) {
		t.Fatalf("event in chroot = %+v", ev)
	}
	eph, err := cc.GetEphemerals(ctx, "/")
	if err != nil || !slices.Equal(eph, []string{p}) {
		t.Fatalf("GetEphemerals in chroot = %v %v", eph, err)
	}
}
