package server

import (
	"context"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zabkit/zabkit/core/znode"
	"github.com/zabkit/zabkit/wire"
)

// conn is one client connection. Its reader goroutine decodes requests,
// its writer goroutine writes the out queue; replies leave in request
// order (reads wait behind the same client's earlier writes), and watch
// events are queued when the txn that fires them is applied.
type conn struct {
	s    *Server
	id   uint64
	nc   net.Conn
	host string
	out  *queue[[]byte]

	session     atomic.Int64
	timeout     atomic.Int32
	established chan struct{}

	mu      sync.Mutex
	pending []*preq
	closed  bool

	authMu sync.Mutex
	auth   []wire.ID

	slots chan struct{}

	stats connStats
}

type reqKind uint8

const (
	kindRead reqKind = iota
	kindWrite
	kindSync
	kindDone
)

// preq is a request waiting for its turn to be answered.
type preq struct {
	xid   int32
	op    wire.Op
	rec   wire.Record
	kind  reqKind
	done  bool
	frame []byte
	at    time.Time
	slot  bool
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.stop:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.log.Warn("accept failed", "err", err)
			return
		}
		host, _, _ := net.SplitHostPort(nc.RemoteAddr().String())
		c := &conn{s: s, id: s.nextConn.Add(1), nc: nc, host: host, out: newQueue[[]byte](),
			established: make(chan struct{}), auth: []wire.ID{znode.IPAuth(host)},
			slots: make(chan struct{}, s.cfg.MaxOutstanding)}
		c.stats.init()
		if !s.register(c) {
			s.log.Warn("too many connections from one host", "host", host, "max", s.cfg.MaxClientCnxns)
			_ = nc.Close()
			continue
		}
		s.wg.Add(2)
		go c.writeLoop()
		go c.readLoop()
	}
}

func (s *Server) register(c *conn) bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	select {
	case <-s.stop:
		return false
	default:
	}
	if s.cfg.MaxClientCnxns > 0 && s.perHost[c.host] >= s.cfg.MaxClientCnxns {
		return false
	}
	s.perHost[c.host]++
	s.conns[c.id] = c
	return true
}

func (s *Server) unregister(c *conn) {
	s.connMu.Lock()
	if _, ok := s.conns[c.id]; ok {
		delete(s.conns, c.id)
		s.perHost[c.host]--
		if s.perHost[c.host] <= 0 {
			delete(s.perHost, c.host)
		}
	}
	if s.bySession[c.session.Load()] == c {
		delete(s.bySession, c.session.Load())
	}
	s.connMu.Unlock()
}

func (s *Server) connByID(id uint64) *conn {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	return s.conns[id]
}

// bindSession makes c the local connection of its session, closing an
// older one here (the client moved).
func (s *Server) bindSession(c *conn) {
	s.connMu.Lock()
	old := s.bySession[c.session.Load()]
	s.bySession[c.session.Load()] = c
	s.connMu.Unlock()
	if old != nil && old != c {
		old.close("session moved to another connection")
	}
}

func (s *Server) closeAllConns(reason string) {
	s.connMu.Lock()
	cs := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		cs = append(cs, c)
	}
	s.connMu.Unlock()
	for _, c := range cs {
		c.close(reason)
	}
}

// closeSessionConns closes this server's connections of a closed session;
// the one that asked for the close (o) closes itself after its reply.
func (s *Server) closeSessionConns(id int64, o origin) {
	s.connMu.Lock()
	var cs []*conn
	for _, c := range s.conns {
		if c.session.Load() == id && !(o.Server == s.cfg.ID && o.Conn == c.id) {
			cs = append(cs, c)
		}
	}
	s.connMu.Unlock()
	for _, c := range cs {
		c.close("session closed")
	}
}

// close shuts the connection at once.
func (c *conn) close(reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	c.s.log.Debug("closing client connection", "conn", c.id, "session", sessionHex(c.session.Load()), "reason", reason)
	c.out.close()
	_ = c.nc.Close()
}

// closeAfterFlush lets the writer send what is queued, then closes.
func (c *conn) closeAfterFlush() { c.out.close() }

func (c *conn) writeLoop() {
	defer c.s.wg.Done()
	for {
		select {
		case <-c.out.notify:
		case <-c.out.notifyClosed():
		}
		frames := c.out.take()
		if len(frames) > 0 {
			bufs := net.Buffers(frames)
			_ = c.nc.SetWriteDeadline(time.Now().Add(c.s.writeTimeout()))
			if _, err := bufs.WriteTo(c.nc); err != nil {
				c.close("write failed: " + err.Error())
				return
			}
			c.s.metrics.packetsOut.Add(int64(len(frames)))
			c.stats.sent.Add(int64(len(frames)))
			continue
		}
		if c.out.isClosed() {
			_ = c.nc.Close()
			return
		}
	}
}

func (s *Server) writeTimeout() time.Duration { return max(s.cfg.MaxSessionTimeout, 10*time.Second) }

func (c *conn) readLoop() {
	s := c.s
	defer s.wg.Done()
	defer c.cleanup()
	if !c.handshake() {
		return
	}
	for {
		frame, err := wire.ReadFrame(c.nc, nil, s.cfg.MaxPacket)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.log.Info("client connection closed", "conn", c.id, "session", sessionHex(c.session.Load()), "reason", err)
			}
			return
		}
		if !s.gate.wait(s.stop) {
			return
		}
		s.d.sess.touchLocal(c.session.Load())
		s.metrics.packetsIn.Add(1)
		c.stats.received.Add(1)
		if !c.handle(frame) {
			return
		}
	}
}

func (c *conn) cleanup() {
	// Replies already queued (an AuthFailed, an expired session's
	// connect response) still go out; the writer closes the socket.
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.closeAfterFlush()
	c.s.unregister(c)
	c.s.treeMu.RLock()
	c.s.tree.RemoveWatcher(c)
	c.s.treeMu.RUnlock()
	c.mu.Lock()
	for _, p := range c.pending {
		if p.slot {
			c.release()
		}
	}
	c.pending = nil
	c.mu.Unlock()
}

// handshake reads the ConnectRequest (or a four-letter word) and
// establishes the session. It reports whether requests follow.
func (c *conn) handshake() bool {
	s := c.s
	_ = c.nc.SetReadDeadline(time.Now().Add(max(s.cfg.TickTime*time.Duration(s.cfg.InitLimit), 10*time.Second)))
	var hdr [4]byte
	if _, err := io.ReadFull(c.nc, hdr[:]); err != nil {
		return false
	}
	if cmd := string(hdr[:]); isFourLetterWord(cmd) {
		c.fourLetter(cmd)
		return false
	}
	n := int32(binary.BigEndian.Uint32(hdr[:]))
	if err := wire.CheckFrameLength(n, s.cfg.MaxPacket); err != nil {
		s.log.Info("bad connect frame", "conn", c.id, "err", err)
		return false
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.nc, body); err != nil {
		return false
	}
	_ = c.nc.SetReadDeadline(time.Time{})
	var req wire.ConnectRequest
	if err := wire.Unmarshal(body, &req); err != nil {
		s.log.Info("malformed connect request", "conn", c.id, "err", err)
		return false
	}
	if !s.serving.Load() {
		s.log.Debug("refusing client: not serving", "conn", c.id)
		return false
	}
	if last := s.applied.Load(); req.LastZxidSeen > last {
		s.log.Info("refusing client that has seen a later zxid", "conn", c.id,
			"clientZxid", req.LastZxidSeen, "serverZxid", last)
		return false
	}
	to := time.Duration(req.TimeOut) * time.Millisecond
	to = min(max(to, s.cfg.MinSessionTimeout), s.cfg.MaxSessionTimeout)
	c.timeout.Store(int32(to.Milliseconds()))
	resp := &wire.ConnectResponse{OmitReadOnly: req.OmitReadOnly}
	if req.SessionID == 0 {
		c.session.Store(s.nextSess.Add(1))
		w := writeReq{Origin: origin{s.cfg.ID, c.id}, Session: c.session.Load(), Op: wire.OpCreateSession,
			Body: wire.Marshal(&wire.CreateSessionTxn{TimeOut: c.timeout.Load()})}
		b := w.marshal()
		if s.do(context.Background(), func() { s.d.forward(b) }) != nil {
			return false
		}
		select {
		case <-c.established:
		case <-s.stop:
			return false
		case <-c.out.notifyClosed():
			return false
		}
		return true
	}
	// The password is checked here; whether the session is alive (and
	// now owned by this connection) the leader says, as a ZooKeeper
	// learner revalidates with its leader.
	if subtle.ConstantTimeCompare(req.Passwd, sessionPassword(req.SessionID)) != 1 {
		return c.sessionExpired(req.SessionID, resp)
	}
	v, ok := c.revalidate(req.SessionID)
	if !ok {
		return false
	}
	if !v.Valid {
		return c.sessionExpired(req.SessionID, resp)
	}
	c.session.Store(req.SessionID)
	c.timeout.Store(v.Timeout)
	s.bindSession(c)
	resp.TimeOut, resp.SessionID, resp.Passwd = c.timeout.Load(), c.session.Load(), sessionPassword(c.session.Load())
	c.out.push(wire.AppendFrame(nil, resp))
	return true
}

// sessionExpired answers a reconnect with an expired or invalid session.
func (c *conn) sessionExpired(id int64, resp *wire.ConnectResponse) bool {
	c.s.log.Info("session expired or invalid", "conn", c.id, "session", sessionHex(id))
	resp.Passwd = make([]byte, 16)
	c.out.push(wire.AppendFrame(nil, resp))
	c.closeAfterFlush()
	return false
}

// revalidate waits for the leader's verdict on a session this connection
// reconnects with; false if none comes (this server stopped serving, or
// the connection closed).
func (c *conn) revalidate(id int64) (verdict, bool) {
	s := c.s
	done := make(chan verdict, 1)
	o := origin{s.cfg.ID, c.id}
	if s.do(context.Background(), func() { s.d.revalidate(id, o, done) }) != nil {
		return verdict{}, false
	}
	select {
	case v := <-done:
		return v, true
	case <-s.stop:
	case <-c.out.notifyClosed():
	}
	return verdict{}, false
}

// committed answers the request a committed txn came from.
func (c *conn) committed(txn znode.Txn, res znode.Result, t0 time.Time) {
	h := txn.Header
	if h.Type == wire.OpCreateSession {
		if h.ClientID != c.session.Load() {
			return
		}
		c.s.bindSession(c)
		c.out.push(wire.AppendFrame(nil, &wire.ConnectResponse{TimeOut: c.timeout.Load(), SessionID: c.session.Load(),
			Passwd: sessionPassword(c.session.Load())}))
		select {
		case <-c.established:
		default:
			close(c.established)
		}
		return
	}
	code, body := res.Reply()
	c.complete(h.Cxid, code, body, h.Zxid, t0)
	if h.Type == wire.OpCloseSession {
		c.closeAfterFlush()
	}
}

// complete records the answer of a write or sync and sends what is ready.
func (c *conn) complete(xid int32, code wire.Code, body wire.Record, zxid int64, t0 time.Time) {
	c.mu.Lock()
	for _, p := range c.pending {
		if p.xid == xid && !p.done && p.kind != kindRead {
			p.frame = replyFrame(xid, zxid, code, body)
			p.done = true
			break
		}
	}
	c.mu.Unlock()
	c.drain()
}

func replyFrame(xid int32, zxid int64, code wire.Code, body wire.Record) []byte {
	h := &wire.ReplyHeader{Xid: xid, Zxid: zxid, Err: code}
	if code != wire.CodeOK || body == nil {
		return wire.AppendFrame(nil, h)
	}
	return wire.AppendFrame(nil, h, body)
}

// drain sends the answers at the head of the queue, running reads whose
// turn has come.
func (c *conn) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.pending) > 0 {
		p := c.pending[0]
		if !p.done && p.kind != kindRead {
			return
		}
		c.pending[0] = nil
		c.pending = c.pending[1:]
		if p.kind == kindRead && !p.done {
			// The reply is queued under the tree's read lock: no event of
			// a later txn (queued under the write lock) can overtake it,
			// so a watch this read sets never fires before its reply.
			c.s.treeMu.RLock()
			c.out.push(c.execRead(p))
			c.s.treeMu.RUnlock()
		} else {
			c.out.push(p.frame)
		}
		if p.slot {
			c.release()
		}
		if p.kind != kindDone {
			c.s.metrics.request(time.Since(p.at))
		}
	}
}

// enqueue adds a request to the connection's queue, waiting for a free
// slot when the connection has MaxOutstanding requests in flight.
func (c *conn) enqueue(p *preq) bool {
	if p.kind != kindDone {
		if !c.acquire(c.slots) {
			return false
		}
		if !c.acquire(c.s.slots) {
			<-c.slots
			return false
		}
		p.slot = true
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		if p.slot {
			c.release()
		}
		return false
	}
	c.pending = append(c.pending, p)
	c.mu.Unlock()
	return true
}

// acquire takes a slot of sem, waiting (and counting the throttling)
// when none is free; false if the connection closed meanwhile.
func (c *conn) acquire(sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
	}
	c.s.metrics.throttled.Add(1)
	select {
	case sem <- struct{}{}:
		return true
	case <-c.out.notifyClosed():
		return false
	case <-c.s.stop:
		return false
	}
}

// release frees a request's connection and global slots.
func (c *conn) release() {
	<-c.slots
	<-c.s.slots
}

// sendEvent queues a watch event (called with the tree locked).
func (c *conn) sendEvent(typ wire.EventType, path string) {
	c.out.push(wire.AppendFrame(nil, &wire.ReplyHeader{Xid: wire.XidNotification, Zxid: -1},
		&wire.WatcherEvent{Type: typ, State: wire.StateSyncConnected, Path: path}))
}

func (c *conn) authIDs() []wire.ID {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	return c.auth
}

func (c *conn) addAuth(ids []wire.ID) {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	out := append([]wire.ID(nil), c.auth...)
	for _, id := range ids {
		dup := false
		for _, have := range out {
			dup = dup || have == id
		}
		if !dup {
			out = append(out, id)
		}
	}
	c.auth = out
}
