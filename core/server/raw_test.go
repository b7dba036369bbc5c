package server_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/wire"
)

func TestClientAheadIsRefused(t *testing.T) {
	e := single(t)
	r := server.RawDial(t, e.Servers())
	_, err := r.Connect(wire.ConnectRequest{LastZxidSeen: 1 << 40, TimeOut: 10000, Passwd: make([]byte, 16)})
	if err == nil {
		t.Fatal("a client that has seen a later zxid got a session")
	}
	// A client that is not ahead is served.
	server.NewRawSession(t, e.Servers())
}

func TestNegotiatedTimeoutClamped(t *testing.T) {
	var tick time.Duration
	e := single(t, withConfig(func(c *server.Config) {
		c.MinSessionTimeout, c.MaxSessionTimeout = 0, 0 // defaults: 2 and 20 ticks
		tick = c.TickTime
	}))
	for _, tt := range []struct{ ask, want time.Duration }{
		{time.Millisecond, 2 * tick}, {time.Hour, 20 * tick}, {5 * tick, 5 * tick},
	} {
		r := server.RawDial(t, e.Servers())
		resp, err := r.Connect(wire.ConnectRequest{TimeOut: int32(tt.ask.Milliseconds()), Passwd: make([]byte, 16)})
		if err != nil {
			t.Fatal(err)
		}
		if got := time.Duration(resp.TimeOut) * time.Millisecond; got != tt.want {
			t.Errorf("asked %v: negotiated %v, want %v", tt.ask, got, tt.want)
		}
	}
}

func TestOversizedAndMalformedPacketsCloseOnlyThatConnection(t *testing.T) {
	logs := server.NewLogRecorder()
	e := single(t, withConfig(func(c *server.Config) { c.MaxPacket = 4096 }), withLogs(logs))
	good := dialClient(t, e.Servers())
	// Each closed connection logs its reason before the socket closes.
	logged := func(what string, want map[string]string, reasonHas string) {
		t.Helper()
		recs := logs.Find(want)
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

	big, _ := server.NewRawSession(t, e.Servers())
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], 1<<20)
	_, _ = big.Conn().Write(hdr[:])
	if !big.ClosedByServer() {
		t.Error("a frame above MaxPacket did not close its connection")
	}
	logged("oversized frame", map[string]string{"msg": "client connection closed"}, "packet too large: frame length 1048576 exceeds max 4096")

	bad, _ := server.NewRawSession(t, e.Servers())
	_, _ = bad.Conn().Write([]byte{0, 0, 0, 3, 1, 2, 3}) // shorter than a request header
	if !bad.ClosedByServer() {
		t.Error("a malformed request did not close its connection")
	}
	logged("short request", map[string]string{"msg": "malformed request header; closing"}, "truncated")

	bad2, _ := server.NewRawSession(t, e.Servers())
	bad2.Send(&wire.RequestHeader{Xid: 1, Op: wire.OpCreate}, &wire.GetChildrenRequest{Path: "/x"})
	if !bad2.ClosedByServer() {
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
	e := startEnsemble(t)
	a, resp := server.NewRawSession(t, e.ClientAddr(0))
	a.Send(&wire.RequestHeader{Xid: 1, Op: wire.OpCreate},
		&wire.CreateRequest{Path: "/m", ACL: []wire.ACL{{Perms: wire.PermAll, ID: wire.ID{Scheme: "world", ID: "anyone"}}}})
	if h, _, err := a.Reply(1); err != nil || h.Err != wire.CodeOK {
		t.Fatalf("create: %v %v", h.Err, err)
	}
	b := server.RawDial(t, e.ClientAddr(1))
	if r2, err := b.Connect(wire.ConnectRequest{TimeOut: 10000, SessionID: resp.SessionID, Passwd: resp.Passwd,
		LastZxidSeen: 0}); err != nil || r2.SessionID != resp.SessionID {
		t.Fatalf("resume on server 2: %v %+v", err, r2)
	}
	// b's write goes first, so the leader has seen b's claim.
	b.Send(&wire.RequestHeader{Xid: 1, Op: wire.OpSetData}, &wire.SetDataRequest{Path: "/m", Data: []byte("b"), Version: -1})
	if h, _, err := b.Reply(1); err != nil || h.Err != wire.CodeOK {
		t.Fatalf("setData from the new connection: %v %v", h.Err, err)
	}
	a.Send(&wire.RequestHeader{Xid: 2, Op: wire.OpSetData}, &wire.SetDataRequest{Path: "/m", Data: []byte("a"), Version: -1})
	h, _, err := a.Reply(2)
	if err != nil || h.Err != wire.CodeSessionMoved {
		t.Fatalf("setData from the old connection: %v %v, want SessionMoved", h.Err, err)
	}
	waitConverged(t, e)
	data, _ := server.NodeData(e.Server(2), "/m")
	if string(data) != "b" {
		t.Fatalf("/m = %q after the moved session's write, want %q", data, "b")
	}
}

func TestMaxClientCnxnsPerHost(t *testing.T) {
	e := single(t, withConfig(func(c *server.Config) { c.MaxClientCnxns = 2 }))
	server.NewRawSession(t, e.Servers())
	server.NewRawSession(t, e.Servers())
	r := server.RawDial(t, e.Servers())
	if _, err := r.Connect(wire.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16)}); err == nil {
		t.Fatal("a third connection from one host was accepted with MaxClientCnxns=2")
	}
}

func TestFourLetterWords(t *testing.T) {
	e := startEnsemble(t, ensemble.WithTickTime(50*time.Millisecond)) // conf shows tickTime=50
	c := dialClient(t, e.Servers())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := c.Create(ctx, "/e", nil, client.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	leader := e.ClientAddr(waitServing(t, e))
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
		got := server.FourLetter(t, leader, cmd)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", cmd, got, w)
			}
		}
	}
}

func TestFourLetterWhitelist(t *testing.T) {
	e := single(t, withConfig(func(c *server.Config) { c.FourLetterWhitelist = nil }))
	if got := server.FourLetter(t, e.Servers(), "ruok"); got != "ruok is not executed because it is not in the whitelist.\n" {
		t.Errorf("ruok outside the default whitelist: %q", got)
	}
	if got := server.FourLetter(t, e.Servers(), "srvr"); !strings.Contains(got, "Mode: standalone") {
		t.Errorf("srvr: %q", got)
	}
}

// TestOutstandingLimitsThrottleInOrder: with tiny limits, a burst of
// pipelined writes and reads is throttled, not refused, and answered in
// order with each read seeing the writes sent before it.
func TestOutstandingLimitsThrottleInOrder(t *testing.T) {
	e := startEnsemble(t, withConfig(func(c *server.Config) { c.MaxOutstanding, c.MaxOutstandingGlobal = 2, 3 }))
	r, _ := server.NewRawSession(t, e.ClientAddr(waitServing(t, e)))
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
	if _, err := r.Conn().Write(out); err != nil {
		t.Fatal(err)
	}
	for i := int32(1); i <= n; i++ {
		f, err := wire.ReadFrame(r.Conn(), nil, 0)
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
