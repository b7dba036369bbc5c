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
