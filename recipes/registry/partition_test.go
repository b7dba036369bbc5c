package registry

import (
	"context"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// Fault: a registered instance is cut off from the majority (every
// zktest.Partition kind). Expectation: once its session expires
// on the servers, consumers on the majority see the instance go; once the
// Registry (WithRedial) learns of the expiry, at the latest after healing,
// it opens a new session and registers the instance again, and consumers
// see it back.
func TestFaultRegistryPartitionedInstance(t *testing.T) {
	zktest.Partitions(t, testRegistryPartitionedInstance)
}

func testRegistryPartitionedInstance(t *testing.T, p *zktest.Partition) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	c := p.Dial(t, client.WithSessionRenewal(false)) // WithRedial redials when the Conn ends
	reg, dials := redialing(t, c, base)
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

	p.Cut(t)
	waitList(t, changes) // the session expired on the majority: the instance is gone
	p.Heal(t)
	zktest.Wait(t, dials, 30*time.Second, "the Registry to dial a new session")
	waitList(t, changes, "one")
}
