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

// inProcessServer runs `zabkit server cfg` in this process; stop ends it
// as SIGTERM would and returns its result.
func inProcessServer(t *testing.T, cfg string, logs *lockedBuffer) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	env := &environ{stdin: strings.NewReader(""), stdout: logs, stderr: logs}
	done := make(chan error, 1)
	go func() { done <- run(ctx, env, []string{"server", cfg}) }()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("the server command did not return after its context ended")
		}
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// filesByKind lists dir's files: "log" for log segments, "snap" for
// snapshots, other names as they are.
func filesByKind(t *testing.T, dir string) map[string]int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string]int{}
	for _, e := range ents {
		kind := e.Name()
		switch {
		case strings.HasPrefix(kind, "log."):
			kind = "log"
		case strings.HasPrefix(kind, "snap."):
			kind = "snap"
		}
		out[kind]++
	}
	return out
}

// TestDataLogDir starts a server from a zoo.cfg whose dataLogDir differs
// from dataDir: the transaction log goes to dataLogDir/zabkit, snapshots
// and epochs to dataDir/zabkit, and a restart from the same directories
// has the data. The directories swapped are refused.
func TestDataLogDir(t *testing.T) {
	logs := &lockedBuffer{}
	defer func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", logs.String())
		}
	}()
	root := t.TempDir()
	dataDir, logDir := filepath.Join(root, "data"), filepath.Join(root, "txnlog")
	ports := freePorts(t, 1)
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	zooCfg := func(name, dataDir, logDir string) string {
		cfg := filepath.Join(root, name)
		require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(
			"tickTime=100\ndataDir=%s\ndataLogDir=%s\nclientPortAddress=127.0.0.1\nclientPort=%d\nsnapCount=4\n",
			dataDir, logDir, ports[0])), 0o644))
		return cfg
	}
	cfg := zooCfg("zoo.cfg", dataDir, logDir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	stop := inProcessServer(t, cfg, logs)
	c, err := client.Dial(ctx, addr)
	require.NoError(t, err)
	for i := range 10 { // past snapCount: a snapshot too
		_, _, err = c.Create(ctx, fmt.Sprintf("/n%d", i), []byte(fmt.Sprint("value ", i)), client.ModePersistent, nil)
		require.NoError(t, err)
	}
	require.NoError(t, c.Close(ctx))
	require.NoError(t, stop())
	assert.NotContains(t, logs.String(), "dataLogDir is not used")
	assert.Contains(t, logs.String(), "dataLogDir="+filepath.Join(logDir, "zabkit"), "the started line names the log directory")

	inLog, inData := filesByKind(t, filepath.Join(logDir, "zabkit")), filesByKind(t, filepath.Join(dataDir, "zabkit"))
	assert.Positive(t, inLog["log"], "log segments in dataLogDir/zabkit: %v", inLog)
	assert.Len(t, inLog, 1, "dataLogDir/zabkit holds only log segments: %v", inLog)
	assert.Zero(t, inData["log"], "no log segment in dataDir/zabkit: %v", inData)
	assert.Equal(t, 1, inData["epochs"], "the epochs live in dataDir/zabkit: %v", inData)
	assert.Positive(t, inData["snap"], "snapshots (every snapCount txns) live in dataDir/zabkit: %v", inData)

	// Restart from the same directories.
	stop = inProcessServer(t, cfg, logs)
	c, err = client.Dial(ctx, addr)
	require.NoError(t, err)
	for i := range 10 {
		data, _, err := c.Get(ctx, fmt.Sprintf("/n%d", i))
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint("value ", i), string(data))
	}
	_, _, err = c.Create(ctx, "/after-restart", nil, client.ModePersistent, nil)
	require.NoError(t, err)
	require.NoError(t, c.Close(ctx))
	require.NoError(t, stop())
	inData = filesByKind(t, filepath.Join(dataDir, "zabkit"))
	assert.Zero(t, inData["log"], "no log segment in dataDir/zabkit after the restart: %v", inData)

	// dataDir and dataLogDir swapped: refused before anything is lost.
	swapped := zooCfg("swapped.cfg", logDir, dataDir)
	env := &environ{stdin: strings.NewReader(""), stdout: logs, stderr: logs}
	err = run(ctx, env, []string{"server", swapped})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "check the data and log directory settings")
}
