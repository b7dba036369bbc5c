package server

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/storage"
	"github.com/zabkit/zabkit/core/zab"
)

func TestObserverServesReadsAndForwardsWrites(t *testing.T) {
	tc := newCluster(t, 3, 1, false)
	obs := tc.servers[3]
	if st := obs.State(); st.State != zab.StateObserving {
		t.Fatalf("server 4 is %v, want OBSERVING", st.State)
	}
	c := dialClient(t, obs.ClientAddr())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := c.Create(ctx, "/via-observer", []byte("o"), client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	d, _, err := c.Get(ctx, "/via-observer")
	if err != nil || string(d) != "o" {
		t.Fatalf("read own write on the observer: %q %v", d, err)
	}
	tc.waitConverged()
}

func TestPauseResumeAndDropConnections(t *testing.T) {
	tc := newCluster(t, 3, 0, false)
	c := dialClient(t, tc.connect())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := tc.leader()
	tc.servers[l].Pause()
	// The others notice the silent leader and elect a new one.
	waitFor(t, 20*time.Second, "a new leader while the old one is paused", func() bool {
		for i, s := range tc.servers {
			if i != l && s.State().Serving && s.State().State == zab.StateLeading {
				return true
			}
		}
		return false
	})
	// A write in flight when the leader went silent may be lost with the
	// connection; the client retries it.
	err := client.Retry(ctx, func(ctx context.Context) error {
		_, _, err := c.Create(ctx, "/during-pause", nil, client.ModePersistent, nil)
		if errors.Is(err, client.ErrNodeExists) {
			return nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tc.servers[l].Resume()
	tc.waitServing()
	tc.waitConverged()
	for _, s := range tc.servers {
		s.DropClientConnections()
	}
	// The session survives dropped connections: the client reconnects.
	sid := c.SessionID()
	err = client.Retry(ctx, func(ctx context.Context) error {
		_, _, err := c.Exists(ctx, "/during-pause")
		return err
	})
	if err != nil || c.SessionID() != sid {
		t.Fatalf("after dropped connections: %v (session %#x, was %#x)", err, c.SessionID(), sid)
	}
}

func TestStatsSnapshot(t *testing.T) {
	tc := newCluster(t, 3, 0, false)
	c := dialClient(t, tc.connect())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := c.Create(ctx, "/s", nil, client.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ExistsW(ctx, "/s"); err != nil {
		t.Fatal(err)
	}
	tc.waitConverged()
	var watches, conns int
	for _, s := range tc.servers {
		st := s.Stats()
		if st.ZnodeCount != 5 || st.SessionCount != 1 || st.EphemeralCount != 1 {
			t.Errorf("server %d: znodes %d sessions %d ephemerals %d, want 5 1 1", s.ID(), st.ZnodeCount, st.SessionCount, st.EphemeralCount)
		}
		if st.Fsyncs == 0 || st.Elections == 0 {
			t.Errorf("server %d: fsyncs %d elections %d, want both > 0", s.ID(), st.Fsyncs, st.Elections)
		}
		watches += st.WatchCount
		conns += st.Connections
		if st.Connections > 0 && st.Requests == 0 {
			t.Errorf("server %d has the client but counted no request", s.ID())
		}
	}
	if watches != 1 || conns != 1 {
		t.Errorf("watches %d, connections %d over the ensemble; want 1 and 1", watches, conns)
	}
}

// TestRestartFromDisk: a follower on disk storage is killed and restarted
// from its directory and catches up.
func TestRestartFromDisk(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	n := 0
	tc := newCluster(t, 3, 0, false, func(c *Config) {
		c.Store, c.Dir = nil, dirs[n]
		n++
	})
	c := dialClient(t, tc.connect())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := c.Create(ctx, "/before", nil, client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	f := (tc.leader() + 1) % 3
	tc.kill(f)
	mustCreate(ctx, t, c, "/while-down") // the client may have been on f
	tc.restart(f)
	tc.waitServing()
	tc.waitConverged()
	for _, p := range []string{"/before", "/while-down"} {
		if !hasNode(tc.servers[f], p) {
			t.Errorf("restarted server lacks %s", p)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig(1)
	ok.Peers = []Peer{{ID: 1}}
	ok.Store = storage.NewMem()
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for name, mut := range map[string]func(*Config){
		"id not a peer":     func(c *Config) { c.ID = 2 },
		"no storage":        func(c *Config) { c.Store = nil },
		"min above max":     func(c *Config) { c.MinSessionTimeout, c.MaxSessionTimeout = time.Hour, time.Second },
		"duplicate peer":    func(c *Config) { c.Peers = []Peer{{ID: 1}, {ID: 1}} },
		"only observers":    func(c *Config) { c.Peers = []Peer{{ID: 1, Observer: true}} },
		"no peer addresses": func(c *Config) { c.Peers = []Peer{{ID: 1}, {ID: 2}} },
	} {
		c := ok
		mut(&c)
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: Validate = %v, want ErrInvalidConfig", name, err)
		}
	}
}

// TestTCPMalformedPeerFrame: garbage on a peer connection closes that
// connection only; the ensemble keeps serving.
func TestTCPMalformedPeerFrame(t *testing.T) {
	tc := newCluster(t, 3, 0, true)
	target := tc.cfgs[0].Peers[0].PeerAddr // server 1 accepts from 2 and 3
	for _, hs := range [][]byte{
		handshake(3), // a valid handshake (a duplicate of 3's connection) ...
		[]byte("\xde\xad\xbe\xefgarbage-garbage"), // ... and a bad one
	} {
		nc, err := net.DialTimeout("tcp", target, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = nc.Write(hs)
		var frame [8]byte
		binary.BigEndian.PutUint32(frame[:4], 4)
		_, _ = nc.Write(frame[:]) // a 4-byte message does not decode
		// The server may send a message or two before it reads the
		// garbage; then it must close the connection (not time out).
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		var ne net.Error
		if _, err := io.Copy(io.Discard, nc); errors.As(err, &ne) && ne.Timeout() {
			t.Error("server kept a connection that sent garbage")
		}
		_ = nc.Close()
	}
	tc.waitServing()
	c := dialClient(t, tc.connect())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := c.Create(ctx, "/after-garbage", nil, client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	tc.waitConverged()
}

// mustCreate creates a persistent node, retrying across connection loss
// (a retried create that finds the node counts as done).
func mustCreate(ctx context.Context, t *testing.T, c *client.Conn, path string) {
	t.Helper()
	err := client.Retry(ctx, func(ctx context.Context) error {
		_, _, err := c.Create(ctx, path, nil, client.ModePersistent, nil)
		if errors.Is(err, client.ErrNodeExists) {
			return nil
		}
		return err
	})
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
}
