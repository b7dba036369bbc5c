package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/wire"
)

func bg(t *testing.T) context.Context { return testCtx(t) }

func TestDialEstablishesSession(t *testing.T) {
	s := newFakeServer(t)
	c := dialFake(t, []*fakeServer{s}, WithSessionTimeout(3*time.Second), WithReadOnly())
	if c.SessionID() != s.sessionID || string(c.SessionPassword()) != string(s.passwd) || c.SessionTimeout() != 4*time.Second {
		t.Fatalf("session = %x %q %v", c.SessionID(), c.SessionPassword(), c.SessionTimeout())
	}
	if c.State() != StateConnected || c.Server() != s.addr() {
		t.Fatalf("state %v server %q", c.State(), c.Server())
	}
	hs := s.handshakes()
	if len(hs) != 1 || hs[0].SessionID != 0 || hs[0].TimeOut != 3000 || !hs[0].ReadOnly || hs[0].LastZxidSeen != 0 {
		t.Fatalf("handshake = %+v", hs)
	}
}

func TestDialRespectsContext(t *testing.T) {
	s := newFakeServer(t)
	s.setOnConnect(func(*wire.ConnectRequest) *wire.ConnectResponse { return nil }) // always refuse
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := make(chan error, 1)
	go func() {
		_, err := Dial(ctx, s.addr(), WithReconnectBackOff(zeroBackOff))
		res <- err
	}()
	s.waitHandshakes(t, 2) // the client keeps trying...
	cancel()               // ...until its context ends
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial = %v, want context.Canceled", err)
	}
}

// Without WithServerOrder, each Dial tries the connect string's servers in
// an order of its own, shuffled at Dial, and every later attempt (the
// reconnects) goes round that same order. The dialer refuses at once, so no
// server is needed: the client keeps trying until Dial's context ends.
//
// The test is not flaky: each of the 20 orders is uniform over the 8! =
// 40320 permutations, so the chance that all 20 are the same is
// 40320^-19 (about 3e-88), and that all start with the same server 8^-19
// (about 7e-18).
func TestDialShufflesServers(t *testing.T) {
	const n, dials = 8, 20
	var addrs []string
	for i := range n {
		addrs = append(addrs, fmt.Sprintf("192.0.2.%d:2181", i+1))
	}
	connect := strings.Join(addrs, ",")
	orders := map[string]bool{}
	firsts := map[string]bool{}
	for range dials {
		ctx, cancel := context.WithCancel(context.Background())
		var mu sync.Mutex
		var tried []string // the first two rounds of attempts
		refuse := func(_ context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			defer mu.Unlock()
			if len(tried) < 2*n {
				tried = append(tried, addr)
				if len(tried) == 2*n {
					cancel()
				}
			}
			return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("refused by the test")}
		}
		_, err := Dial(ctx, connect, WithDialer(refuse), WithReconnectBackOff(zeroBackOff))
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Dial with every server refusing = %v, want context.Canceled", err)
		}
		mu.Lock()
		first, second := tried[:n], tried[n:]
		mu.Unlock()
		if !slices.Equal(slices.Sorted(slices.Values(first)), addrs) {
			t.Fatalf("first round of attempts %v is not a permutation of %v", first, addrs)
		}
		if !slices.Equal(first, second) {
			t.Fatalf("second round %v does not repeat the first %v", second, first)
		}
		orders[strings.Join(first, ",")] = true
		firsts[first[0]] = true
	}
	if len(orders) < 2 || len(firsts) < 2 {
		t.Fatalf("%d dials gave %d distinct orders starting with %d distinct servers; want the order shuffled per Dial",
			dials, len(orders), len(firsts))
	}
	t.Logf("%d dials: %d distinct orders, %d distinct first servers", dials, len(orders), len(firsts))
}

func TestPipelinedRepliesMatchRequests(t *testing.T) {
	s := newFakeServer(t)
	c := dialFake(t, []*fakeServer{s})
	ctx := bg(t)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("/n%d", i)
			d, _, err := c.Get(ctx, p)
			if err != nil || string(d) != p {
				errs <- fmt.Errorf("Get(%s) = %q, %v", p, d, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestServerErrorCodesAreSentinels(t *testing.T) {
	s := newFakeServer(t)
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpDelete {
			fc.reply(hdr.Xid, wire.CodeNotEmpty, nil)
			return
		}
		defaultHandle(fc, hdr, body)
	})
	c := dialFake(t, []*fakeServer{s})
	err := c.Delete(bg(t), "/a", AnyVersion)
	if !errors.Is(err, ErrNotEmpty) || !errors.Is(err, wire.CodeNotEmpty) || !strings.Contains(err.Error(), "/a") {
		t.Fatalf("Delete = %v", err)
	}
}

func TestConnectionLossForInFlightAndReconnect(t *testing.T) {
	s := newFakeServer(t)
	var drop sync.Once
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpSetData {
			dropped := false
			drop.Do(func() { dropped = true; fc.nc.Close() }) // the first setData never gets a reply
			if dropped {
				return
			}
		}
		defaultHandle(fc, hdr, body)
	})
	c := dialFake(t, []*fakeServer{s})
	ctx := bg(t)
	states := c.States(ctx)
	waitState(t, states, StateConnected)
	s.nextConn(t)
	_, err := c.Set(ctx, "/a", nil, AnyVersion)
	if !errors.Is(err, ErrConnectionLoss) {
		t.Fatalf("Set on dropped connection = %v, want ErrConnectionLoss", err)
	}
	waitState(t, states, StateDisconnected)
	waitState(t, states, StateConnected)
	hs := s.handshakes()
	if last := hs[len(hs)-1]; last.SessionID != s.sessionID || string(last.Passwd) != string(s.passwd) || last.LastZxidSeen != 0 {
		t.Fatalf("reconnect handshake = %+v", last)
	}
	// The same Conn works again.
	if _, err := c.Set(ctx, "/a", nil, AnyVersion); err != nil {
		t.Fatal(err)
	}
}

func TestRequestsWaitWhileDisconnected(t *testing.T) {
	s := newFakeServer(t)
	var refuse sync.Mutex
	refusing := false
	s.setOnConnect(func(req *wire.ConnectRequest) *wire.ConnectResponse {
		refuse.Lock()
		defer refuse.Unlock()
		if refusing {
			return nil
		}
		return &wire.ConnectResponse{TimeOut: s.timeoutMS, SessionID: s.sessionID, Passwd: s.passwd}
	})
	c := dialFake(t, []*fakeServer{s})
	ctx := bg(t)
	states := c.States(ctx)
	waitState(t, states, StateConnected)
	refuse.Lock()
	refusing = true
	refuse.Unlock()
	s.dropAll()
	waitState(t, states, StateDisconnected)
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Get(ctx, "/queued")
		done <- err
	}()
	// Let the client fail a few handshakes, then accept it again.
	s.waitHandshakes(t, len(s.handshakes())+3)
	refuse.Lock()
	refusing = false
	refuse.Unlock()
	if err := <-done; err != nil {
		t.Fatalf("Get queued while disconnected = %v", err)
	}
}

func TestOutOfOrderReplyDropsConnection(t *testing.T) {
	s := newFakeServer(t)
	var once sync.Once
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpGetData {
			bad := false
			once.Do(func() { bad = true })
			if bad {
				fc.reply(hdr.Xid+7, wire.CodeOK, &wire.GetDataResponse{})
				return
			}
		}
		defaultHandle(fc, hdr, body)
	})
	c := dialFake(t, []*fakeServer{s})
	ctx := bg(t)
	if _, _, err := c.Get(ctx, "/a"); !errors.Is(err, ErrConnectionLoss) {
		t.Fatalf("Get with a mismatched reply = %v, want ErrConnectionLoss", err)
	}
	if d, _, err := c.Get(ctx, "/a"); err != nil || string(d) != "/a" {
		t.Fatalf("Get after reconnect = %q %v", d, err)
	}
}

func TestLastZxidIsPresentedAndStaleServerSkipped(t *testing.T) {
	ahead := newFakeServer(t)
	behind := newFakeServer(t)
	ahead.zxid.Store(500)
	behind.zxid.Store(200)
	// A server refuses a client that has seen a newer zxid, by closing
	// the connection, as ZooKeeper does.
	behind.setOnConnect(func(req *wire.ConnectRequest) *wire.ConnectResponse {
		if req.LastZxidSeen > behind.zxid.Load() {
			return nil
		}
		return &wire.ConnectResponse{TimeOut: 4000, SessionID: behind.sessionID, Passwd: behind.passwd}
	})
	c := dialFake(t, []*fakeServer{ahead, behind})
	ctx := bg(t)
	if _, _, err := c.Get(ctx, "/x"); err != nil {
		t.Fatal(err)
	}
	if c.LastZxid() != 500 {
		t.Fatalf("LastZxid = %d, want 500", c.LastZxid())
	}
	states := c.States(ctx)
	waitState(t, states, StateConnected)
	ahead.nextConn(t)
	ahead.dropAll()
	waitState(t, states, StateDisconnected)
	waitState(t, states, StateConnected)
	if c.Server() != ahead.addr() {
		t.Fatalf("reconnected to %s, want the up-to-date server %s", c.Server(), ahead.addr())
	}
	hs := behind.handshakes()
	if len(hs) == 0 || hs[0].LastZxidSeen != 500 {
		t.Fatalf("stale server saw handshakes %+v, want one with LastZxidSeen 500", hs)
	}
}

func TestExpiredOnReconnect(t *testing.T) {
	s := newFakeServer(t)
	c := dialFake(t, []*fakeServer{s}, WithSessionRenewal(false))
	ctx := bg(t)
	states := c.States(ctx)
	_, _, ch, err := c.GetW(ctx, "/w")
	if err != nil {
		t.Fatal(err)
	}
	s.setOnConnect(func(req *wire.ConnectRequest) *wire.ConnectResponse {
		return &wire.ConnectResponse{TimeOut: 0, SessionID: 0, Passwd: make([]byte, 16)}
	})
	s.dropAll()
	var seen []State
	for st := range states {
		seen = append(seen, st)
	}
	if seen[len(seen)-1] != StateExpired {
		t.Fatalf("states %v, want to end with Expired", seen)
	}
	<-c.Done()
	if !errors.Is(c.Err(), ErrSessionExpired) {
		t.Fatalf("Err = %v", c.Err())
	}
	if _, ok := <-ch; ok {
		t.Fatal("watch channel got an event on expiry; want closed")
	}
	if _, _, err := c.Get(ctx, "/w"); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("Get after expiry = %v", err)
	}
	if _, err := c.AddWatch(ctx, "/w", AddWatchPersistent); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("AddWatch after expiry = %v", err)
	}
}

func TestPingsWhenIdle(t *testing.T) {
	s := newFakeServer(t)
	s.timeoutMS = 300
	pings := make(chan struct{}, 10)
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpPing {
			if hdr.Xid != wire.XidPing {
				t.Errorf("ping xid %d", hdr.Xid)
			}
			select {
			case pings <- struct{}{}:
			default:
			}
		}
		defaultHandle(fc, hdr, body)
	})
	// The client asks for two minutes and the server grants 300ms: pings
	// at a third of what was asked (40s) would not come within the wait.
	dialFake(t, []*fakeServer{s}, WithSessionTimeout(2*time.Minute))
	for range 3 {
		select {
		case <-pings:
		case <-time.After(20 * time.Second):
			t.Fatal("no ping from an idle client")
		}
	}
}

// The ping interval is a third of the timeout the server negotiated, not
// of the one the client asked for, on every connection.
func TestPingIntervalIsAThirdOfTheNegotiatedTimeout(t *testing.T) {
	for _, ms := range []int32{300, 2000, 4000, 10000, 40000, 3_600_000} {
		s := newFakeServer(t)
		s.timeoutMS = ms
		c := dialFake(t, []*fakeServer{s}, WithSessionTimeout(7*time.Second))
		negotiated := time.Duration(ms) * time.Millisecond
		if c.SessionTimeout() != negotiated || c.pingInterval() != negotiated/3 {
			t.Errorf("server grants %v: session timeout %v, ping interval %v; want %v and %v",
				negotiated, c.SessionTimeout(), c.pingInterval(), negotiated, negotiated/3)
		}

		// A reconnect to a server that grants another timeout takes its
		// interval.
		s.setOnConnect(func(*wire.ConnectRequest) *wire.ConnectResponse {
			return &wire.ConnectResponse{TimeOut: 2 * ms, SessionID: s.sessionID, Passwd: s.passwd}
		})
		s.dropAll()
		for st := range c.States(bg(t)) {
			if st == StateConnected && c.SessionTimeout() == 2*negotiated {
				break
			}
		}
		if c.pingInterval() != 2*negotiated/3 {
			t.Errorf("after a reconnect granting %v: ping interval %v, want %v", 2*negotiated, c.pingInterval(), 2*negotiated/3)
		}
	}
}

func TestSilentServerIsDropped(t *testing.T) {
	s := newFakeServer(t)
	s.timeoutMS = 300
	var once sync.Once
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpGetData {
			mute := false
			once.Do(func() { mute = true })
			if mute {
				return // never answers anything on this connection again
			}
		}
		if hdr.Op == wire.OpPing {
			return
		}
		defaultHandle(fc, hdr, body)
	})
	c := dialFake(t, []*fakeServer{s})
	if _, _, err := c.Get(bg(t), "/a"); !errors.Is(err, ErrConnectionLoss) {
		t.Fatalf("Get on a silent server = %v, want ErrConnectionLoss", err)
	}
}

func TestWatchRegisteredBeforeReplyIsDelivered(t *testing.T) {
	s := newFakeServer(t)
	// The event follows the reply in the same burst: a client that
	// registered the watch after handing back the reply could miss it.
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpGetData {
			var req wire.GetDataRequest
			_ = wire.Unmarshal(body, &req)
			fc.reply(hdr.Xid, wire.CodeOK, &wire.GetDataResponse{})
			fc.event(EventNodeDataChanged, req.Path)
			return
		}
		defaultHandle(fc, hdr, body)
	})
	c := dialFake(t, []*fakeServer{s})
	for i := range 50 {
		p := fmt.Sprintf("/w%d", i)
		_, _, ch, err := c.GetW(bg(t), p)
		if err != nil {
			t.Fatal(err)
		}
		if ev := recvEvent(t, ch); ev != (Event{EventNodeDataChanged, p}) {
			t.Fatalf("event %+v", ev)
		}
	}
}

func TestExistsWatchKindDependsOnReply(t *testing.T) {
	s := newFakeServer(t)
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpExists {
			var req wire.ExistsRequest
			_ = wire.Unmarshal(body, &req)
			if req.Path == "/missing" {
				fc.reply(hdr.Xid, wire.CodeNoNode, nil)
				return
			}
		}
		defaultHandle(fc, hdr, body)
	})
	c := dialFake(t, []*fakeServer{s})
	ctx := bg(t)
	if ok, _, _, err := c.ExistsW(ctx, "/missing"); err != nil || ok {
		t.Fatal(ok, err)
	}
	if ok, _, _, err := c.ExistsW(ctx, "/present"); err != nil || !ok {
		t.Fatal(ok, err)
	}
	ws := c.watches.snapshot()
	if !slices.Equal(ws.exist, []string{"/missing"}) || !slices.Equal(ws.data, []string{"/present"}) {
		t.Fatalf("watches %+v", ws)
	}
}

func TestSetWatchesOnReconnect(t *testing.T) {
	s := newFakeServer(t)
	s.zxid.Store(777)
	type sw struct {
		op  wire.Op
		rec wire.SetWatches2
	}
	got := make(chan sw, 10)
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		switch hdr.Op {
		case wire.OpSetWatches:
			var r wire.SetWatches
			if err := wire.Unmarshal(body, &r); err != nil {
				t.Error(err)
			}
			got <- sw{hdr.Op, wire.SetWatches2{RelativeZxid: r.RelativeZxid, DataWatches: r.DataWatches, ExistWatches: r.ExistWatches, ChildWatches: r.ChildWatches}}
		case wire.OpSetWatches2:
			var r wire.SetWatches2
			if err := wire.Unmarshal(body, &r); err != nil {
				t.Error(err)
			}
			got <- sw{hdr.Op, r}
		}
		defaultHandle(fc, hdr, body)
	})
	c := dialFake(t, []*fakeServer{s}, WithDialer(nil))
	ctx := bg(t)
	states := c.States(ctx)
	waitState(t, states, StateConnected)
	s.nextConn(t)
	if _, _, _, err := c.GetW(ctx, "/d"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ChildrenW(ctx, "/c"); err != nil {
		t.Fatal(err)
	}
	s.dropAll()
	waitState(t, states, StateDisconnected)
	waitState(t, states, StateConnected)
	r := <-got
	if r.op != wire.OpSetWatches || r.rec.RelativeZxid != 777 || !slices.Equal(r.rec.DataWatches, []string{"/d"}) ||
		!slices.Equal(r.rec.ChildWatches, []string{"/c"}) || len(r.rec.ExistWatches) != 0 {
		t.Fatalf("SetWatches = %v %+v", r.op, r.rec)
	}
	if _, err := c.AddWatch(ctx, "/p", AddWatchPersistentRecursive); err != nil {
		t.Fatal(err)
	}
	s.dropAll()
	waitState(t, states, StateDisconnected)
	waitState(t, states, StateConnected)
	r = <-got
	if r.op != wire.OpSetWatches2 || !slices.Equal(r.rec.PersistentRecursiveWatches, []string{"/p"}) ||
		!slices.Equal(r.rec.DataWatches, []string{"/d"}) {
		t.Fatalf("SetWatches2 = %v %+v", r.op, r.rec)
	}
}

func TestSetWatchesBatching(t *testing.T) {
	m := newWatchManager()
	long := strings.Repeat("x", 1000)
	for i := range 400 {
		m.register(&watchReg{kind: watchData, path: fmt.Sprintf("/%s/%d", long, i), ch: make(chan Event, 1)}, wire.CodeOK)
	}
	pkts := m.snapshot().packets(42)
	if len(pkts) < 3 {
		t.Fatalf("%d packets for 400 KB of paths, want at least 3", len(pkts))
	}
	total := 0
	for _, p := range pkts {
		var r wire.SetWatches
		if err := wire.Unmarshal(p.body, &r); err != nil {
			t.Fatal(err)
		}
		size := 0
		for _, s := range r.DataWatches {
			size += len(s)
		}
		if size > setWatchesMaxLength || r.RelativeZxid != 42 || p.op != wire.OpSetWatches || p.xid != wire.XidSetWatches {
			t.Fatalf("packet with %d bytes of paths, zxid %d, op %v", size, r.RelativeZxid, p.op)
		}
		total += len(r.DataWatches)
	}
	if total != 400 {
		t.Fatalf("%d watches re-registered, want 400", total)
	}
}

// TestServerBehindIsLeftEvenIfItAccepts: a server that accepts the

// handshake although it is behind the client's last zxid (ZooKeeper would

// refuse) is detected from its first reply and left; the stale answer is

// not delivered.

func TestServerBehindIsLeftEvenIfItAccepts(t *testing.T) {
	ahead := newFakeServer(t)
	behind := newFakeServer(t)
	ahead.zxid.Store(500)
	behind.zxid.Store(200)
	c := dialFake(t, []*fakeServer{ahead, behind})
	ctx := bg(t)
	if _, _, err := c.Get(ctx, "/x"); err != nil {
		t.Fatal(err)
	}
	states := c.States(ctx)
	waitState(t, states, StateConnected)
	ahead.nextConn(t)
	ahead.dropAll() // the client moves on to the stale server first
	waitState(t, states, StateDisconnected)
	for {
		d, _, err := c.Get(ctx, "/y")
		if err == nil {
			if string(d) != "/y" || c.Server() != ahead.addr() {
				t.Fatalf("Get = %q from %s, want an answer from %s", d, c.Server(), ahead.addr())
			}
			break
		}
		if !errors.Is(err, ErrConnectionLoss) {
			t.Fatal(err)
		}
	}
	if c.LastZxid() != 500 {
		t.Fatalf("LastZxid = %d", c.LastZxid())
	}
	if len(behind.handshakes()) == 0 {
		t.Fatal("the stale server was never tried")
	}
}

// TestCanceledCallReleasesData: once a call returns because its ctx ended,

// the client never reads the caller's data again (the race detector checks

// the writes below against the send loop's encoding).
