package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/storage"
	"github.com/zabkit/zabkit/core/znode"
)

// testCluster is an in-process ensemble built from server.New, for the
// few tests that must stay in package server: those that reach into a
// running server (its command loop, session table or lifetime) and those
// that speak the TCP peer transport's handshake. Every other cluster test
// runs on package ensemble (package server_test, ensemble_helpers_test.go).
type testCluster struct {
	t       *testing.T
	cfgs    []Config
	servers []*Server
	net     *MemNetwork
}

type clusterOpt func(*Config)

func testLogger() *slog.Logger {
	if os.Getenv("ZABKIT_SERVER_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

// newCluster starts voters (+observers) servers on the in-memory network
// and storage (tcp: real TCP peer transport) and waits for a leader.
func newCluster(t *testing.T, voters, observers int, tcp bool, opts ...clusterOpt) *testCluster {
	t.Helper()
	n := voters + observers
	tc := &testCluster{t: t, net: NewMemNetwork(1)}
	var peers []Peer
	for i := 1; i <= n; i++ {
		p := Peer{ID: uint64(i), Observer: i > voters}
		if tcp {
			p.PeerAddr = freeAddr(t)
		}
		peers = append(peers, p)
	}
	for i := 1; i <= n; i++ {
		cfg := DefaultConfig(uint64(i))
		cfg.Peers = peers
		cfg.TickTime = 50 * time.Millisecond
		cfg.MinSessionTimeout = 200 * time.Millisecond
		cfg.MaxSessionTimeout = 30 * time.Second
		cfg.ContainerCheckInterval = 100 * time.Millisecond
		cfg.ClientAddr = "127.0.0.1:0"
		cfg.SuperDigest = superDigest
		cfg.FourLetterWhitelist = []string{"*"}
		cfg.MaxClientCnxns = 1000
		cfg.Logger = testLogger()
		cfg.Store = storage.NewMem()
		if !tcp {
			cfg.Network = tc.net
		}
		for _, o := range opts {
			o(&cfg)
		}
		tc.cfgs = append(tc.cfgs, cfg)
		tc.servers = append(tc.servers, nil)
	}
	t.Cleanup(tc.close)
	if n > 1 {
		// Runs before tc.close and after every cleanup the test adds
		// later (those release whatever the test held).
		t.Cleanup(tc.checkConvergedAtEnd)
	}
	for i := range tc.cfgs {
		tc.start(i)
	}
	tc.waitServing()
	return tc
}

// checkConvergedAtEnd checks, once a passing test is over, that the
// replicas' digests match: it heals the network, resumes paused servers
// and waits for the running ones to serve and converge. A cluster left
// without a quorum of running voters is not checked (logged).
func (tc *testCluster) checkConvergedAtEnd() {
	t := tc.t
	if t.Failed() {
		return
	}
	tc.net.Heal()
	voters, running := 0, 0
	for i, s := range tc.servers {
		if tc.cfgs[i].Peers[i].Observer {
			continue
		}
		voters++
		if s != nil {
			running++
		}
	}
	if running <= voters/2 {
		t.Logf("replica digests not checked: %d of %d voters running", running, voters)
		return
	}
	for _, s := range tc.servers {
		if s != nil {
			s.Resume()
		}
	}
	tc.waitServing()
	tc.waitConverged()
}

// superDigest is the digest of super:secret.
var superDigest = znode.DigestID("super:secret")

func freeAddr(t *testing.T) string {
	t.Helper()
	return reserveAddr(t)
}

func (tc *testCluster) start(i int) {
	tc.t.Helper()
	s, err := New(tc.cfgs[i])
	if err != nil {
		tc.t.Fatalf("server %d: New: %v", i+1, err)
	}
	if err := s.Start(context.Background()); err != nil {
		tc.t.Fatalf("server %d: Start: %v", i+1, err)
	}
	tc.servers[i] = s
}

func (tc *testCluster) close() {
	for i, s := range tc.servers {
		if s != nil {
			_ = s.Close()
			tc.servers[i] = nil
		}
	}
}

// kill stops server i abruptly and crashes its in-memory store (the
// server no longer touches it once Kill returns; Kill leaves stores it did
// not open alone): what was not synced is lost. restart brings it back
// from its storage.
func (tc *testCluster) kill(i int) {
	tc.servers[i].Kill()
	tc.servers[i] = nil
	if m, ok := tc.cfgs[i].Store.(interface{ Crash() }); ok {
		m.Crash()
	}
}

func (tc *testCluster) restart(i int) { tc.start(i) }

// connect returns the connect string of the running servers.
func (tc *testCluster) connect() string {
	var as []string
	for _, s := range tc.servers {
		if s != nil {
			as = append(as, s.ClientAddr())
		}
	}
	return strings.Join(as, ",")
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronization
	}
}

// waitServing waits until every running server serves under one leader.
func (tc *testCluster) waitServing() int {
	tc.t.Helper()
	leader := -1
	waitFor(tc.t, 30*time.Second, "every server serving under one leader", func() bool {
		leader = -1
		var lid uint64
		for i, s := range tc.servers {
			if s == nil {
				continue
			}
			st := s.State()
			if !st.Serving {
				return false
			}
			if lid != 0 && st.Leader != lid {
				return false
			}
			lid = st.Leader
			if st.State.String() == "LEADING" {
				leader = i
			}
		}
		return leader >= 0
	})
	return leader
}

func (tc *testCluster) leader() int { return tc.waitServing() }

// waitConverged waits until the running servers have the same digest
// and last zxid; on timeout it reports every server's.
func (tc *testCluster) waitConverged() {
	tc.t.Helper()
	const d = 30 * time.Second
	deadline := time.Now().Add(d)
	for {
		var ds []string
		first, same := "", true
		for _, s := range tc.servers {
			if s == nil {
				continue
			}
			dg, z := s.Digest()
			k := fmt.Sprintf("%x@%#x", dg, z)
			ds = append(ds, fmt.Sprintf("server %d: %s", s.ID(), k))
			if first == "" {
				first = k
			} else if k != first {
				same = false
			}
		}
		if same {
			return
		}
		if time.Now().After(deadline) {
			tc.t.Fatalf("timed out after %v waiting for the replicas to converge; digests: %s", d, strings.Join(ds, ", "))
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronization
	}
}

func dialClient(t *testing.T, servers string, opts ...client.Option) *client.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, servers, append([]client.Option{client.WithSessionTimeout(10 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatalf("dial %s: %v", servers, err)
	}
	t.Cleanup(func() {
		// Bounded: a test that stopped the servers leaves the client
		// nobody to close its session with.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	return c
}

// hasNode reports whether server s holds path in its local tree.
func hasNode(s *Server, path string) bool {
	s.treeMu.RLock()
	defer s.treeMu.RUnlock()
	_, _, ok := s.tree.Node(path)
	return ok
}
