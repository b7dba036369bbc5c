package main

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/core/zab"
)

// ms converts a duration to milliseconds, ZooKeeper's unit for latencies.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// writeMetrics writes st in the Prometheus text format under the names
// ZooKeeper's PrometheusMetricsProvider uses (znode_count, watch_count,
// avg_latency, fsynctime, election_time...), so dashboards made for
// ZooKeeper keep working.
func writeMetrics(w io.Writer, st server.Stats, standalone bool) error {
	p := &promWriter{w: w}
	p.gauge("znode_count", "Number of znodes in the data tree", float64(st.ZnodeCount))
	p.gauge("watch_count", "Number of watches (path, watcher pairs) set by clients", float64(st.WatchCount))
	p.gauge("ephemerals_count", "Number of ephemeral znodes", float64(st.EphemeralCount))
	p.gauge("global_sessions", "Number of open sessions", float64(st.SessionCount))
	p.gauge("num_alive_connections", "Number of client connections to this server", float64(st.Connections))
	p.gauge("outstanding_requests", "Requests received and not yet answered", float64(st.Outstanding))
	p.gauge("avg_latency", "Average request latency in ms since start or the last srst", ms(st.LatencyAvg))
	p.gauge("min_latency", "Minimum request latency in ms since start or the last srst", ms(st.LatencyMin))
	p.gauge("max_latency", "Maximum request latency in ms since start or the last srst", ms(st.LatencyMax))
	p.summary("request_latency", "Latency of answered requests in ms (sum and count since start or the last srst)",
		nil, ms(st.LatencyAvg)*float64(st.Requests), uint64(max(st.Requests, 0)))
	p.counter("request_throttle_wait_count", "Times a connection was throttled for having too many requests outstanding",
		float64(st.Throttled))
	p.summary("fsynctime", "Time to fsync the transaction log in ms (sum and count)",
		nil, ms(st.FsyncAvg)*float64(st.Fsyncs), uint64(max(st.Fsyncs, 0)))
	p.gauge("max_fsynctime", "Longest fsync of the transaction log in ms", ms(st.FsyncMax))
	p.gauge("election_time", "Duration of the last leader election in ms, from LOOKING to serving", ms(st.LastElection))
	p.counter("election_count", "Leader elections this server went through", float64(st.Elections))
	p.gauge("uptime", "Time since the server started in ms", ms(st.Uptime))
	p.gauge("last_zxid", "Last zxid applied", float64(st.LastZxid))
	p.gauge("epoch", "Epoch of the current leader's session", float64(st.Epoch))
	state := serverStateName(st.State, standalone)
	var samples []labelled
	for _, s := range []string{"leader", "follower", "observer", "standalone", "looking"} {
		v := 0.0
		if s == state {
			v = 1
		}
		samples = append(samples, labelled{labels: map[string]string{"state": s}, value: v})
	}
	p.gaugeVec("server_state", "1 for the server's current state (mntr's zk_server_state)", samples)
	return p.err
}

// serverStateName is the state as mntr's zk_server_state spells it.
func serverStateName(s zab.State, standalone bool) string {
	switch {
	case standalone && s == zab.StateLeading:
		return "standalone"
	case s == zab.StateLeading:
		return "leader"
	case s == zab.StateFollowing:
		return "follower"
	case s == zab.StateObserving:
		return "observer"
	}
	return "looking"
}

// metricsHandler serves srv's Stats in the Prometheus text format.
func metricsHandler(srv *server.Server, standalone bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		if err := writeMetrics(&b, srv.Stats(), standalone); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", promContentType)
		_, _ = w.Write(b.Bytes())
	})
}
