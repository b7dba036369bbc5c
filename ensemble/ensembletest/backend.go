package ensembletest

import (
	"os"
	"sync"
	"testing"

	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/ensemble/bridge"
)

// ServersEnv names the environment variable with the connect string of an
// external ensemble (Apache ZooKeeper or a zabkit cluster) for the tests
// to run against instead of their own in-process ensembles.
const ServersEnv = "ZABKIT_ZK_SERVERS"

// External returns ZABKIT_ZK_SERVERS: the external ensemble the tests use,
// or "" when every test runs its own in-process ensemble.
func External() string { return os.Getenv(ServersEnv) }

// backends maps a running test to its backend.
var backends sync.Map // testing.TB -> *ensemble.Backend

// Use returns the test's backend: the external ensemble when
// ZABKIT_ZK_SERVERS is set, otherwise an in-process ensemble started by
// Start with opts on the test's first call and stopped at its cleanup.
// Later calls in the same test return the same backend (their opts are
// ignored), so helpers can each ask for it.
func Use(t testing.TB, opts ...ensemble.Option) *ensemble.Backend {
	t.Helper()
	if b, ok := backends.Load(t); ok {
		return b.(*ensemble.Backend)
	}
	b := &ensemble.Backend{Servers: External()}
	if b.Servers == "" {
		e := Start(t, opts...)
		b = &ensemble.Backend{Servers: e.Servers(), Ensemble: e}
	}
	backends.Store(t, b)
	t.Cleanup(func() { backends.Delete(t) })
	return b
}

// InProcess returns the test's in-process ensemble (as Use), for faults
// only it can inject (killing servers, partitions between servers,
// pauses, expiring a session at once). It skips the test when
// ZABKIT_ZK_SERVERS names an external ensemble.
func InProcess(t testing.TB, opts ...ensemble.Option) *ensemble.Ensemble {
	t.Helper()
	if s := External(); s != "" {
		t.Skipf("fault test needs the in-process ensemble (%s=%s is set)", ServersEnv, s)
	}
	return Use(t, opts...).Ensemble
}

// RequireExternal returns ZABKIT_ZK_SERVERS, or skips the test when it is
// not set: for tests that compare with Apache ZooKeeper itself.
func RequireExternal(t testing.TB) string {
	t.Helper()
	s := External()
	if s == "" {
		t.Skipf("set %s to a ZooKeeper connect string (e.g. 127.0.0.1:2181,127.0.0.1:2182) to run this against it", ServersEnv)
	}
	return s
}

// Link starts a bridge.Link to every server of connect string servers
// (in-process or external alike) and closes it at cleanup. Clients dialled
// to its Servers() go through the bridges, whose faults (cut, blackhole,
// cut after a request, delay) hit their connections only.
func Link(t testing.TB, servers string) *bridge.Link {
	t.Helper()
	l, err := bridge.NewLink(servers)
	if err != nil {
		t.Fatalf("ensembletest: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}
