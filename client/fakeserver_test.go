package client

import (
	"bufio"
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/zabkit/zabkit/wire"
)

// fakeServer speaks just enough of the ZooKeeper protocol, in process, to
// drive the client's connection logic deterministically: a test decides how
// each handshake and each request is answered.
type fakeServer struct {
	t  testing.TB
	ln net.Listener

	sessionID int64
	passwd    []byte
	timeoutMS int32
	zxid      atomic.Int64 // zxid put in replies

	mu sync.Mutex
	// onConnect decides the handshake; nil accepts with the server's
	// session. Returning nil closes the connection without an answer.
	onConnect func(req *wire.ConnectRequest) *wire.ConnectResponse
	// handle answers one request; nil uses defaultHandle.
	handle  func(fc *fakeConn, hdr wire.RequestHeader, body []byte)
	conns   []*fakeConn
	isro    string                // answer to the "isro" four letter word
	connect []wire.ConnectRequest // every handshake seen

	accepted chan *fakeConn // every established connection
	hsSignal chan struct{}  // closed and replaced at every handshake
	wg       sync.WaitGroup
}

type fakeConn struct {
	s   *fakeServer
	nc  net.Conn
	wmu sync.Mutex
}

func newFakeServer(t testing.TB) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{
		t: t, ln: ln,
		sessionID: 0x1234,
		passwd:    []byte("0123456789abcdef"),
		timeoutMS: 4000,
		accepted:  make(chan *fakeConn, 100),
		hsSignal:  make(chan struct{}),
	}
	s.zxid.Store(100)
	s.wg.Add(1)
	go s.acceptLoop()
	t.Cleanup(s.stop)
	return s
}

func (s *fakeServer) addr() string { return s.ln.Addr().String() }

func (s *fakeServer) stop() {
	s.ln.Close()
	s.dropAll()
	s.wg.Wait()
}

// dropAll closes every open connection.
func (s *fakeServer) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.nc.Close()
	}
	s.conns = nil
}

func (s *fakeServer) setHandler(h func(fc *fakeConn, hdr wire.RequestHeader, body []byte)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handle = h
}

func (s *fakeServer) setOnConnect(f func(req *wire.ConnectRequest) *wire.ConnectResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onConnect = f
}

func (s *fakeServer) handshakes() []wire.ConnectRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]wire.ConnectRequest(nil), s.connect...)
}

// waitHandshakes blocks until the server has seen at least n handshakes.
func (s *fakeServer) waitHandshakes(t testing.TB, n int) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		got, sig := len(s.connect), s.hsSignal
		s.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-sig:
		case <-timeout:
			t.Fatalf("fake server: %d handshakes within 20s, want %d", got, n)
		}
	}
}

func (s *fakeServer) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(nc)
		}()
	}
}

func (s *fakeServer) serve(nc net.Conn) {
	defer nc.Close()
	r := bufio.NewReader(nc)
	if b, err := r.Peek(4); err == nil && string(b) == "isro" {
		s.mu.Lock()
		answer := s.isro
		s.mu.Unlock()
		_, _ = nc.Write([]byte(answer))
		return
	}
	frame, err := wire.ReadFrame(r, nil, 0)
	if err != nil {
		return
	}
	var req wire.ConnectRequest
	if err := wire.Unmarshal(frame, &req); err != nil {
		s.t.Errorf("fake server: bad ConnectRequest: %v", err)
		return
	}
	s.mu.Lock()
	s.connect = append(s.connect, req)
	onConnect := s.onConnect
	close(s.hsSignal)
	s.hsSignal = make(chan struct{})
	s.mu.Unlock()
	var resp *wire.ConnectResponse
	if onConnect != nil {
		resp = onConnect(&req)
	} else {
		resp = &wire.ConnectResponse{TimeOut: s.timeoutMS, SessionID: s.sessionID, Passwd: s.passwd}
	}
	if resp == nil {
		return
	}
	fc := &fakeConn{s: s, nc: nc}
	s.mu.Lock()
	s.conns = append(s.conns, fc)
	s.mu.Unlock()
	if err := fc.write(resp); err != nil {
		return
	}
	s.accepted <- fc
	for {
		frame, err := wire.ReadFrame(r, nil, 0)
		if err != nil {
			return
		}
		var hdr wire.RequestHeader
		body, err := wire.UnmarshalPrefix(frame, &hdr)
		if err != nil {
			s.t.Errorf("fake server: bad header: %v", err)
			return
		}
		s.mu.Lock()
		h := s.handle
		s.mu.Unlock()
		if h == nil {
			h = defaultHandle
		}
		h(fc, hdr, body)
	}
}

func (fc *fakeConn) write(rs ...wire.Record) error {
	fc.wmu.Lock()
	defer fc.wmu.Unlock()
	return wire.WriteFrame(fc.nc, rs...)
}

// reply answers xid with code and body (nil for none).
func (fc *fakeConn) reply(xid int32, code wire.Code, body wire.Record) {
	hdr := &wire.ReplyHeader{Xid: xid, Zxid: fc.s.zxid.Load(), Err: code}
	if body == nil || code != wire.CodeOK {
		_ = fc.write(hdr)
		return
	}
	_ = fc.write(hdr, body)
}

// event sends a watch notification.
func (fc *fakeConn) event(typ EventType, path string) {
	_ = fc.write(&wire.ReplyHeader{Xid: wire.XidNotification, Zxid: -1},
		&wire.WatcherEvent{Type: typ, State: wire.StateSyncConnected, Path: path})
}

// defaultHandle answers pings, auth, SetWatches and closeSession; getData
// with the path as data; exists and getChildren2 with an empty Stat;
// create with the requested path; everything else with an empty OK.
func defaultHandle(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
	switch hdr.Op {
	case wire.OpPing, wire.OpAuth, wire.OpSetWatches, wire.OpSetWatches2:
		fc.reply(hdr.Xid, wire.CodeOK, nil)
	case wire.OpCloseSession:
		fc.reply(hdr.Xid, wire.CodeOK, nil)
		fc.nc.Close()
	case wire.OpGetData:
		var req wire.GetDataRequest
		_ = wire.Unmarshal(body, &req)
		fc.reply(hdr.Xid, wire.CodeOK, &wire.GetDataResponse{Data: []byte(req.Path)})
	case wire.OpExists:
		fc.reply(hdr.Xid, wire.CodeOK, &wire.ExistsResponse{})
	case wire.OpSetData:
		fc.reply(hdr.Xid, wire.CodeOK, &wire.SetDataResponse{})
	case wire.OpGetChildren2:
		fc.reply(hdr.Xid, wire.CodeOK, &wire.GetChildren2Response{Children: []string{}})
	case wire.OpCreate2:
		var req wire.CreateRequest
		_ = wire.Unmarshal(body, &req)
		fc.reply(hdr.Xid, wire.CodeOK, &wire.Create2Response{Path: req.Path})
	default:
		fc.reply(hdr.Xid, wire.CodeOK, nil)
	}
}

// nextConn waits for the next established connection.
func (s *fakeServer) nextConn(t testing.TB) *fakeConn {
	t.Helper()
	select {
	case fc := <-s.accepted:
		return fc
	case <-time.After(20 * time.Second):
		t.Fatal("fake server: no connection within 20s")
	}
	return nil
}

// dialFake connects a client to the fake servers (in the given order) and
// closes it at cleanup.
func dialFake(t testing.TB, servers []*fakeServer, opts ...Option) *Conn {
	t.Helper()
	connect := ""
	for i, s := range servers {
		if i > 0 {
			connect += ","
		}
		connect += s.addr()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	base := []Option{WithServerOrder(func([]string) {}), WithReconnectBackOff(zeroBackOff)}
	c, err := Dial(ctx, connect, append(base, opts...)...)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// zeroBackOff retries at once: the tests synchronize on events, not time.
func zeroBackOff() backoff.BackOff { return &constBackOff{} }

type constBackOff struct{}

func (*constBackOff) NextBackOff() time.Duration { return time.Millisecond }
func (*constBackOff) Reset()                     {}
