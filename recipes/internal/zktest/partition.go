package zktest

import (
	"context"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/ensemble/bridge"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

// Partition is one way of cutting a session off the ensemble's majority,
// for the recipes' partition tests. Two kinds exist:
//
//   - "server": the session's only server is partitioned from the rest of
//     the quorum (in-process ensemble only). The server leaves the quorum
//     and drops its clients at once.
//   - "client": the client's own network is cut (both backends): its
//     connections go through an ensemble/bridge link that is blackholed,
//     so packets on its open connections are dropped silently in both
//     directions and its new connections are refused. Nothing tells the client; it notices
//     only when its read timeout (two thirds of the session timeout)
//     passes without a reply, while the servers, hearing nothing, expire
//     the session after the full timeout.
//
// A test body written against Partition runs under every kind the backend
// supports (see Partitions), so one expectation covers both faults.
type Partition struct {
	Kind string

	e    *ensemble.Ensemble // server kind
	f    int
	link *bridge.Link // client kind
}

// SurvivingSessionTimeout is the session timeout for tests whose session
// must outlive a partition: they heal as soon as the client noticed the
// cut, which under the "client" kind takes two thirds of it, leaving the
// client a third (3s) to reconnect before the servers expire the session.
const SurvivingSessionTimeout = 9 * time.Second

// Partitions runs body once per partition kind the backend supports, each
// as a subtest with its own in-process ensemble (or the external one).
func Partitions(t *testing.T, body func(t *testing.T, p *Partition)) {
	kinds := []string{"client"}
	if External() == "" {
		kinds = append([]string{"server"}, kinds...)
	}
	for _, k := range kinds {
		t.Run(k, func(t *testing.T) { body(t, &Partition{Kind: k, f: -1}) })
	}
}

// Dial opens the session the partition cuts off (closed at cleanup), with
// PartitionSessionTimeout unless opts set another. Every session a test
// dials through the same Partition is cut off together.
func (p *Partition) Dial(t testing.TB, opts ...client.Option) *client.Conn {
	t.Helper()
	if p.Kind == "server" {
		if p.f < 0 {
			p.e, p.f = InProcess(t), Follower(t)
		}
		return DialOnly(t, p.f, opts...)
	}
	if p.link == nil {
		p.link = ensembletest.Link(t, Servers(t))
	}
	opts = append([]client.Option{client.WithSessionTimeout(PartitionSessionTimeout)}, opts...)
	c, err := client.Dial(Ctx(t), p.link.Servers(), opts...)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// Cut starts the partition.
func (p *Partition) Cut(t testing.TB) {
	t.Helper()
	if p.Kind == "server" {
		if err := p.e.Partition([]int{p.f}, Others(t, p.f)); err != nil {
			t.Fatal(err)
		}
		return
	}
	p.link.Blackhole()
}

// Heal ends the partition.
func (p *Partition) Heal(t testing.TB) {
	t.Helper()
	if p.Kind == "server" {
		if err := p.e.Heal(); err != nil {
			t.Fatal(err)
		}
		return
	}
	p.link.Heal()
}
