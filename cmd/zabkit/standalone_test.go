package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/client"
)

// TestStandaloneRestart runs `zabkit server` from a zoo.cfg without
// server.N lines, writes, stops it with SIGTERM, and starts it again from
// the same dataDir: the data is still there. It does the same stopping the
// server with SIGINT. It also scrapes the Prometheus endpoint.
func TestStandaloneRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logs := &lockedBuffer{}
	defer func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", logs.String())
		}
	}()
	dir := t.TempDir()
	ports := freePorts(t, 2)
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	cfg := filepath.Join(dir, "zoo.cfg")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`tickTime=100
dataDir=%s
clientPortAddress=127.0.0.1
clientPort=%d
4lw.commands.whitelist=srvr, ruok
metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
metricsProvider.httpHost=127.0.0.1
metricsProvider.httpPort=%d
authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider
`, filepath.Join(dir, "data"), ports[0], ports[1])), 0o644))

	p := startProc(t, "standalone", cfg, addr, logs)
	require.NoError(t, poll(ctx, "the server to serve", []*proc{p}, func() bool {
		f, err := srvr(ctx, addr)
		return err == nil && f["Mode"] == "standalone"
	}))
	ruok, err := fourLetter(ctx, addr, "ruok")
	require.NoError(t, err)
	assert.Equal(t, "imok", ruok)
	stat, err := fourLetter(ctx, addr, "stat")
	require.NoError(t, err)
	assert.Equal(t, "stat is not executed because it is not in the whitelist.\n", stat, "4lw.commands.whitelist is honoured")

	c, err := client.Dial(ctx, addr)
	require.NoError(t, err)
	_, _, err = c.Create(ctx, "/kept", []byte("across restarts"), client.ModePersistent, nil)
	require.NoError(t, err)

	body := scrape(ctx, t, fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[1]))
	for _, want := range []string{"# TYPE znode_count gauge\n", "global_sessions 1\n", "# TYPE fsynctime summary\n",
		"avg_latency ", "outstanding_requests ", "watch_count ", "election_time ", `server_state{state="standalone"} 1`} {
		assert.Contains(t, body, want)
	}
	require.NoError(t, c.Close(ctx))

	require.NoError(t, p.terminate(ctx), "SIGTERM ends the server with status 0")
	assert.Contains(t, logs.String(), "shutting down")
	assert.Equal(t, 1, strings.Count(logs.String(), "key=authProvider.1"), "an ignored key is logged once")

	// Restarted from the same dataDir, the server has the data; SIGINT
	// (Ctrl-C) stops it as gracefully as SIGTERM, and the next restart
	// has everything too.
	restart := func(name string) *client.Conn {
		p = startProc(t, name, cfg, addr, logs)
		require.NoError(t, poll(ctx, name+" to serve", []*proc{p}, func() bool {
			f, err := srvr(ctx, addr)
			return err == nil && f["Mode"] == "standalone"
		}))
		c, err := client.Dial(ctx, addr)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close(context.Background()) })
		return c
	}
	c = restart("standalone-restarted")
	data, _, err := c.Get(ctx, "/kept")
	require.NoError(t, err)
	assert.Equal(t, "across restarts", string(data))
	_, _, err = c.Create(ctx, "/kept-after-sigint", []byte("too"), client.ModePersistent, nil)
	require.NoError(t, err)
	require.NoError(t, c.Close(ctx))
	require.NoError(t, p.stop(ctx, os.Interrupt), "SIGINT ends the server with status 0")
	assert.Equal(t, 2, strings.Count(logs.String(), `msg="shutting down"`), "SIGINT shuts down as SIGTERM does")

	c = restart("standalone-restarted-after-sigint")
	for path, want := range map[string]string{"/kept": "across restarts", "/kept-after-sigint": "too"} {
		data, _, err := c.Get(ctx, path)
		require.NoError(t, err, path)
		assert.Equal(t, want, string(data), path)
	}
	require.NoError(t, c.Close(ctx))
	require.NoError(t, p.terminate(ctx))
}

func scrape(ctx context.Context, t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, promContentType, resp.Header.Get("Content-Type"))
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}
