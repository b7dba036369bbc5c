package registry

import (
	"context"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// Fault: a registered instance's only server is partitioned from the
// quorum (in-process ensemble only). Expectation: once its session expires
// on the servers, consumers on the majority see the instance go; once the
// Registry (WithRedial) learns of the expiry, at the latest after healing,
// it opens a new session and registers the instance again, and consumers
// see it back.
func TestFaultRegistryPartitionedInstance(t *testing.T) {
	e := zktest.InProcess(t)
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	f := zktest.Follower(t)
	c := zktest.DialOnly(t, f)
	dials := make(chan *client.Conn, 4)
	reg := New(c, base, WithRedial(func(ctx context.Context) (*client.Conn, error) {
		nc, err := client.Dial(ctx, zktest.Servers(t), client.WithSessionTimeout(zktest.SessionTimeout))
		if err == nil {
			dials <- nc
		}
		return nc, err
	}))
	defer reg.Close(ctx)
	if err := reg.Register(ctx, Instance{Name: "svc", ID: "one", Address: "h"}); err != nil {
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

	if err := e.Partition([]int{f}, zktest.Others(t, f)); err != nil {
		t.Fatal(err)
	}
	waitList(t, changes) // the session expired on the majority: the instance is gone
	if err := e.Heal(); err != nil {
		t.Fatal(err)
	}
	zktest.Wait(t, dials, 30*time.Second, "the Registry to dial a new session")
	waitList(t, changes, "one")
}
