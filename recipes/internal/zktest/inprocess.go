package zktest

import (
	"context"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

// External returns ZABKIT_ZK_SERVERS: the external ensemble the tests use,
// or "" when every test runs its own in-process ensemble.
func External() string { return ensembletest.External() }

// InProcess returns the test's in-process ensemble, for faults only it can
// inject (partitions, pauses). It skips the test on an external ensemble.
func InProcess(t testing.TB) *ensemble.Ensemble {
	t.Helper()
	return ensembletest.InProcess(t, inProcessOptions...)
}

// backend returns t's ensemble (ensembletest.Use), starting an in-process
// one on first use.
func backend(t testing.TB) *ensemble.Backend {
	t.Helper()
	return ensembletest.Use(t, inProcessOptions...)
}

// ensembleOf returns t's in-process ensemble; the caller checked that
// External is empty.
func ensembleOf(t testing.TB) *ensemble.Ensemble {
	t.Helper()
	return backend(t).Ensemble
}

// inProcessOptions configure the recipes' in-process ensembles: 3 voters,
// 10ms ticks, a leader noticed dead within 300ms, empty containers reaped
// within 100ms.
var inProcessOptions = []ensemble.Option{
	ensemble.WithSessionTimeouts(100*time.Millisecond, time.Minute),
	ensemble.WithServerConfig(func(_ uint64, c *server.Config) {
		c.ContainerCheckInterval = 100 * time.Millisecond // as scripts/zk-ensemble.sh's 200ms
	}),
}

// PartitionSessionTimeout is the session timeout of DialOnly's sessions:
// short, since partition tests wait for sessions to expire.
const PartitionSessionTimeout = 1500 * time.Millisecond

// DialOnly opens a session to server i of the test's in-process ensemble
// and no other (closed at cleanup), with PartitionSessionTimeout. A client
// moves to another server when its own leaves the quorum; this one cannot,
// so cutting server i off the quorum cuts the session off with it.
func DialOnly(t testing.TB, i int, opts ...client.Option) *client.Conn {
	t.Helper()
	e := InProcess(t)
	c, err := client.Dial(Ctx(t), e.ClientAddr(i),
		append([]client.Option{client.WithSessionTimeout(PartitionSessionTimeout)}, opts...)...)
	if err != nil {
		t.Fatalf("DialOnly(%d): %v", i, err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// Follower returns the index of a follower of the in-process ensemble,
// waiting for a leader first.
func Follower(t testing.TB) int {
	t.Helper()
	e := InProcess(t)
	if _, err := e.WaitLeader(Ctx(t)); err != nil {
		t.Fatalf("waiting for a leader: %v", err)
	}
	f := e.Followers()
	if len(f) == 0 {
		t.Fatal("no follower")
	}
	return f[0]
}

// Others returns every server index of the in-process ensemble but i.
func Others(t testing.TB, i int) []int {
	var out []int
	for j := range InProcess(t).Size() {
		if j != i {
			out = append(out, j)
		}
	}
	return out
}
