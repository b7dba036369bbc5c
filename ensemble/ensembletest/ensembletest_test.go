package ensembletest_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

// fakeT records what the helper does with its testing.TB.
type fakeT struct {
	testing.TB
	cleanups []func()
	failed   bool
	logs     strings.Builder
}

func (f *fakeT) Helper()                 {}
func (f *fakeT) Cleanup(fn func())       { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) Failed() bool            { return f.failed }
func (f *fakeT) Logf(s string, a ...any) { fmt.Fprintf(&f.logs, s+"\n", a...) }
func (f *fakeT) Errorf(s string, a ...any) {
	f.failed = true
	f.Logf(s, a...)
}

func (f *fakeT) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestCleanupStopsTheEnsemble(t *testing.T) {
	var addr string
	t.Run("uses an ensemble", func(t *testing.T) {
		e := ensembletest.Start(t, ensemble.WithSize(1))
		c := ensembletest.Connect(t, e)
		_, _, err := c.Create(context.Background(), "/x", nil, client.ModePersistent, nil)
		require.NoError(t, err)
		addr = e.ClientAddr(0)
	})
	_, err := net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err, "the server's port is closed after the test")
}

func TestLogsPrintedOnlyOnFailure(t *testing.T) {
	passing := &fakeT{TB: t}
	ensembletest.Start(passing)
	passing.runCleanups()
	assert.False(t, passing.failed)
	assert.Empty(t, passing.logs.String(), "a passing test prints nothing")

	failing := &fakeT{TB: t}
	ensembletest.Start(failing)
	failing.failed = true // the test failed
	failing.runCleanups()
	out := failing.logs.String()
	assert.Contains(t, out, "ensemble logs:")
	assert.Contains(t, out, `msg="ensemble started"`)
	assert.Contains(t, out, `msg="ensemble closed"`)
}

func TestUseStartsOneEnsemblePerTest(t *testing.T) {
	t.Setenv(ensembletest.ServersEnv, "")
	b := ensembletest.Use(t, ensemble.WithSize(1))
	require.NotNil(t, b.Ensemble)
	assert.False(t, b.External())
	assert.Equal(t, b.Ensemble.Servers(), b.Servers)
	assert.Same(t, b, ensembletest.Use(t), "a second call returns the test's backend")
	assert.Same(t, b.Ensemble, ensembletest.InProcess(t))
	var other *ensemble.Backend
	t.Run("another test", func(t *testing.T) { other = ensembletest.Use(t, ensemble.WithSize(1)) })
	assert.NotSame(t, b.Ensemble, other.Ensemble)
}

func TestUseTakesTheExternalEnsemble(t *testing.T) {
	t.Setenv(ensembletest.ServersEnv, "127.0.0.1:1,127.0.0.1:2")
	b := ensembletest.Use(t)
	assert.True(t, b.External())
	assert.Equal(t, "127.0.0.1:1,127.0.0.1:2", b.Servers)
	assert.Equal(t, b.Servers, ensembletest.RequireExternal(t))
	skipped := t.Run("in-process only", func(t *testing.T) {
		ensembletest.InProcess(t)
		t.Error("InProcess did not skip")
	})
	assert.True(t, skipped)
}

func TestRequireExternalSkipsWithoutOne(t *testing.T) {
	t.Setenv(ensembletest.ServersEnv, "")
	var ran bool
	t.Run("external only", func(t *testing.T) {
		ensembletest.RequireExternal(t)
		ran = true
	})
	assert.False(t, ran, "RequireExternal skips when ZABKIT_ZK_SERVERS is unset")
}

func TestLinkCutsAClientOffTheEnsemble(t *testing.T) {
	t.Setenv(ensembletest.ServersEnv, "")
	e := ensembletest.Use(t, ensemble.WithSize(1))
	l := ensembletest.Link(t, e.Servers)
	ctx, cancel := context.WithTimeout(context.Background(), ensembletest.Timeout)
	defer cancel()
	c, err := client.Dial(ctx, l.Servers(), client.WithSessionTimeout(10*time.Second))
	require.NoError(t, err)
	defer c.Close(context.Background())
	states := c.States(ctx)
	require.Equal(t, client.StateConnected, <-states)
	l.Cut()
	require.Equal(t, client.StateDisconnected, <-states)
	l.Heal()
	for s := range states { // Connecting while refused, then Connected
		require.False(t, s.Terminal(), "state %v", s)
		if s == client.StateConnected {
			break
		}
	}
	_, _, err = c.Create(ctx, "/after-heal", nil, client.ModeEphemeral, nil)
	require.NoError(t, err)
}
