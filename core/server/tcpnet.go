package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/zabkit/zabkit/core/zab"
	"github.com/zabkit/zabkit/wire"
)

// The peer handshake: magic, protocol version, the dialer's server id.
const (
	peerMagic     uint32 = 0x5a41424b // "ZABK"
	peerVersion   uint16 = 1
	handshakeSize        = 4 + 2 + 8
	// maxPeerFrame bounds one peer message (a SNAP carries the whole tree).
	maxPeerFrame = 1 << 30
)

// errHandshake reports a peer connection with a bad handshake.
var errHandshake = errors.New("server: bad peer handshake")

// NewTCPNetwork returns the TCP Network over the peers' PeerAddr. As in
// ZooKeeper's QuorumCnxManager there is one connection per pair of
// servers: the server with the larger id dials, the smaller accepts (a
// connection dialed the other way is closed), and a newer connection
// from a peer replaces an older one. The dialer backs off (20ms doubling
// up to 1s) after a refused dial and after a connection closed before
// the peer sent anything.
func NewTCPNetwork(peers []Peer, log *slog.Logger) Network {
	addrs := map[uint64]string{}
	for _, p := range peers {
		addrs[p.ID] = p.PeerAddr
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &tcpNetwork{addrs: addrs, log: log, backoff: newDialBackOff}
}

type tcpNetwork struct {
	addrs map[uint64]string
	log   *slog.Logger
	// backoff makes the redial policy of one peer (tests record it).
	backoff func() backoff.BackOff
}

// newDialBackOff is the redial policy: 20ms doubling up to 1s, forever.
func newDialBackOff() backoff.BackOff {
	return backoff.NewExponentialBackOff(backoff.WithInitialInterval(20*time.Millisecond),
		backoff.WithMaxInterval(time.Second), backoff.WithMaxElapsedTime(0))
}

func (n *tcpNetwork) Attach(id uint64) (Transport, error) {
	addr, ok := n.addrs[id]
	if !ok || addr == "" {
		return nil, fmt.Errorf("server: no peer address for %d", id)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("server: peer listener: %w", err)
	}
	t := &tcpTransport{id: id, net: n, ln: ln, in: newQueue[Inbound](), recv: make(chan Inbound),
		peers: map[uint64]*tcpPeer{}, done: make(chan struct{}), log: n.log.With("transport", id)}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	for pid := range n.addrs {
		if pid != id {
			t.peers[pid] = &tcpPeer{}
		}
	}
	t.wg.Add(2)
	go t.acceptLoop()
	go t.pump()
	for pid, addr := range n.addrs {
		if pid < id {
			t.wg.Add(1)
			go t.dialLoop(pid, addr)
		}
	}
	return t, nil
}

type tcpTransport struct {
	id   uint64
	net  *tcpNetwork
	ln   net.Listener
	in   *queue[Inbound]
	recv chan Inbound
	log  *slog.Logger

	mu     sync.Mutex
	peers  map[uint64]*tcpPeer
	closed bool
	done   chan struct{}
	ctx    context.Context // ends with done: bounds dials
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// tcpPeer is the live connection to one peer, if any.
type tcpPeer struct {
	c *tcpConn
}

// tcpConn is one established peer connection with its outbound queue.
type tcpConn struct {
	peer uint64
	nc   net.Conn
	out  *queue[[]byte]
	once sync.Once
	// done is closed once serve has finished with this connection: its
	// reader stopped and its break was queued for the driver.
	done chan struct{}
}

func (t *tcpTransport) Send(m zab.Message) {
	m.From = t.id
	t.mu.Lock()
	p := t.peers[m.To]
	var c *tcpConn
	if p != nil {
		c = p.c
	}
	t.mu.Unlock()
	if c == nil {
		return // no connection: lost, as on a broken link
	}
	b := make([]byte, 4, 4+m.Size())
	b = m.AppendMarshal(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	c.out.push(b)
}

func (t *tcpTransport) Recv() <-chan Inbound { return t.recv }

func (t *tcpTransport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		t.wg.Wait()
		return nil
	}
	t.closed = true
	close(t.done)
	t.cancel()
	var cs []*tcpConn
	for _, p := range t.peers {
		if p.c != nil {
			cs = append(cs, p.c)
		}
	}
	t.mu.Unlock()
	err := t.ln.Close()
	for _, c := range cs {
		c.close()
	}
	t.in.close()
	t.wg.Wait()
	return err
}

func (c *tcpConn) close() {
	c.once.Do(func() {
		c.out.close()
		_ = c.nc.Close()
	})
}

func (t *tcpTransport) pump() {
	defer t.wg.Done()
	defer close(t.recv)
	for {
		select {
		case <-t.done:
			return
		case <-t.in.notify:
		}
		for _, in := range t.in.take() {
			select {
			case t.recv <- in:
			case <-t.done:
				return
			}
		}
	}
}

func (t *tcpTransport) acceptLoop() {
	defer t.wg.Done()
	for {
		nc, err := t.ln.Accept()
		if err != nil {
			select {
			case <-t.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			t.log.Warn("peer accept failed", "err", err)
			return
		}
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			id, err := readHandshake(nc)
			_ = nc.SetReadDeadline(time.Time{})
			if err != nil {
				t.log.Info("peer connection refused", "remote", nc.RemoteAddr(), "err", err)
				_ = nc.Close()
				return
			}
			if _, known := t.net.addrs[id]; !known || id <= t.id {
				// Only a larger id dials a smaller one (ZooKeeper's tie-break).
				t.log.Debug("peer connection closed by the id rule", "peer", id)
				_ = nc.Close()
				return
			}
			t.serve(id, nc)
		}()
	}
}

func readHandshake(r io.Reader) (uint64, error) {
	var b [handshakeSize]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	if binary.BigEndian.Uint32(b[:4]) != peerMagic {
		return 0, fmt.Errorf("%w: magic", errHandshake)
	}
	if v := binary.BigEndian.Uint16(b[4:6]); v != peerVersion {
		return 0, fmt.Errorf("%w: protocol version %d, want %d", errHandshake, v, peerVersion)
	}
	return binary.BigEndian.Uint64(b[6:]), nil
}

func handshake(id uint64) []byte {
	var b [handshakeSize]byte
	binary.BigEndian.PutUint32(b[:4], peerMagic)
	binary.BigEndian.PutUint16(b[4:6], peerVersion)
	binary.BigEndian.PutUint64(b[6:], id)
	return b[:]
}

// dialLoop keeps a connection to a smaller peer, reconnecting with
// exponential backoff. Each peer has its own loop, so a slow connect never
// holds up traffic to the others. The backoff restarts only after a
// connection on which the peer sent a message: one accepted and closed
// before that (a proxy whose backend is gone, a peer refusing it) counts
// as a failed dial, as a refused connection does; resetting on it redialed
// every 20ms, about 50 times a second (issue 19).
func (t *tcpTransport) dialLoop(peer uint64, addr string) {
	defer t.wg.Done()
	bo := t.net.backoff()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-t.done:
			return
		case <-timer.C:
		}
		d := net.Dialer{Timeout: 2 * time.Second}
		nc, err := d.DialContext(t.ctx, "tcp", addr)
		if err == nil {
			_ = nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, err = nc.Write(handshake(t.id))
			_ = nc.SetWriteDeadline(time.Time{})
			if err != nil {
				_ = nc.Close()
			}
		}
		if err != nil {
			timer.Reset(bo.NextBackOff())
			continue
		}
		if t.serve(peer, nc) {
			bo.Reset()
		}
		timer.Reset(bo.NextBackOff())
	}
}

// serve runs one established connection until it breaks; a newer
// connection to the same peer replaces it. FIFO across reconnects (as
// core/zab requires): the new connection's reader starts only once the
// replaced connection's serve has finished, that is once its reader
// stopped and its break (Down) was queued, so no message of the older
// connection follows the break or any message of the newer one. It
// reports whether the peer sent at least one message on nc.
func (t *tcpTransport) serve(peer uint64, nc net.Conn) (heard bool) {
	c := &tcpConn{peer: peer, nc: nc, out: newQueue[[]byte](), done: make(chan struct{})}
	defer close(c.done)
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		_ = nc.Close()
		return false
	}
	p := t.peers[peer]
	old := p.c
	p.c = c
	t.mu.Unlock()
	if old != nil {
		old.close()
		<-old.done // closing its socket ends its reader promptly
	}
	t.log.Debug("peer connected", "peer", peer)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t.writeLoop(c)
	}()
	err := t.readLoop(c, &heard)
	c.close()
	wg.Wait()
	t.mu.Lock()
	if p.c == c {
		p.c = nil
	}
	t.mu.Unlock()
	if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		t.log.Info("peer connection closed", "peer", peer, "err", err)
	}
	t.in.push(Inbound{From: peer, Down: true})
	return heard
}

func (t *tcpTransport) writeLoop(c *tcpConn) {
	for {
		select {
		case <-c.out.notify:
		case <-c.out.notifyClosed():
		}
		frames := c.out.take()
		if len(frames) == 0 {
			if c.out.isClosed() {
				return
			}
			continue
		}
		bufs := net.Buffers(frames)
		_ = c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := bufs.WriteTo(c.nc); err != nil {
			c.close()
			return
		}
	}
}

// readLoop decodes frames; a malformed one closes this connection only.
// It sets *heard once a message was delivered.
func (t *tcpTransport) readLoop(c *tcpConn, heard *bool) error {
	for {
		frame, err := wire.ReadFrame(c.nc, nil, maxPeerFrame)
		if err != nil {
			return err
		}
		var m zab.Message
		if err := m.Unmarshal(frame); err != nil {
			return fmt.Errorf("malformed peer message: %w", err)
		}
		if m.From != c.peer || m.To != t.id {
			return fmt.Errorf("%w: message %d->%d on the connection from %d", errHandshake, m.From, m.To, c.peer)
		}
		t.in.push(Inbound{From: c.peer, Msg: m})
		*heard = true
	}
}
