package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/zabkit/zabkit/core/zab"
)

// metrics are the server's counters, updated lock-free or under mu.
type metrics struct {
	mu         sync.Mutex
	reqCount   int64
	reqTotal   time.Duration
	reqMin     time.Duration
	reqMax     time.Duration
	fsyncCount int64
	fsyncTotal time.Duration
	fsyncMax   time.Duration
	electLast  time.Duration
	elections  int64
	throttled  atomic.Int64
	packetsIn  atomic.Int64
	packetsOut atomic.Int64
}

func (m *metrics) request(d time.Duration) {
	m.mu.Lock()
	if m.reqCount == 0 || d < m.reqMin {
		m.reqMin = d
	}
	m.reqMax = max(m.reqMax, d)
	m.reqCount++
	m.reqTotal += d
	m.mu.Unlock()
}

func (m *metrics) fsync(d time.Duration) {
	m.mu.Lock()
	m.fsyncCount++
	m.fsyncTotal += d
	m.fsyncMax = max(m.fsyncMax, d)
	m.mu.Unlock()
}

func (m *metrics) election(d time.Duration) {
	m.mu.Lock()
	m.elections++
	m.electLast = d
	m.mu.Unlock()
}

func (m *metrics) reset() {
	m.mu.Lock()
	m.reqCount, m.reqTotal, m.reqMin, m.reqMax = 0, 0, 0, 0
	m.fsyncCount, m.fsyncTotal, m.fsyncMax = 0, 0, 0
	m.mu.Unlock()
}

// Stats is a snapshot of a server's metrics, for monitoring (mntr, a
// Prometheus exporter).
type Stats struct {
	ID       uint64
	State    zab.State
	Epoch    uint32
	Leader   uint64
	Serving  bool
	LastZxid int64

	// Requests answered since start (or the last srst), and their latency.
	Requests       int64
	LatencyMin     time.Duration
	LatencyAvg     time.Duration
	LatencyMax     time.Duration
	Outstanding    int // requests received and not yet answered
	Throttled      int64
	Connections    int
	ZnodeCount     int64
	WatchCount     int // (path, watcher) pairs, data and child
	SessionCount   int
	EphemeralCount int

	Fsyncs       int64
	FsyncAvg     time.Duration
	FsyncMax     time.Duration
	Elections    int64
	LastElection time.Duration // time from LOOKING to serving, last time
	Uptime       time.Duration
}

// Stats returns the server's current metrics.
func (s *Server) Stats() Stats {
	st := s.State()
	out := Stats{ID: s.cfg.ID, State: st.State, Epoch: st.Epoch, Leader: st.Leader, Serving: st.Serving,
		LastZxid: st.LastZxid, Uptime: time.Since(s.start)}
	m := &s.metrics
	m.mu.Lock()
	out.Requests, out.LatencyMin, out.LatencyMax = m.reqCount, m.reqMin, m.reqMax
	if m.reqCount > 0 {
		out.LatencyAvg = m.reqTotal / time.Duration(m.reqCount)
	}
	out.Fsyncs, out.FsyncMax = m.fsyncCount, m.fsyncMax
	if m.fsyncCount > 0 {
		out.FsyncAvg = m.fsyncTotal / time.Duration(m.fsyncCount)
	}
	out.Elections, out.LastElection = m.elections, m.electLast
	m.mu.Unlock()
	out.Throttled = m.throttled.Load()
	s.connMu.Lock()
	out.Connections = len(s.conns)
	cs := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		cs = append(cs, c)
	}
	s.connMu.Unlock()
	for _, c := range cs {
		c.mu.Lock()
		out.Outstanding += len(c.pending)
		c.mu.Unlock()
	}
	s.treeMu.RLock()
	out.ZnodeCount = s.tree.NodeCount()
	dw, cw := s.tree.WatchCount()
	out.WatchCount = dw + cw
	sess := s.tree.Sessions()
	out.SessionCount = len(sess)
	for id := range sess {
		out.EphemeralCount += len(s.tree.Ephemerals(id, ""))
	}
	s.treeMu.RUnlock()
	return out
}

// connStats are per-connection counters (cons).
type connStats struct {
	start    time.Time
	received atomic.Int64
	sent     atomic.Int64
}

func (c *connStats) init() { c.start = time.Now() }
