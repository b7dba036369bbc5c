package zktest

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

// ensembles maps a running test to its in-process ensemble.
var ensembles sync.Map // testing.TB -> *ensemble.Ensemble

// External returns ZABKIT_ZK_SERVERS: the external ensemble the tests use,
// or "" when every test runs its own in-process ensemble.
func External() string { return os.Getenv(ServersEnv) }

// InProcess returns the test's in-process ensemble, for faults only it can
// inject (partitions, pauses). It skips the test on an external ensemble.
func InProcess(t testing.TB) *ensemble.Ensemble {
	t.Helper()
	if External() != "" {
		t.Skipf("fault test needs the in-process ensemble (%s is set)", ServersEnv)
	}
	return ensembleOf(t)
}

// ensembleOf returns t's in-process ensemble, starting it on first use: 3
// voters, 10ms ticks, a leader noticed dead within 300ms, empty
// containers reaped within 100ms.
func ensembleOf(t testing.TB) *ensemble.Ensemble {
	t.Helper()
	if e, ok := ensembles.Load(t); ok {
		return e.(*ensemble.Ensemble)
	}
	e := ensembletest.Start(t,
		ensemble.WithSessionTimeouts(100*time.Millisecond, time.Minute),
		ensemble.WithServerConfig(func(_ uint64, c *server.Config) {
			c.ContainerCheckInterval = 100 * time.Millisecond // as scripts/zk-ensemble.sh's 200ms
		}))
	ensembles.Store(t, e)
	t.Cleanup(func() { ensembles.Delete(t) })
	return e
}
