package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/wire"
)

// rawConn is a hand-driven client connection for protocol edge cases.
type rawConn struct {
	t  *testing.T
	nc net.Conn
}

func rawDial(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t: t, nc: nc}
}

func (r *rawConn) send(recs ...wire.Record) {
	r.t.Helper()
	if err := wire.WriteFrame(r.nc, recs...); err != nil {
		r.t.Fatal(err)
	}
}

// connect sends a ConnectRequest and returns the response, or an error
// if the server closed the connection instead.
func (r *rawConn) connect(req wire.ConnectRequest) (wire.ConnectResponse, error) {
	r.send(&req)
	var resp wire.ConnectResponse
	f, err := wire.ReadFrame(r.nc, nil, 0)
	if err != nil {
		return resp, err
	}
	return resp, wire.Unmarshal(f, &resp)
}

// reply reads frames until the reply to xid, skipping watch events.
func (r *rawConn) reply(xid int32) (wire.ReplyHeader, []byte, error) {
	for {
		f, err := wire.ReadFrame(r.nc, nil, 0)
		if err != nil {
			return wire.ReplyHeader{}, nil, err
		}
		var h wire.ReplyHeader
		body, err := wire.UnmarshalPrefix(f, &h)
		if err != nil {
			return h, nil, err
		}
		if h.Xid == xid {
			return h, body, nil
		}
	}
}

// closedByServer reports whether the server closed the connection.
func (r *rawConn) closedByServer() bool {
	_, err := wire.ReadFrame(r.nc, nil, 0)
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(errString(err), "reset")
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func newSession(t *testing.T, addr string) (*rawConn, wire.ConnectResponse) {
	t.Helper()
	r := rawDial(t, addr)
	resp, err := r.connect(wire.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16)})
	if err != nil || resp.SessionID == 0 {
		t.Fatalf("connect: %v, %+v", err, resp)
	}
	return r, resp
}

func TestClientAheadIsRefused(t *testing.T) {
	tc := newCluster(t, 1, 0, false)
	r := rawDial(t, tc.connect())
	_, err := r.connect(wire.ConnectRequest{LastZxidSeen: 1 << 40, TimeOut: 10000, Passwd: make([]byte, 16)})
	if err == nil {
		t.Fatal("a client that has seen a later zxid got a session")
	}
	// A client that is not ahead is served.
	newSession(t, tc.connect())
}

func TestNegotiatedTimeoutClamped(t *testing.T) {
	tc := newCluster(t, 1, 0, false, func(c *Config) {
		c.MinSessionTimeout, c.MaxSessionTimeout = 0, 0 // defaults: 2 and 20 ticks
	})
	tick := tc.cfgs[0].TickTime
	for _, tt := range []struct{ ask, want time.Duration }{
		{time.Millisecond, 2 * tick}, {time.Hour, 20 * tick}, {5 * tick, 5 * tick},
	} {
		r := rawDial(t, tc.connect())
		resp, err := r.connect(wire.ConnectRequest{TimeOut: int32(tt.ask.Milliseconds()), Passwd: make([]byte, 16)})
		if err != nil {
			t.Fatal(err)
		}
		if got := time.Duration(resp.TimeOut) * time.Millisecond; got != tt.want {
			t.Errorf("asked %v: negotiated %v, want %v", tt.ask, got, tt.want)
		}
	}
}

func TestOversizedAndMalformedPacketsCloseOnlyThatConnection(t *testing.T) {
	logs := newLogRecorder()
	tc := newCluster(t, 1, 0, false, func(c *Config) { c.MaxPacket, c.Logger = 4096, slog.New(logs) })
	good := dialClient(t, tc.connect())
	// Each closed connection logs its reason before the socket closes.
	logged := func(what string, want map[string]string, reasonHas string) {
		t.Helper()
		recs := logs.find(want)
		if len(recs) != 1 {
			t.Errorf("%s: %d log records %v, want 1", what, len(recs), want)
			return
		}
		if reason := recs[0]["reason"] + recs[0]["err"]; reason == "" || !strings.Contains(reason, reasonHas) {
			t.Errorf("%s: logged reason %q lacks %q", what, reason, reasonHas)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := good.Create(ctx, "/kept", []byte("v"), client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}

	big, _ := newSession(t, tc.connect())
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], 1<<20)
	_, _ = big.nc.Write(hdr[:])
	if !big.closedByServer() {
		t.Error("a frame above MaxPacket did not close its connection")
	}
	logged("oversized frame", map[string]string{"msg": "client connection closed"}, "packet too large: frame length 1048576 exceeds max 4096")

	bad, _ := newSession(t, tc.connect())
	_, _ = bad.nc.Write([]byte{0, 0, 0, 3, 1, 2, 3}) // shorter than a request header
	if !bad.closedByServer() {
		t.Error("a malformed request did not close its connection")
	}
	logged("short request", map[string]string{"msg": "malformed request header; closing"}, "truncated")

	bad2, _ := newSession(t, tc.connect())
	bad2.send(&wire.RequestHeader{Xid: 1, Op: wire.OpCreate}, &wire.GetChildrenRequest{Path: "/x"})
	if !bad2.closedByServer() {
		t.Error("a request body that does not decode did not close its connection")
	}
	logged("undecodable body", map[string]string{"msg": "malformed request; closing", "op": wire.OpCreate.String()}, "decode")

	// The well-behaved client and the data are untouched.
	d, _, err := good.Get(ctx, "/kept")
	if err != nil || string(d) != "v" {
		t.Fatalf("other client after the bad packets: %q, %v", d, err)
	}
}

func TestSessionMovedToAnotherServer(t *testing.T) {
	tc := newCluster(t, 3, 0, false)
	a, resp := newSession(t, tc.servers[0].ClientAddr())
	a.send(&wire.RequestHeader{Xid: 1, Op: wire.OpCreate},
		&wire.CreateRequest{Path: "/m", ACL: []wire.ACL{{Perms: wire.PermAll, ID: wire.ID{Scheme: "world", ID: "anyone"}}}})
	if h, _, err := a.reply(1); err != nil || h.Err != wire.CodeOK {
		t.Fatalf("create: %v %v", h.Err, err)
	}
	b := rawDial(t, tc.servers[1].ClientAddr())
	if r2, err := b.connect(wire.ConnectRequest{TimeOut: 10000, SessionID: resp.SessionID, Passwd: resp.Passwd,
		LastZxidSeen: 0}); err != nil || r2.SessionID != resp.SessionID {
		t.Fatalf("resume on server 2: %v %+v", err, r2)
	}
	// b's write goes first, so the leader has seen b's claim.
	b.send(&wire.RequestHeader{Xid: 1, Op: wire.OpSetData}, &wire.SetDataRequest{Path: "/m", Data: []byte("b"), Version: -1})
	if h, _, err := b.reply(1); err != nil || h.Err != wire.CodeOK {
		t.Fatalf("setData from the new connection: %v %v", h.Err, err)
	}
	a.send(&wire.RequestHeader{Xid: 2, Op: wire.OpSetData}, &wire.SetDataRequest{Path: "/m", Data: []byte("a"), Version: -1})
	h, _, err := a.reply(2)
	if err != nil || h.Err != wire.CodeSessionMoved {
		t.Fatalf("setData from the old connection: %v %v, want SessionMoved", h.Err, err)
	}
	tc.waitConverged()
	s := tc.servers[2]
	s.treeMu.RLock()
	data, _, _ := s.tree.Node("/m")
	s.treeMu.RUnlock()
	if string(data) != "b" {
		t.Fatalf("/m = %q after the moved session's write, want %q", data, "b")
	}
}

func TestMaxClientCnxnsPerHost(t *testing.T) {
	tc := newCluster(t, 1, 0, false, func(c *Config) { c.MaxClientCnxns = 2 })
	newSession(t, tc.connect())
	newSession(t, tc.connect())
	r := rawDial(t, tc.connect())
	if _, err := r.connect(wire.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16)}); err == nil {
		t.Fatal("a third connection from one host was accepted with MaxClientCnxns=2")
	}
}

func fourLetter(t *testing.T, addr, cmd string) string {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write([]byte(cmd)); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(nc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFourLetterWords(t *testing.T) {
	tc := newCluster(t, 3, 0, false)
	c := dialClient(t, tc.connect())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := c.Create(ctx, "/e", nil, client.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	leader := tc.servers[tc.leader()].ClientAddr()
	for cmd, want := range map[string][]string{
		"ruok": {"imok"},
		"isro": {"rw"},
		"srvr": {"Zookeeper version: ", "Mode: leader", "Node count: ", "Zxid: 0x"},
		"stat": {"Clients:", "Mode: leader"},
		"mntr": {"zk_server_state\tleader", "zk_znode_count\t", "zk_ephemerals_count\t1", "zk_learners\t2", "zk_synced_followers\t2"},
		"conf": {"tickTime=50", "serverId=", "dataLogDir="},
		"cons": {"queued="},
		"envi": {"Environment:", "zookeeper.version="},
		"wchs": {"Total watches:"},
		"dump": {"Sessions with Ephemerals (1):", "\t/e"},
		"srst": {"Server stats reset."},
		"crst": {"Connection stats reset."},
	} {
		got := fourLetter(t, leader, cmd)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", cmd, got, w)
			}
		}
	}
}

func TestFourLetterWhitelist(t *testing.T) {
	tc := newCluster(t, 1, 0, false, func(c *Config) { c.FourLetterWhitelist = nil })
	if got := fourLetter(t, tc.connect(), "ruok"); got != "ruok is not executed because it is not in the whitelist.\n" {
		t.Errorf("ruok outside the default whitelist: %q", got)
	}
	if got := fourLetter(t, tc.connect(), "srvr"); !strings.Contains(got, "Mode: standalone") {
		t.Errorf("srvr: %q", got)
	}
}

// TestOutstandingLimitsThrottleInOrder: with tiny limits, a burst of
// pipelined writes and reads is throttled, not refused, and answered in
// order with each read seeing the writes sent before it.
func TestOutstandingLimitsThrottleInOrder(t *testing.T) {
	tc := newCluster(t, 3, 0, false, func(c *Config) { c.MaxOutstanding, c.MaxOutstandingGlobal = 2, 3 })
	r, _ := newSession(t, tc.servers[tc.leader()].ClientAddr())
	open := []wire.ACL{{Perms: wire.PermAll, ID: wire.ID{Scheme: "world", ID: "anyone"}}}
	var out []byte
	const n = 20
	for i := int32(1); i <= n; i++ {
		if i%2 == 1 {
			out = wire.AppendFrame(out, &wire.RequestHeader{Xid: i, Op: wire.OpCreate},
				&wire.CreateRequest{Path: fmt.Sprintf("/t%d", i), ACL: open})
		} else {
			out = wire.AppendFrame(out, &wire.RequestHeader{Xid: i, Op: wire.OpExists},
				&wire.ExistsRequest{Path: fmt.Sprintf("/t%d", i-1)})
		}
	}
	if _, err := r.nc.Write(out); err != nil {
		t.Fatal(err)
	}
	for i := int32(1); i <= n; i++ {
		f, err := wire.ReadFrame(r.nc, nil, 0)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		var h wire.ReplyHeader
		if _, err := wire.UnmarshalPrefix(f, &h); err != nil {
			t.Fatal(err)
		}
		if h.Xid != i || h.Err != wire.CodeOK {
			t.Fatalf("reply %d: xid %d err %v; want in order and OK (reads see earlier writes)", i, h.Xid, h.Err)
		}
	}
}
