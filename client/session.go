package client

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/zabkit/zabkit/wire"
)

// errServerRefused marks a connection closed by the server before the
// handshake completed, which is how ZooKeeper refuses a client that has seen
// a newer zxid than the server (and how it sheds load).
var errServerRefused = errors.New("zk: server closed the connection during the handshake")

// errServerBehind ends a connection to a server whose replies show it has
// not yet applied transactions the client has already seen.
var errServerBehind = errors.New("zk: server behind the client's last zxid")

// run is the session goroutine: it dials a link, serves it until it
// breaks, and dials the next, until the session ends or Close.
func (c *Conn) run() {
	defer c.wg.Done()
	defer close(c.runDone)
	bo := c.opts.reconnect()
	next := 0
	wait := false // no wait before the very first attempt
	for {
		if c.closeCtx.Err() != nil {
			c.terminate(ErrClosed, StateClosed)
			return
		}
		if wait {
			d := bo.NextBackOff()
			if d == backoff.Stop {
				d = time.Second
			}
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-c.closeCtx.Done():
				t.Stop()
				continue
			}
		}
		wait = true
		addr := c.servers[next%len(c.servers)]
		c.mu.Lock()
		if c.rwServer != "" {
			// Found while connected read-only: go there at once.
			addr, c.rwServer, wait = c.rwServer, "", false
		} else {
			next++
		}
		c.mu.Unlock()
		c.setState(StateConnecting)
		nc, resp, err := c.handshake(addr)
		if err != nil {
			if errors.Is(err, ErrSessionExpired) {
				if !c.opts.renew {
					c.terminate(ErrSessionExpired, StateExpired)
					return
				}
				c.renew()
				continue
			}
			if c.closeCtx.Err() == nil {
				c.logger.Info("zk: connect failed", "server", addr, "err", err)
			}
			continue
		}
		start := time.Now()
		err = c.serveLink(nc, addr, resp)
		if time.Since(start) >= time.Duration(resp.TimeOut)*time.Millisecond/3 {
			// The link was good for a while: start the backoff
			// afresh. A server that accepts and at once drops the client
			// keeps it growing instead.
			bo.Reset()
		}
		c.mu.Lock()
		c.server = ""
		closing, terminal := c.closing, c.err != nil
		c.mu.Unlock()
		if terminal {
			return
		}
		if closing {
			// Close is in progress: its closeSession (if not yet answered)
			// and every queued request fail now; do not reconnect.
			c.closeQueue(ErrClosed)
			<-c.closeCtx.Done()
			continue
		}
		c.logger.Info("zk: disconnected", "server", addr, "err", err)
		c.setState(StateDisconnected)
	}
}

// handshake dials addr and performs the session handshake, which opens a
// link's TCP connection.
func (c *Conn) handshake(addr string) (net.Conn, *wire.ConnectResponse, error) {
	c.mu.Lock()
	sid := c.sessionID
	if !c.seenRW {
		// A session made by a read-only server is not valid on the
		// others: until one read-write server has accepted the session,
		// ask for a new one (as ZooKeeper's client does).
		sid = 0
	}
	req := wire.ConnectRequest{
		ProtocolVersion: 0,
		LastZxidSeen:    c.lastZxid.Load(),
		TimeOut:         int32(c.opts.sessionTimeout / time.Millisecond),
		SessionID:       sid,
		Passwd:          append([]byte(nil), c.passwd...),
		ReadOnly:        c.opts.readOnly,
	}
	c.mu.Unlock()
	// As ZooKeeper's client: give each server an equal share of the
	// session timeout to answer.
	timeout := c.opts.sessionTimeout / time.Duration(len(c.servers))
	ctx, cancel := context.WithTimeout(c.closeCtx, timeout)
	defer cancel()
	nc, err := c.opts.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	if _, err := nc.Write(wire.AppendFrame(nil, &req)); err != nil {
		nc.Close()
		return nil, nil, err
	}
	frame, err := wire.ReadFrame(nc, nil, c.opts.maxPacket)
	if err != nil {
		nc.Close()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = errServerRefused
		}
		return nil, nil, err
	}
	var resp wire.ConnectResponse
	if err := wire.Unmarshal(frame, &resp); err != nil {
		nc.Close()
		return nil, nil, err
	}
	if !stop() {
		nc.Close()
		return nil, nil, ctx.Err()
	}
	_ = nc.SetDeadline(time.Time{})
	if resp.TimeOut <= 0 {
		nc.Close()
		return nil, nil, fmt.Errorf("zk: session 0x%x: %w", req.SessionID, ErrSessionExpired)
	}
	return nc, &resp, nil
}

// serveLink runs one established link until it fails or Close.
func (c *Conn) serveLink(nc net.Conn, addr string, resp *wire.ConnectResponse) error {
	timeout := time.Duration(resp.TimeOut) * time.Millisecond
	c.mu.Lock()
	if c.sessionID != 0 && c.sessionID != resp.SessionID {
		c.logger.Warn("zk: server assigned a new session id", "old", c.sessionIDLocked(), "new", fmt.Sprintf("0x%x", resp.SessionID))
	}
	c.sessionID = resp.SessionID
	c.installSessionLocked(resp.SessionID)
	c.passwd = append(c.passwd[:0], resp.Passwd...)
	c.timeout = timeout
	pingEvery := pingInterval(timeout)
	c.pingEvery = pingEvery
	c.server = addr
	auths := append([]authInfo(nil), c.auths...)
	st := StateConnected
	if resp.ReadOnly {
		st = StateConnectedReadOnly
	} else {
		c.seenRW = true
	}
	c.logger.Info("zk: connected", "server", addr, "session", c.sessionIDLocked(), "timeout", timeout, "readOnly", resp.ReadOnly)
	c.mu.Unlock()

	ln := &link{
		session:   c,
		nc:        nc,
		timeout:   timeout,
		pingEvery: pingEvery,
		minZxid:   c.lastZxid.Load(),
		dead:      make(chan struct{}),
	}
	// Priming packets go first: watches to re-register, then credentials.
	prime := c.watches.snapshot().packets(c.lastZxid.Load())
	for _, a := range auths {
		a := a
		prime = append(prime, &request{op: wire.OpAuth, xid: wire.XidAuth, auth: &a, done: make(chan struct{}),
			body: wire.Marshal(&wire.AuthPacket{Type: 0, Scheme: a.scheme, Auth: a.auth})})
	}
	c.setState(st)

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ln.sendLoop(prime) }()
	go func() { defer wg.Done(); ln.recvLoop() }()
	if resp.ReadOnly && len(c.servers) > 1 {
		wg.Add(1)
		go func() { defer wg.Done(); ln.seekReadWrite(addr) }()
	}
	select {
	case <-ln.dead:
	case <-c.closeCtx.Done():
		ln.fail(ErrClosed)
	}
	wg.Wait()
	lossErr := error(ErrConnectionLoss)
	if err := c.Err(); err != nil {
		lossErr = err
	} else if c.closeCtx.Err() != nil {
		lossErr = ErrClosed
	}
	ln.pending.failAll(lossErr)
	ln.auths.failAll(lossErr)
	return ln.err
}

// errReadWriteFound ends a read-only link when a read-write server
// has been found.
var errReadWriteFound = errors.New("zk: found a read-write server")

// seekReadWrite runs while the link is to a read-only server: it asks
// the other servers, one at a time and ever less often (100ms doubling to
// 60s, as ZooKeeper's client), whether they are read-write ("isro" four
// letter word), and on the first "rw" ends this link so that the
// session moves there.
func (ln *link) seekReadWrite(current string) {
	c := ln.session
	wait := 100 * time.Millisecond
	i := 0
	for {
		t := time.NewTimer(wait)
		select {
		case <-ln.dead:
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, 60*time.Second)
		addr := c.servers[i%len(c.servers)]
		i++
		if addr == current {
			continue
		}
		if c.isReadWrite(addr) {
			c.mu.Lock()
			c.rwServer = addr
			c.mu.Unlock()
			c.logger.Info("zk: read-write server found", "server", addr)
			ln.fail(errReadWriteFound)
			return
		}
	}
}

// isReadWrite asks addr with the "isro" four letter word whether it serves
// writes.
func (c *Conn) isReadWrite(addr string) bool {
	ctx, stop := context.WithTimeout(c.closeCtx, time.Second)
	defer stop()
	nc, err := c.opts.dial(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer nc.Close()
	dl, _ := ctx.Deadline()
	_ = nc.SetDeadline(dl)
	if _, err := nc.Write([]byte("isro")); err != nil {
		return false
	}
	var b [2]byte
	_, err = io.ReadFull(nc, b[:])
	return err == nil && string(b[:]) == "rw"
}

// pingInterval is how long a link may be idle before the client
// pings: a third of the negotiated session timeout, as ZooKeeper's client
// (which pings after half its read timeout of two thirds).
func pingInterval(timeout time.Duration) time.Duration { return timeout / 3 }

// link is one TCP connection to one server, carrying the session (the
// Conn) from its handshake until it breaks. A session lives on a sequence
// of links, one at a time: run dials a new link after the previous one
// broke, and requests left unanswered on a broken link fail with
// ErrConnectionLoss.
type link struct {
	session   *Conn
	nc        net.Conn
	timeout   time.Duration // negotiated session timeout
	pingEvery time.Duration // idle time before a ping
	pending   pendingQueue  // numbered requests and SetWatches, in send order
	auths     pendingQueue  // auth packets, answered out of band
	minZxid   int64         // the client's last zxid when it connected
	dec       wire.Decoder  // used by the receive loop

	once sync.Once
	dead chan struct{}
	err  error
}

// fail records the first error and closes the link's TCP connection.
func (ln *link) fail(err error) {
	ln.once.Do(func() {
		ln.err = err
		close(ln.dead)
		ln.nc.Close()
	})
}

// sendLoop writes the priming packets, then queued requests, and pings when
// the link has been idle for a third of the session timeout.
func (ln *link) sendLoop(prime []*request) {
	c := ln.session
	w := bufio.NewWriterSize(ln.nc, 64<<10)
	var buf []byte
	// write registers r with the link (so its reply always finds
	// it) and writes it. It reports false, leaving r untouched, when the
	// link is already dead; a write error fails the link and
	// r with it (it is registered: its outcome is unknown).
	write := func(r *request) bool {
		// Encoding holds r's lock: once a caller's abandon returns, its
		// request is either encoded already or never will be, so the
		// caller may reuse the data it passed.
		r.mu.Lock()
		if r.abandoned {
			r.mu.Unlock()
			r.finish(context.Canceled, 0, nil)
			return true
		}
		buf = append(buf[:0], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) // length, xid, op
		if r.rec != nil {
			buf = wire.Append(buf, r.rec)
		} else {
			buf = append(buf, r.body...)
		}
		r.mu.Unlock()
		if n := len(buf) - wire.FrameHeaderSize; n > c.opts.maxPacket {
			r.finish(fmt.Errorf("zk: %v request of %d bytes exceeds the max packet size %d: %w", r.op, n, c.opts.maxPacket, ErrBadArguments), 0, nil)
			return true
		}
		q := &ln.pending
		switch r.op {
		case wire.OpAuth:
			r.xid = wire.XidAuth
			q = &ln.auths
		case wire.OpSetWatches, wire.OpSetWatches2:
			r.xid = wire.XidSetWatches
		default:
			r.xid = c.nextXid()
		}
		select {
		case <-ln.dead:
			// A request may be queued because an earlier one just failed
			// with this link: it must wait for the next one.
			return false
		default:
		}
		if !q.push(r) {
			return false
		}
		binary.BigEndian.PutUint32(buf[0:], uint32(len(buf)-wire.FrameHeaderSize))
		binary.BigEndian.PutUint32(buf[4:], uint32(r.xid))
		binary.BigEndian.PutUint32(buf[8:], uint32(r.op))
		if _, err := w.Write(buf); err != nil {
			ln.fail(err)
		}
		return true
	}
	for _, r := range prime {
		if !write(r) {
			return
		}
	}
	// Requests queued while no link was up go out now.
	select {
	case c.qwake <- struct{}{}:
	default:
	}
	pingEvery := ln.pingEvery
	ping := time.NewTimer(pingEvery)
	defer ping.Stop()
	for {
		if err := w.Flush(); err != nil {
			ln.fail(err)
			return
		}
		select {
		case <-ln.dead:
			return
		case <-c.qwake:
			sent := false
			batch := c.takeQueue()
			for i, r := range batch {
				if !write(r) {
					// The link is gone: the requests not yet sent go
					// back, in order, to wait for the next one.
					c.requeue(batch[i:])
					return
				}
				sent = true
			}
			c.recycle(batch)
			if sent {
				if !ping.Stop() {
					select {
					case <-ping.C:
					default:
					}
				}
				ping.Reset(pingEvery)
			}
		case <-ping.C:
			buf = appendRequest(buf[:0], wire.XidPing, wire.OpPing, nil)
			if _, err := w.Write(buf); err != nil {
				ln.fail(err)
				return
			}
			ping.Reset(pingEvery)
		}
	}
}

// requeue puts requests that were not sent back at the head of the queue,
// in order, ahead of requests queued since.
func (c *Conn) requeue(rs []*request) {
	c.qmu.Lock()
	if c.qerr != nil {
		err := c.qerr
		c.qmu.Unlock()
		for _, r := range rs {
			r.finish(err, 0, nil)
		}
		return
	}
	c.queue = append(append([]*request(nil), rs...), c.queue...)
	c.qmu.Unlock()
	select {
	case c.qwake <- struct{}{}:
	default:
	}
}

// recvLoop reads replies and watch events until the link fails.
func (ln *link) recvLoop() {
	c := ln.session
	r := bufio.NewReaderSize(ln.nc, 64<<10)
	readTimeout := ln.timeout * 2 / 3
	var buf []byte
	for {
		_ = ln.nc.SetReadDeadline(time.Now().Add(readTimeout))
		frame, err := wire.ReadFrame(r, buf, c.opts.maxPacket)
		if err != nil {
			ln.fail(err)
			return
		}
		buf = frame
		if err := ln.handleFrame(frame); err != nil {
			ln.fail(err)
			return
		}
	}
}

// handleFrame processes one frame from the server: a watch event, a ping
// or auth reply, or the reply to the oldest pending request. An error ends
// the link (a protocol violation, an authentication failure, or the
// answer to closeSession).
func (ln *link) handleFrame(frame []byte) error {
	c := ln.session
	// The header is decoded by hand: it is on every reply's path and
	// this way costs no allocation.
	if len(frame) < replyHeaderSize {
		return fmt.Errorf("zk: reply of %d bytes, shorter than its header: %w", len(frame), wire.ErrTruncated)
	}
	hdr := wire.ReplyHeader{
		Xid:  int32(binary.BigEndian.Uint32(frame[0:])),
		Zxid: int64(binary.BigEndian.Uint64(frame[4:])),
		Err:  wire.Code(int32(binary.BigEndian.Uint32(frame[12:]))),
	}
	body := frame[replyHeaderSize:]
	if hdr.Xid != wire.XidNotification && hdr.Zxid > 0 && hdr.Zxid < ln.minZxid {
		// Every reply carries the server's last applied zxid. A server
		// should refuse a client that has seen more than it has (ZooKeeper
		// does, at the handshake); if one did not, its answers could be
		// older than what the client already read: leave it.
		err := fmt.Errorf("zk: server is behind the client (reply zxid 0x%x, client has seen 0x%x): %w", hdr.Zxid, ln.minZxid, errServerBehind)
		ln.fail(err)
		if hdr.Xid != wire.XidPing && hdr.Xid != wire.XidAuth {
			if req := ln.pending.pop(); req != nil {
				req.finish(ErrConnectionLoss, 0, nil)
			}
		}
		return err
	}
	switch hdr.Xid {
	case wire.XidNotification:
		var ev wire.WatcherEvent
		if err := ln.decode(body, &ev); err != nil {
			return err
		}
		c.watches.trigger(ev.Type, ev.Path, c.clientPath(ev.Path))
	case wire.XidPing:
	case wire.XidAuth:
		req := ln.auths.pop()
		if hdr.Err == wire.CodeAuthFailed {
			if req != nil {
				req.finish(fmt.Errorf("zk: auth: %w", ErrAuthFailed), hdr.Zxid, nil)
			}
			c.terminate(ErrAuthFailed, StateAuthFailed)
			return ErrAuthFailed
		}
		if req != nil {
			if hdr.Err == wire.CodeOK && req.auth != nil {
				c.rememberAuth(*req.auth)
			}
			req.finish(hdr.Err.Err(), hdr.Zxid, nil)
		}
	default:
		req := ln.pending.pop()
		if req == nil || req.xid != hdr.Xid {
			err := fmt.Errorf("zk: reply xid %d out of order (expected %v): %w", hdr.Xid, xidOf(req), wire.ErrMalformed)
			ln.fail(err) // first, so that no request issued after req fails goes out here
			if req != nil {
				req.finish(ErrConnectionLoss, 0, nil)
			}
			return err
		}
		if hdr.Zxid > 0 {
			c.observeZxid(hdr.Zxid)
		}
		rerr := hdr.Err.Err()
		if rerr == nil && req.resp != nil {
			rerr = ln.decode(body, req.resp)
		}
		var register func()
		if w := req.watch; w != nil && (rerr == nil || hdr.Err != wire.CodeOK) {
			code := hdr.Err
			register = func() { c.watches.register(w, code) }
		}
		req.finish(rerr, hdr.Zxid, register)
		if req.op == wire.OpCloseSession {
			return ErrClosed
		}
	}
	return nil
}

func xidOf(r *request) any {
	if r == nil {
		return "none"
	}
	return r.xid
}

func (c *Conn) rememberAuth(a authInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range c.auths {
		if x.scheme == a.scheme && string(x.auth) == string(a.auth) {
			return
		}
	}
	c.auths = append(c.auths, a)
}

// replyHeaderSize is the encoded size of a ReplyHeader.
const replyHeaderSize = 16

// decode decodes exactly one record from b, reusing the link's
// Decoder (only the receive loop calls it).
func (ln *link) decode(b []byte, r wire.Record) error {
	d := &ln.dec
	d.Reset(b, ln.session.opts.maxPacket)
	if err := r.Decode(d); err != nil {
		return fmt.Errorf("zk: decode %T: %w", r, err)
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("zk: decode %T: %w (%d bytes)", r, wire.ErrTrailingBytes, d.Remaining())
	}
	return nil
}

// appendRequest appends a framed request: length, header, body.
func appendRequest(dst []byte, xid int32, op wire.Op, body []byte) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(xid))
	dst = binary.BigEndian.AppendUint32(dst, uint32(op))
	dst = append(dst, body...)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}
