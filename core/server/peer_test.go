package server

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
)

// peerDialClosed dials addr, writes hs and reports whether the server
// closed the connection (rather than keeping it until the deadline).
func peerDialClosed(t *testing.T, addr string, hs []byte) bool {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write(hs); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, err := io.Copy(io.Discard, nc)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return n == 0 // the server sent nothing before closing
}

// TestTCPPeerHandshakeRefused: on server 2's quorum port, a connection
// from a lower id (1: it must be dialed by 2, not the other way round),
// from an unknown id, with another protocol version or with a bad magic
// is closed and logged; the ensemble keeps serving.
func TestTCPPeerHandshakeRefused(t *testing.T) {
	logs := newLogRecorder()
	tc := newCluster(t, 3, 0, true, func(c *Config) { c.Logger = slog.New(logs) })
	target := tc.cfgs[1].Peers[1].PeerAddr // server 2's quorum port

	badVersion := handshake(3)
	binary.BigEndian.PutUint16(badVersion[4:6], peerVersion+1)
	badMagic := handshake(3)
	copy(badMagic, "ZOOK")
	for _, tt := range []struct {
		name string
		hs   []byte
		log  map[string]string
		err  string
	}{
		{"lower id", handshake(1),
			map[string]string{"msg": "peer connection closed by the id rule", "transport": "2", "peer": "1"}, ""},
		{"unknown id", handshake(9),
			map[string]string{"msg": "peer connection closed by the id rule", "transport": "2", "peer": "9"}, ""},
		{"protocol version", badVersion,
			map[string]string{"msg": "peer connection refused", "transport": "2"},
			"protocol version " + strconv.Itoa(int(peerVersion)+1) + ", want " + strconv.Itoa(int(peerVersion))},
		{"magic", badMagic, map[string]string{"msg": "peer connection refused", "transport": "2"}, "bad peer handshake: magic"},
	} {
		before := len(logs.find(tt.log))
		if !peerDialClosed(t, target, tt.hs) {
			t.Errorf("%s: the connection was not closed at once", tt.name)
		}
		recs := logs.find(tt.log)
		if len(recs) != before+1 {
			t.Errorf("%s: %d new log records %v, want 1", tt.name, len(recs)-before, tt.log)
			continue
		}
		if !strings.Contains(recs[before]["err"], tt.err) {
			t.Errorf("%s: logged err %q lacks %q", tt.name, recs[before]["err"], tt.err)
		}
	}

	tc.waitServing()
	c := dialClient(t, tc.connect())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mustCreate(ctx, t, c, "/after-bad-handshakes")
}

// blackhole is a TCP listener that accepts connections and never reads
// from or writes to them (a peer that hangs).
type blackhole struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newBlackhole(t *testing.T, addr string) *blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("blackhole on %s: %v", addr, err)
	}
	b := &blackhole{ln: ln}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, nc)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(b.close)
	return b
}

func (b *blackhole) accepted() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns)
}

func (b *blackhole) close() {
	_ = b.ln.Close()
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		_ = c.Close()
	}
}

// TestTCPElectionWithHungPeer: server 1's quorum address is taken over by
// a peer that accepts connections and never answers; servers 2 and 3,
// both restarted so that they must elect afresh, dial it (they are the
// larger ids) and still elect a leader and serve writes: a hung connect
// or connection to one peer does not hold up election traffic to another.
func TestTCPElectionWithHungPeer(t *testing.T) {
	tc := newCluster(t, 3, 0, true)
	tc.kill(0)
	hole := newBlackhole(t, tc.cfgs[0].Peers[0].PeerAddr)
	tc.kill(1)
	tc.kill(2)
	tc.restart(1)
	tc.restart(2)
	tc.waitServing() // 30s: generous, not a timing assertion
	// Both dial loops to server 1 got a connection that never answers.
	waitFor(t, 30*time.Second, "servers 2 and 3 connected to the hung peer", func() bool { return hole.accepted() >= 2 })
	c := dialClient(t, tc.connect())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, _, err := c.Create(ctx, "/elected-without-1", nil, client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
}
