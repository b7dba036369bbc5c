package client

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zabkit/zabkit/wire"
)

func TestIntegrationCreateGetSetDelete(t *testing.T) {
	c := dialTest(t, testServers(t))
	ctx := testCtx(t)
	root := testRoot(t, c)

	p, st, err := c.Create(ctx, root+"/a", []byte("hello"), ModePersistent, nil)
	if err != nil || p != root+"/a" || st.DataLength != 5 || st.Version != 0 || st.Czxid == 0 || st.Czxid != st.Mzxid {
		t.Fatalf("Create = %q %+v %v", p, st, err)
	}
	d, st2, err := c.Get(ctx, p)
	if err != nil || !bytes.Equal(d, []byte("hello")) || st2 != st {
		t.Fatalf("Get = %q %+v %v, want hello %+v", d, st2, err, st)
	}
	if _, _, err := c.Create(ctx, p, nil, ModePersistent, nil); !errors.Is(err, ErrNodeExists) || !errors.Is(err, wire.CodeNodeExists) {
		t.Fatalf("second Create: %v, want ErrNodeExists", err)
	}
	st3, err := c.Set(ctx, p, []byte("world!"), st.Version)
	if err != nil || st3.Version != 1 || st3.DataLength != 6 || st3.Mzxid <= st.Mzxid {
		t.Fatalf("Set = %+v %v", st3, err)
	}
	if _, err := c.Set(ctx, p, nil, 0); !errors.Is(err, ErrBadVersion) {
		t.Fatalf("Set with stale version: %v, want ErrBadVersion", err)
	}
	if _, _, err := c.Create(ctx, p+"/child", nil, ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, p, AnyVersion); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("Delete non-empty: %v, want ErrNotEmpty", err)
	}
	kids, pst, err := c.Children(ctx, p)
	if err != nil || !slices.Equal(kids, []string{"child"}) || pst.NumChildren != 1 {
		t.Fatalf("Children = %v %+v %v", kids, pst, err)
	}
	n, err := c.AllChildrenNumber(ctx, root)
	if err != nil || n != 2 {
		t.Fatalf("AllChildrenNumber = %d %v, want 2", n, err)
	}
	if err := c.Delete(ctx, p+"/child", 5); !errors.Is(err, ErrBadVersion) {
		t.Fatalf("Delete bad version: %v", err)
	}
	if err := c.Delete(ctx, p+"/child", 0); err != nil {
		t.Fatal(err)
	}
	ok, _, err := c.Exists(ctx, p+"/child")
	if err != nil || ok {
		t.Fatalf("Exists after delete = %v %v", ok, err)
	}
	if _, _, err := c.Get(ctx, p+"/child"); !errors.Is(err, ErrNoNode) {
		t.Fatalf("Get deleted: %v, want ErrNoNode", err)
	}
	if err := c.Sync(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(ctx, "bad"); !errors.Is(err, ErrBadArguments) {
		t.Fatalf("Get(bad path): %v, want ErrBadArguments", err)
	}
}

func TestIntegrationCreateModes(t *testing.T) {
	c := dialTest(t, testServers(t))
	ctx := testCtx(t)
	root := testRoot(t, c)

	p1, _, err := c.Create(ctx, root+"/seq-", nil, ModePersistentSequential, nil)
	if err != nil || p1 != root+"/seq-0000000000" {
		t.Fatalf("sequential create = %q %v", p1, err)
	}
	p2, st, err := c.Create(ctx, root+"/eph-", nil, ModeEphemeralSequential, nil)
	if err != nil || p2 != root+"/eph-0000000001" || st.EphemeralOwner != c.SessionID() {
		t.Fatalf("ephemeral sequential create = %q %+v %v", p2, st, err)
	}
	if _, _, err := c.Create(ctx, p2+"/x", nil, ModePersistent, nil); !errors.Is(err, ErrNoChildrenForEphemerals) {
		t.Fatalf("child of ephemeral: %v", err)
	}
	_, st, err = c.Create(ctx, root+"/container", nil, ModeContainer, nil)
	// Servers report 0 as the ephemeral owner of container and TTL nodes.
	if err != nil || st.EphemeralOwner != 0 {
		t.Fatalf("container create = %+v %v", st, err)
	}
	_, st, err = c.CreateTTL(ctx, root+"/ttl", nil, ModePersistentWithTTL, nil, time.Hour)
	if errors.Is(err, ErrUnimplemented) {
		t.Logf("TTL nodes disabled on this server (zookeeper.extendedTypesEnabled): %v", err)
	} else if err != nil || st.EphemeralOwner != 0 {
		t.Fatalf("TTL create = %+v %v", st, err)
	} else {
		p, _, err := c.CreateTTL(ctx, root+"/ttlseq-", nil, ModePersistentSequentialWithTTL, nil, time.Minute)
		if err != nil || !strings.HasPrefix(p, root+"/ttlseq-00000000") {
			t.Fatalf("sequential TTL create = %q %v", p, err)
		}
	}
	if _, _, err := c.Create(ctx, root+"/ttl2", nil, ModePersistentWithTTL, nil); !errors.Is(err, ErrBadArguments) {
		t.Fatalf("TTL mode without TTL: %v", err)
	}
	eph, err := c.GetEphemerals(ctx, root)
	if err != nil || !slices.Equal(eph, []string{p2}) {
		t.Fatalf("GetEphemerals = %v %v", eph, err)
	}
}

func TestIntegrationChroot(t *testing.T) {
	srv := testServers(t)
	c := dialTest(t, srv)
	ctx := testCtx(t)
	root := testRoot(t, c)

	cc := dialTest(t, srv+root)
	p, _, err := cc.Create(ctx, "/x-", []byte("in chroot"), ModeEphemeralSequential, nil)
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
	if _, err := c.Set(ctx, root+p, nil, AnyVersion); err != nil {
		t.Fatal(err)
	}
	if ev := <-ch; ev != (Event{Type: EventNodeDataChanged, Path: p}) {
		t.Fatalf("event in chroot = %+v", ev)
	}
	eph, err := cc.GetEphemerals(ctx, "/")
	if err != nil || !slices.Equal(eph, []string{p}) {
		t.Fatalf("GetEphemerals in chroot = %v %v", eph, err)
	}
}

func TestIntegrationACLAndAuth(t *testing.T) {
	srv := testServers(t)
	c := dialTest(t, srv, WithDigestAuth("alice", "secret"))
	ctx := testCtx(t)
	root := testRoot(t, c)

	p, _, err := c.Create(ctx, root+"/private", []byte("x"), ModePersistent, CreatorACL())
	if err != nil {
		t.Fatal(err)
	}
	acl, st, err := c.GetACL(ctx, p)
	want := DigestACL(PermAll, "alice", "secret")
	if err != nil || !slices.Equal(acl, want) || st.Aversion != 0 {
		t.Fatalf("GetACL = %+v %+v %v, want %+v", acl, st, err, want)
	}
	other := dialTest(t, srv)
	if err := other.Sync(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Get(ctx, p); !errors.Is(err, ErrNoAuth) {
		t.Fatalf("Get without auth: %v, want ErrNoAuth", err)
	}
	if err := other.AddAuth(ctx, "digest", []byte("alice:secret")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Get(ctx, p); err != nil {
		t.Fatalf("Get after AddAuth: %v", err)
	}
	st, err = c.SetACL(ctx, p, OpenACL(), 0)
	if err != nil || st.Aversion != 1 {
		t.Fatalf("SetACL = %+v %v", st, err)
	}
	if _, err := c.SetACL(ctx, p, OpenACL(), 0); !errors.Is(err, ErrBadVersion) {
		t.Fatalf("SetACL stale: %v", err)
	}
	if _, _, err := c.Create(ctx, root+"/bad", nil, ModePersistent, []ACL{}); !errors.Is(err, ErrInvalidACL) {
		t.Fatalf("empty ACL: %v, want ErrInvalidACL", err)
	}
	noauth := dialTest(t, srv)
	if _, _, err := noauth.Create(ctx, root+"/bad", nil, ModePersistent, CreatorACL()); !errors.Is(err, ErrInvalidACL) {
		t.Fatalf("CreatorACL without auth: %v, want ErrInvalidACL", err)
	}
	info, err := c.WhoAmI(ctx)
	switch {
	case errors.Is(err, ErrUnimplemented) || errors.Is(err, ErrConnectionLoss):
		t.Logf("whoAmI not supported by this server (needs 3.8.1+): %v", err)
	case err != nil:
		t.Fatal(err)
	case !slices.Contains(info, ClientInfo{AuthScheme: "digest", User: "alice"}):
		t.Fatalf("WhoAmI = %+v", info)
	}
}

func TestIntegrationMulti(t *testing.T) {
	c := dialTest(t, testServers(t))
	ctx := testCtx(t)
	root := testRoot(t, c)

	res, err := c.Multi(ctx,
		CreateOp{Path: root + "/a", Data: []byte("1")},
		&CreateOp{Path: root + "/s-", Mode: ModePersistentSequential},
		SetOp{Path: root + "/a", Data: []byte("2"), Version: 0},
		CheckOp{Path: root + "/a", Version: 1},
	)
	if err != nil || len(res) != 4 || res[0].Path != root+"/a" || res[1].Path != root+"/s-0000000001" ||
		res[2].Stat.Version != 1 {
		t.Fatalf("Multi = %+v %v", res, err)
	}
	res, err = c.Multi(ctx,
		DeleteOp{Path: root + "/s-0000000001", Version: AnyVersion},
		CheckOp{Path: root + "/a", Version: 7},
		SetOp{Path: root + "/a", Data: nil, Version: AnyVersion},
	)
	if !errors.Is(err, ErrBadVersion) || len(res) != 3 || res[0].Err != nil ||
		!errors.Is(res[1].Err, ErrBadVersion) || !errors.Is(res[2].Err, ErrRuntimeInconsistency) {
		t.Fatalf("failed Multi = %+v %v", res, err)
	}
	if ok, _, _ := c.Exists(ctx, root+"/s-0000000001"); !ok {
		t.Fatal("failed multi applied its delete")
	}
	res, err = c.Multi(ctx,
		CreateOp{Path: root + "/c", Mode: ModeContainer},
		CreateOp{Path: root + "/c/t", Mode: ModePersistentWithTTL, TTL: time.Minute},
		CreateOp{Path: root + "/c/e-", Mode: ModeEphemeralSequential},
	)
	if errors.Is(err, ErrUnimplemented) {
		t.Logf("TTL nodes disabled on this server: %v", err)
	} else if err != nil || res[0].Path != root+"/c" || res[1].Path != root+"/c/t" || res[2].Path != root+"/c/e-0000000001" {
		t.Fatalf("Multi with container, TTL and ephemeral-sequential creates = %+v %v", res, err)
	}
	if _, err := c.Multi(ctx, CreateOp{Path: root + "/x", Mode: ModePersistentWithTTL}); !errors.Is(err, ErrBadArguments) {
		t.Fatalf("TTL mode without TTL in a multi: %v", err)
	}
	rr, err := c.MultiRead(ctx, GetOp{Path: root + "/a"}, ChildrenOp{Path: root}, GetOp{Path: root + "/none"})
	if err != nil || len(rr) != 3 || string(rr[0].Data) != "2" || rr[0].Stat.Version != 1 ||
		len(rr[1].Children) < 2 || !errors.Is(rr[2].Err, ErrNoNode) {
		t.Fatalf("MultiRead = %+v %v", rr, err)
	}
}
