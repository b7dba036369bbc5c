package server

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zabkit/zabkit/core/zab"
)

// version is what srvr, stat, mntr and envi report.
const version = "3.8.4-zabkit"

var fourLetterWords = map[string]bool{"ruok": true, "srvr": true, "stat": true, "mntr": true, "conf": true,
	"cons": true, "crst": true, "srst": true, "envi": true, "wchs": true, "wchc": true, "wchp": true,
	"dump": true, "isro": true}

func isFourLetterWord(s string) bool { return fourLetterWords[s] }

// whitelisted applies 4lw.commands.whitelist (default: srvr only).
func (s *Server) whitelisted(cmd string) bool {
	wl := s.cfg.FourLetterWhitelist
	if wl == nil {
		wl = []string{"srvr"}
	}
	return slices.Contains(wl, "*") || slices.Contains(wl, cmd)
}

// fourLetter answers a four-letter word and closes the connection, as
// ZooKeeper's NIOServerCnxn does.
func (c *conn) fourLetter(cmd string) {
	s := c.s
	var out string
	switch {
	case !s.whitelisted(cmd):
		out = cmd + " is not executed because it is not in the whitelist.\n"
	case !s.serving.Load() && !slices.Contains([]string{"ruok", "isro", "envi", "conf", "srst", "crst"}, cmd):
		out = "This ZooKeeper instance is not currently serving requests\n"
	default:
		out = s.fourLetterText(cmd, c)
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.nc.Write([]byte(out))
	s.log.Debug("four-letter word", "cmd", cmd, "remote", c.nc.RemoteAddr())
}

func (s *Server) mode() string {
	st := s.State()
	if len(s.cfg.Peers) == 1 {
		return "standalone"
	}
	switch st.State {
	case zab.StateLeading:
		return "leader"
	case zab.StateFollowing:
		return "follower"
	case zab.StateObserving:
		return "observer"
	}
	return "looking"
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (s *Server) fourLetterText(cmd string, self *conn) string {
	var b strings.Builder
	st := s.Stats()
	srvr := func() {
		fmt.Fprintf(&b, "Latency min/avg/max: %d/%.4f/%d\n", st.LatencyMin.Milliseconds(), ms(st.LatencyAvg), ceilMS(st.LatencyMax))
		fmt.Fprintf(&b, "Received: %d\nSent: %d\nConnections: %d\nOutstanding: %d\n",
			s.metrics.packetsIn.Load(), s.metrics.packetsOut.Load(), st.Connections, st.Outstanding)
		fmt.Fprintf(&b, "Zxid: 0x%x\nMode: %s\nNode count: %d\n", st.LastZxid, s.mode(), st.ZnodeCount)
	}
	switch cmd {
	case "ruok":
		return "imok"
	case "isro":
		return "rw"
	case "srvr":
		fmt.Fprintf(&b, "Zookeeper version: %s\n", version)
		srvr()
	case "stat":
		fmt.Fprintf(&b, "Zookeeper version: %s\nClients:\n", version)
		s.writeCons(&b, self)
		b.WriteString("\n")
		srvr()
	case "cons":
		s.writeCons(&b, nil)
		b.WriteString("\n")
	case "crst":
		s.connMu.Lock()
		for _, c := range s.conns {
			c.stats.received.Store(0)
			c.stats.sent.Store(0)
		}
		s.connMu.Unlock()
		return "Connection stats reset.\n"
	case "srst":
		s.metrics.reset()
		return "Server stats reset.\n"
	case "conf":
		c := s.cfg
		logDir := c.LogDir
		if logDir == "" {
			logDir = c.Dir
		}
		// The keys and their order are ZooKeeper 3.8's (no TLS port, no
		// listen backlog: -1 as ZooKeeper prints when unset).
		fmt.Fprintf(&b, "clientPort=%s\nsecureClientPort=-1\ndataDir=%s\ndataDirSize=%d\ndataLogDir=%s\ndataLogSize=%d\ntickTime=%d\nmaxClientCnxns=%d\nminSessionTimeout=%d\nmaxSessionTimeout=%d\nclientPortListenBacklog=-1\nserverId=%d\ninitLimit=%d\nsyncLimit=%d\nelectionAlg=3\nelectionPort=0\nquorumPort=0\npeerType=%d\nmembership: \n",
			portOf(s.clientAddr), c.Dir, dirSize(c.Dir), logDir, dirSize(logDir), c.TickTime.Milliseconds(), c.MaxClientCnxns, c.MinSessionTimeout.Milliseconds(),
			c.MaxSessionTimeout.Milliseconds(), c.ID, c.InitLimit, c.SyncLimit, boolInt(s.isObserver()))
		for _, p := range c.Peers {
			typ := "participant"
			if p.Observer {
				typ = "observer"
			}
			fmt.Fprintf(&b, "server.%d=%s:%s;%s\n", p.ID, p.PeerAddr, typ, p.ClientAddr)
		}
		b.WriteString("version=0\n")
	case "envi":
		host, _ := os.Hostname()
		fmt.Fprintf(&b, "Environment:\nzookeeper.version=%s\nhost.name=%s\ngo.version=%s\nos.name=%s\nos.arch=%s\nuser.dir=%s\n",
			version, host, runtime.Version(), runtime.GOOS, runtime.GOARCH, wd())
	case "wchs", "wchc", "wchp":
		s.writeWatches(&b, cmd)
	case "dump":
		s.treeMu.RLock()
		sess := s.tree.Sessions()
		ids := make([]int64, 0, len(sess))
		for id := range sess {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		fmt.Fprintf(&b, "SessionTracker dump:\nGlobal Sessions(%d):\n", len(ids))
		for _, id := range ids {
			fmt.Fprintf(&b, "0x%x\t%dms\n", id, sess[id])
		}
		b.WriteString("ephemeral nodes dump:\n")
		var withEph []int64
		for _, id := range ids {
			if len(s.tree.Ephemerals(id, "")) > 0 {
				withEph = append(withEph, id)
			}
		}
		fmt.Fprintf(&b, "Sessions with Ephemerals (%d):\n", len(withEph))
		for _, id := range withEph {
			fmt.Fprintf(&b, "0x%x:\n", id)
			for _, p := range s.tree.Ephemerals(id, "") {
				fmt.Fprintf(&b, "\t%s\n", p)
			}
		}
		s.treeMu.RUnlock()
	case "mntr":
		kv := func(k string, v any) { fmt.Fprintf(&b, "%s\t%v\n", k, v) }
		kv("zk_version", version)
		kv("zk_server_state", s.mode())
		kv("zk_avg_latency", fmt.Sprintf("%.4f", ms(st.LatencyAvg)))
		kv("zk_max_latency", ceilMS(st.LatencyMax))
		kv("zk_min_latency", st.LatencyMin.Milliseconds())
		kv("zk_packets_received", s.metrics.packetsIn.Load())
		kv("zk_packets_sent", s.metrics.packetsOut.Load())
		kv("zk_num_alive_connections", st.Connections)
		kv("zk_outstanding_requests", st.Outstanding)
		kv("zk_znode_count", st.ZnodeCount)
		kv("zk_watch_count", st.WatchCount)
		kv("zk_ephemerals_count", st.EphemeralCount)
		kv("zk_global_sessions", st.SessionCount)
		kv("zk_avg_fsynctime", fmt.Sprintf("%.4f", ms(st.FsyncAvg)))
		kv("zk_election_time_ms", st.LastElection.Milliseconds())
		kv("zk_throttled_ops", st.Throttled)
		kv("zk_uptime", st.Uptime.Milliseconds())
		if open, limit, ok := fileDescriptors(); ok {
			kv("zk_open_file_descriptor_count", open)
			kv("zk_max_file_descriptor_count", limit)
		}
		if st.State == zab.StateLeading {
			zs := s.status.Load() // the driver's latest (s.node is the driver's alone)
			kv("zk_learners", zs.Learners)
			kv("zk_synced_followers", zs.SyncedFollowers)
			kv("zk_synced_non_voting_followers", 0)
			kv("zk_synced_observers", zs.SyncedObservers)
		}
	}
	return b.String()
}

func (s *Server) writeCons(b *strings.Builder, _ *conn) {
	s.connMu.Lock()
	cs := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		cs = append(cs, c)
	}
	s.connMu.Unlock()
	slices.SortFunc(cs, func(a, b *conn) int { return int(a.id) - int(b.id) })
	for _, c := range cs {
		c.mu.Lock()
		q := len(c.pending)
		c.mu.Unlock()
		fmt.Fprintf(b, " /%s[1](queued=%d,recved=%d,sent=%d,sid=0x%x,to=%d)\n", c.nc.RemoteAddr(), q,
			c.stats.received.Load(), c.stats.sent.Load(), c.session.Load(), c.timeout.Load())
	}
}

func (s *Server) isObserver() bool {
	for _, p := range s.cfg.Peers {
		if p.ID == s.cfg.ID {
			return p.Observer
		}
	}
	return false
}

func portOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[i+1:]
	}
	return addr
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func wd() string {
	d, _ := os.Getwd()
	return d
}

// ceilMS rounds a maximum latency up to whole milliseconds: ZooKeeper
// prints min and max as whole milliseconds and the average with four
// decimals; rounding the maximum down would print a 0.4ms average over a
// 0ms maximum.
func ceilMS(d time.Duration) int64 { return int64((d + time.Millisecond - 1) / time.Millisecond) }

// dirSize is the total size of the regular files under dir, as conf's
// dataDirSize and dataLogSize; 0 when dir is empty or unreadable.
func dirSize(dir string) int64 {
	var n int64
	if dir == "" {
		return 0
	}
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// fileDescriptors returns the process's open descriptors and their soft
// limit, read from /proc as ZooKeeper prints them on Unix; ok is false
// where /proc is absent (mntr then omits both keys, as ZooKeeper does
// off Unix).
func fileDescriptors() (open, limit int64, ok bool) {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, 0, false
	}
	limits, err := os.ReadFile("/proc/self/limits")
	if err != nil {
		return 0, 0, false
	}
	for _, l := range strings.Split(string(limits), "\n") {
		if rest, found := strings.CutPrefix(l, "Max open files"); found {
			if f := strings.Fields(rest); len(f) > 0 {
				if v, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return int64(len(fds)), v, true
				}
			}
		}
	}
	return 0, 0, false
}
