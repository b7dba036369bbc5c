package server_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/core/znode"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

// startEnsemble starts the ensemble a cluster test runs against through
// the same machinery as every other package's tests (ensembletest: stopped
// at cleanup, replicas compared once a passing test is over, logs printed
// when it fails), with the settings core/server's tests share: sessions of
// 200ms to 30s, containers reaped within 100ms, and the digest super user
// super:secret.
func startEnsemble(t *testing.T, opts ...ensemble.Option) *ensemble.Ensemble {
	t.Helper()
	return ensembletest.Start(t, append([]ensemble.Option{
		ensemble.WithSessionTimeouts(200*time.Millisecond, 30*time.Second),
		ensemble.WithServerConfig(func(_ uint64, c *server.Config) {
			c.SuperDigest = znode.DigestID("super:secret")
			c.ContainerCheckInterval = 100 * time.Millisecond
		}),
	}, opts...)...)
}

// single starts a one-server ensemble (standalone) with opts.
func single(t *testing.T, opts ...ensemble.Option) *ensemble.Ensemble {
	t.Helper()
	return startEnsemble(t, append([]ensemble.Option{ensemble.WithSize(1)}, opts...)...)
}

// withConfig adjusts every server's configuration.
func withConfig(f func(c *server.Config)) ensemble.Option {
	return ensemble.WithServerConfig(func(_ uint64, c *server.Config) { f(c) })
}

// withLogs also sends every server's log records to logs (the test's log
// buffer keeps them too).
func withLogs(logs *server.LogRecorder) ensemble.Option {
	return ensemble.WithServerConfig(func(_ uint64, c *server.Config) {
		c.Logger = slog.New(slog.NewMultiHandler(c.Logger.Handler(), logs))
	})
}

// withSnapCount sets every server's SnapCount.
func withSnapCount(n int) ensemble.Option {
	return ensemble.WithServerConfig(func(_ uint64, c *server.Config) { c.SnapCount = n })
}

// testContext is a context that ends after d or with the test.
func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// must fails the test on an ensemble error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// waitServing waits until every running server serves under one leader
// and returns the leader's index.
func waitServing(t *testing.T, e *ensemble.Ensemble) int {
	t.Helper()
	ctx := testContext(t, ensembletest.Timeout)
	must(t, e.WaitServing(ctx))
	l, err := e.WaitLeader(ctx)
	must(t, err)
	return l
}

// waitConverged waits until the running servers hold the same tree.
func waitConverged(t *testing.T, e *ensemble.Ensemble) {
	t.Helper()
	if err := e.WaitConverged(testContext(t, ensembletest.Timeout)); err != nil {
		t.Fatalf("replicas did not converge: %v (digests %v)", err, e.Digests())
	}
}

// restart restarts killed or stopped server i.
func restart(t *testing.T, e *ensemble.Ensemble, i int) {
	t.Helper()
	must(t, e.Restart(testContext(t, ensembletest.Timeout), i))
}

// The internal tests' client helpers (export_test.go).
var (
	dialClient = server.DialClient
	waitFor    = server.WaitFor
	mustCreate = server.MustCreate
)
