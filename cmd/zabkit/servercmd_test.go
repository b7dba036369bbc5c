package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/client"
)

// TestServerCommandStopsOnCancel runs `zabkit server` in process: the
// context main cancels on SIGTERM/SIGINT ends it cleanly, leaving no
// goroutine behind (goleak in TestMain).
func TestServerCommandStopsOnCancel(t *testing.T) {
	dir := t.TempDir()
	ports := freePorts(t, 2)
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	cfg := filepath.Join(dir, "zoo.cfg")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(
		"tickTime=100\ndataDir=%s\nclientPortAddress=127.0.0.1\nclientPort=%d\nmetricsProvider.httpPort=%d\n",
		dir, ports[0], ports[1])), 0o644))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &lockedBuffer{}
	env := &environ{stdin: strings.NewReader(""), stdout: logs, stderr: logs}
	done := make(chan error, 1)
	go func() { done <- run(ctx, env, []string{"server", cfg}) }()

	dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
	defer dcancel()
	c, err := client.Dial(dctx, addr)
	require.NoError(t, err)
	_, _, err = c.Create(dctx, "/in-process", nil, client.ModePersistent, nil)
	require.NoError(t, err)
	require.NoError(t, c.Close(dctx))

	cancel() // what SIGTERM does
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the server command did not return after its context ended")
	}
	assert.Contains(t, logs.String(), `msg="shutting down"`)
	assert.Contains(t, logs.String(), `msg=stopped`)
}
