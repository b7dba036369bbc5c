package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/core/zab"
)

func TestWriteMetrics(t *testing.T) {
	st := server.Stats{
		ID: 2, State: zab.StateFollowing, Epoch: 3, Leader: 1, Serving: true, LastZxid: 0x300000007,
		Requests: 4, LatencyMin: 500 * time.Microsecond, LatencyAvg: 2 * time.Millisecond, LatencyMax: 5 * time.Millisecond,
		Outstanding: 1, Throttled: 2, Connections: 3, ZnodeCount: 42, WatchCount: 6, SessionCount: 5, EphemeralCount: 2,
		Fsyncs: 10, FsyncAvg: 1500 * time.Microsecond, FsyncMax: 9 * time.Millisecond,
		Elections: 2, LastElection: 250 * time.Millisecond, Uptime: time.Minute,
	}
	var b strings.Builder
	require.NoError(t, writeMetrics(&b, st, false))
	out := b.String()
	for _, want := range []string{
		"# TYPE znode_count gauge\nznode_count 42\n",
		"watch_count 6\n",
		"ephemerals_count 2\n",
		"global_sessions 5\n",
		"num_alive_connections 3\n",
		"outstanding_requests 1\n",
		"avg_latency 2\n",
		"min_latency 0.5\n",
		"max_latency 5\n",
		"# TYPE request_latency summary\nrequest_latency_sum 8\nrequest_latency_count 4\n",
		"# TYPE request_throttle_wait_count counter\nrequest_throttle_wait_count 2\n",
		"# TYPE fsynctime summary\nfsynctime_sum 15\nfsynctime_count 10\n",
		"max_fsynctime 9\n",
		"election_time 250\n",
		"election_count 2\n",
		"uptime 60000\n",
		"last_zxid 12884901895\n",
		"epoch 3\n",
		`server_state{state="follower"} 1` + "\n",
		`server_state{state="leader"} 0` + "\n",
	} {
		assert.Contains(t, out, want)
	}
	// Every sample line belongs to a family announced by # TYPE.
	families := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if f, ok := strings.CutPrefix(l, "# TYPE "); ok {
			families[strings.Fields(f)[0]] = true
			continue
		}
		if strings.HasPrefix(l, "#") {
			continue
		}
		name := strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == '{' })[0]
		base := strings.TrimSuffix(strings.TrimSuffix(name, "_sum"), "_count")
		assert.True(t, families[name] || families[base], "sample %q without a TYPE line", l)
	}
}

func TestServerStateName(t *testing.T) {
	assert.Equal(t, "standalone", serverStateName(zab.StateLeading, true))
	assert.Equal(t, "leader", serverStateName(zab.StateLeading, false))
	assert.Equal(t, "follower", serverStateName(zab.StateFollowing, false))
	assert.Equal(t, "observer", serverStateName(zab.StateObserving, false))
	assert.Equal(t, "looking", serverStateName(zab.StateLooking, false))
}

// The log line names a URL that works from the same machine: a wildcard
// listen address (IPv4 or IPv6) becomes localhost, any other host stays.
func TestMetricsURL(t *testing.T) {
	for addr, want := range map[string]string{
		"0.0.0.0:7000":       "http://localhost:7000/metrics",
		"[::]:7111":          "http://localhost:7111/metrics",
		":7000":              "http://localhost:7000/metrics",
		"127.0.0.1:7001":     "http://127.0.0.1:7001/metrics",
		"[::1]:7002":         "http://[::1]:7002/metrics",
		"10.0.0.7:7003":      "http://10.0.0.7:7003/metrics",
		"[2001:db8::1]:7004": "http://[2001:db8::1]:7004/metrics",
	} {
		assert.Equal(t, want, metricsURL(addr), addr)
	}
}
