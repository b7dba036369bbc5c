package persistent

import (
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// A TTLNode is Curator's layout: a container with the data and a TTL child
// "touch"; while it runs the child is touched, and a touch child deleted
// by another client comes back. After Close nobody touches it: the servers
// delete the child after its TTL, then the empty container (which shows
// the child is a TTL node: servers hide the TTL from the Stat).
func TestTTLNodeLayoutAndExpiry(t *testing.T) {
	root := zktest.Root(t)
	c, other := zktest.Dial(t), zktest.Dial(t)
	ctx := zktest.Ctx(t)
	const ttl = 400 * time.Millisecond
	n, err := NewTTL(c, root+"/svc", ttl, []byte("d"))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.WaitForInitialCreate(ctx); err != nil {
		t.Fatal(err)
	}
	p := n.Path()
	data, st, err := synced(t, other).Get(ctx, p)
	if err != nil || string(data) != "d" || st.EphemeralOwner != 0 {
		t.Fatalf("container %s: %q %+v %v", p, data, st, err)
	}
	touch := p + "/" + TouchName
	_, tst := waitNode(t, other, touch, "the touch child", func(ok bool, _ []byte, _ client.Stat) bool { return ok })
	waitNode(t, other, touch, "a touch", func(ok bool, _ []byte, st client.Stat) bool { return ok && st.Version > tst.Version })
	if err := other.Delete(ctx, touch, client.AnyVersion); err != nil {
		t.Fatal(err)
	}
	waitNode(t, other, touch, "the touch child created again", func(ok bool, _ []byte, st client.Stat) bool { return ok && st.Czxid > tst.Czxid })
	if err := n.SetData(ctx, []byte("d2")); err != nil {
		t.Fatal(err)
	}
	if data, _, _ := synced(t, other).Get(ctx, p); string(data) != "d2" {
		t.Fatalf("after SetData: %q", data)
	}
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := synced(t, other).Exists(ctx, p); !ok || err != nil {
		t.Fatalf("Close deleted the container (exists %v, %v)", ok, err)
	}
	waitNode(t, other, p, "the servers to delete the untouched node", func(ok bool, _ []byte, _ client.Stat) bool { return !ok })
}

// With renewal the TTLNode goes on across an expiry: the container is
// still there and the touches go on on the new session.
func TestTTLNodeSessionExpiredRenewal(t *testing.T) {
	root := zktest.Root(t)
	c := zktest.Dial(t, client.WithSessionRenewal(true))
	other := zktest.Dial(t)
	ctx := zktest.Ctx(t)
	n, err := NewTTL(c, root+"/svc", time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(ctx)
	if err := n.WaitForInitialCreate(ctx); err != nil {
		t.Fatal(err)
	}
	touch := n.Path() + "/" + TouchName
	_, st := waitNode(t, other, touch, "the touch child", func(ok bool, _ []byte, _ client.Stat) bool { return ok })
	zktest.Expire(t, c)
	waitNode(t, other, touch, "a touch on the new session", func(ok bool, _ []byte, s client.Stat) bool {
		return ok && s.Mzxid > st.Mzxid && c.Session().Generation() > 1
	})
	if err := n.Err(); err != nil {
		t.Fatal(err)
	}
}
