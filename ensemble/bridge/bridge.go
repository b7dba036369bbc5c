package bridge

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// errClosed ends a delayed forward on a connection closed meanwhile.
var errClosed = errors.New("bridge: connection closed")

// dialTimeout bounds the bridge's own connection to its server.
const dialTimeout = 5 * time.Second

// Bridge forwards the connections made to Addr to one server.
type Bridge struct {
	target string
	ln     net.Listener
	trig   *trigger
	wg     sync.WaitGroup // the accept loop and every pump

	mu     sync.Mutex
	refuse bool // Cut or Blackhole: new connections are closed at once
	delay  time.Duration
	before func(op int32, body []byte)
	conns  map[*pipe]struct{}
	closed bool
}

// trigger is CutAfter's state, shared by the Bridges of a Link so that
// one arming cuts one connection, whichever server the client uses.
type trigger struct {
	mu    sync.Mutex
	op    int32
	armed bool
	cuts  int
}

// fire reports whether a request with op code op is the armed one, and
// disarms the trigger if so.
func (t *trigger) fire(op int32) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.armed || op != t.op {
		return false
	}
	t.armed = false
	t.cuts++
	return true
}

// New starts a bridge to target (host:port) on a free loopback port.
func New(target string) (*Bridge, error) {
	return newBridge(target, &trigger{})
}

func newBridge(target string, trig *trigger) (*Bridge, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bridge to %s: %w", target, err)
	}
	b := &Bridge{target: target, ln: ln, trig: trig, conns: map[*pipe]struct{}{}}
	b.wg.Add(1)
	go b.accept()
	return b, nil
}

// Addr is the address clients dial instead of the server's (host:port).
func (b *Bridge) Addr() string { return b.ln.Addr().String() }

// Target is the server's address.
func (b *Bridge) Target() string { return b.target }

func (b *Bridge) accept() {
	defer b.wg.Done()
	for {
		nc, err := b.ln.Accept()
		if err != nil {
			return // closed
		}
		b.mu.Lock()
		if b.closed || b.refuse {
			b.mu.Unlock()
			_ = nc.Close()
			continue
		}
		ctx, stop := context.WithCancel(context.Background())
		p := &pipe{b: b, client: nc, done: make(chan struct{}), stop: stop}
		b.conns[p] = struct{}{}
		b.wg.Add(1)
		b.mu.Unlock()
		go p.run(ctx)
	}
}

// Cut closes every open connection, both ways, and refuses new ones until
// Heal.
func (b *Bridge) Cut() {
	b.mu.Lock()
	b.refuse = true
	ps := b.snapshot()
	b.mu.Unlock()
	for _, p := range ps {
		p.close()
	}
}

// Blackhole drops every byte of the open connections, both ways, for good
// (they stay open, so neither end learns of it from the network), and
// refuses new connections until Heal.
func (b *Bridge) Blackhole() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refuse = true
	for p := range b.conns {
		p.setDead()
	}
}

// Heal accepts new connections again. Connections cut or blackholed
// before stay so.
func (b *Bridge) Heal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refuse = false
}

// CutAfter arms the bridge: the next request with op code op (the first
// frame of a connection, the session handshake, is never one) is
// forwarded to the server, then its connection is closed without letting
// the reply through. Arming again replaces op.
func (b *Bridge) CutAfter(op int32) {
	b.trig.mu.Lock()
	defer b.trig.mu.Unlock()
	b.trig.op, b.trig.armed = op, true
}

// Cuts is how many connections CutAfter has cut.
func (b *Bridge) Cuts() int {
	b.trig.mu.Lock()
	defer b.trig.mu.Unlock()
	return b.trig.cuts
}

// BeforeRequest makes the bridge call f with every request (op code and
// body, the bytes after the xid and op code; not the session handshake)
// before the request reaches the server: the connection waits for f, so
// a test can act in the window between two of a client's requests. body
// is valid only during the call. nil removes the hook.
func (b *Bridge) BeforeRequest(f func(op int32, body []byte)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.before = f
}

func (b *Bridge) hook() func(op int32, body []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.before
}

// SetDelay holds every chunk read from either end for d before forwarding
// it (0: none). Order is kept; chunks of one direction queue behind each
// other.
func (b *Bridge) SetDelay(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.delay = d
}

func (b *Bridge) getDelay() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.delay
}

// Close stops listening, closes every connection and waits for the
// bridge's goroutines. It is idempotent.
func (b *Bridge) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	ps := b.snapshot()
	b.mu.Unlock()
	err := b.ln.Close()
	for _, p := range ps {
		p.close()
	}
	b.wg.Wait()
	return err
}

// snapshot lists the open connections; b.mu is held.
func (b *Bridge) snapshot() []*pipe {
	out := make([]*pipe, 0, len(b.conns))
	for p := range b.conns {
		out = append(out, p)
	}
	return out
}

// pipe is one proxied connection: client <-> bridge <-> server.
type pipe struct {
	b      *Bridge
	client net.Conn
	done   chan struct{} // closed by close
	stop   context.CancelFunc
	once   sync.Once

	mu        sync.Mutex
	server    net.Conn // nil until dialled
	dead      bool     // blackholed: drop everything
	replyLost bool     // CutAfter fired: drop what the server sends
}

func (p *pipe) setDead() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dead = true
}

// dropping reports whether bytes from the server (fromServer) or from the
// client are dropped.
func (p *pipe) dropping(fromServer bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dead || (fromServer && p.replyLost)
}

func (p *pipe) close() {
	p.once.Do(func() {
		close(p.done)
		p.stop()
		_ = p.client.Close()
		p.mu.Lock()
		if p.server != nil {
			_ = p.server.Close()
		}
		p.mu.Unlock()
	})
}

func (p *pipe) run(ctx context.Context) {
	defer p.b.wg.Done()
	defer func() {
		p.b.mu.Lock()
		delete(p.b.conns, p)
		p.b.mu.Unlock()
	}()
	defer p.close()
	d := net.Dialer{Timeout: dialTimeout}
	sc, err := d.DialContext(ctx, "tcp", p.b.target)
	if err != nil {
		return
	}
	p.mu.Lock()
	select {
	case <-p.done: // closed while dialling
		p.mu.Unlock()
		_ = sc.Close()
		return
	default:
	}
	p.server = sc
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.down(sc)
	}()
	p.up(sc)
	wg.Wait()
}

// maxFrame is the largest frame length up parses; past it (not a
// ZooKeeper client, or a corrupt stream) the bytes are forwarded unparsed.
const maxFrame = 64 << 20

// up forwards client -> server, watching the request frames for CutAfter
// and BeforeRequest. A frame's last bytes are forwarded only once the
// bridge is done with it (the server cannot act on a partial frame).
func (p *pipe) up(sc net.Conn) {
	defer p.close() // the client hung up (or the bridge closed): so does the server side
	var (
		pending []byte // the bytes of the frame being assembled
		frames  int
		parse   = true
		buf     = make([]byte, 32<<10)
	)
	for {
		n, err := p.client.Read(buf)
		if n > 0 && p.dropping(false) {
			pending = pending[:0]
			n = 0
		}
		if n > 0 {
			chunk := buf[:n]
			for i := 0; parse && i < len(chunk); {
				// Move bytes of chunk into pending until it holds the
				// length prefix, then the whole frame.
				need := 4
				if len(pending) >= 4 {
					l := int(binary.BigEndian.Uint32(pending))
					if l > maxFrame {
						parse = false
						break
					}
					need = 4 + l
				}
				k := min(need-len(pending), len(chunk)-i)
				pending = append(pending, chunk[i:i+k]...)
				i += k
				if len(pending) < 4 || len(pending) < 4+int(binary.BigEndian.Uint32(pending)) {
					continue
				}
				frame := pending[4:]
				frames++
				if frames > 1 && len(frame) >= 8 { // not the handshake; a request header
					op := int32(binary.BigEndian.Uint32(frame[4:8]))
					if hook := p.b.hook(); hook != nil {
						hook(op, frame[8:])
					}
					if p.b.trig.fire(op) {
						p.mu.Lock()
						p.replyLost = true
						p.mu.Unlock()
						_ = p.forward(sc, chunk[:i])
						return
					}
				}
				pending = pending[:0]
			}
			if p.forward(sc, chunk) != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// down forwards server -> client.
func (p *pipe) down(sc net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := sc.Read(buf)
		if n > 0 && !p.dropping(true) {
			if p.forward(p.client, buf[:n]) != nil {
				p.close()
				return
			}
		}
		if err != nil {
			if p.dropping(true) {
				// A blackholed link does not even deliver the server's
				// hang-up: the client's side stays open until the
				// client or the bridge closes it.
				return
			}
			p.close()
			return
		}
	}
}

// forward writes b to w after the bridge's delay.
func (p *pipe) forward(w io.Writer, b []byte) error {
	if d := p.b.getDelay(); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-p.done:
			t.Stop()
			return errClosed
		}
	}
	_, err := w.Write(b)
	return err
}

// Link is one client's link to an ensemble: a Bridge per server of a
// connect string, whose faults apply to all of them at once.
type Link struct {
	bridges []*Bridge
	chroot  string
}

// NewLink starts a Bridge for every server of the connect string servers
// ("host:port,host:port[/chroot]").
func NewLink(servers string) (*Link, error) {
	hosts, chroot := servers, ""
	if i := strings.IndexByte(servers, '/'); i >= 0 {
		hosts, chroot = servers[:i], servers[i:]
	}
	l := &Link{chroot: chroot}
	trig := &trigger{}
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		b, err := newBridge(h, trig)
		if err != nil {
			_ = l.Close()
			return nil, err
		}
		l.bridges = append(l.bridges, b)
	}
	if len(l.bridges) == 0 {
		return nil, fmt.Errorf("bridge: no server in connect string %q", servers)
	}
	return l, nil
}

// Servers is the connect string through the bridges, in the order of the
// one NewLink was given, with its chroot.
func (l *Link) Servers() string {
	addrs := make([]string, len(l.bridges))
	for i, b := range l.bridges {
		addrs[i] = b.Addr()
	}
	return strings.Join(addrs, ",") + l.chroot
}

// Bridge returns the bridge to the i-th server of the connect string.
func (l *Link) Bridge(i int) *Bridge { return l.bridges[i] }

// ByTarget returns the bridge to server addr, or nil.
func (l *Link) ByTarget(addr string) *Bridge {
	for _, b := range l.bridges {
		if b.target == addr {
			return b
		}
	}
	return nil
}

// Size is the number of bridges.
func (l *Link) Size() int { return len(l.bridges) }

// Cut cuts every bridge (see Bridge.Cut).
func (l *Link) Cut() { l.each((*Bridge).Cut) }

// Blackhole blackholes every bridge (see Bridge.Blackhole).
func (l *Link) Blackhole() { l.each((*Bridge).Blackhole) }

// Heal heals every bridge (see Bridge.Heal).
func (l *Link) Heal() { l.each((*Bridge).Heal) }

// CutAfter arms the link: the next request with op code op, through
// whichever bridge, is forwarded and its connection then cut (see
// Bridge.CutAfter).
func (l *Link) CutAfter(op int32) { l.bridges[0].CutAfter(op) }

// Cuts is how many connections CutAfter has cut.
func (l *Link) Cuts() int { return l.bridges[0].Cuts() }

// BeforeRequest sets every bridge's request hook (see
// Bridge.BeforeRequest).
func (l *Link) BeforeRequest(f func(op int32, body []byte)) {
	l.each(func(b *Bridge) { b.BeforeRequest(f) })
}

// SetDelay sets every bridge's delay (see Bridge.SetDelay).
func (l *Link) SetDelay(d time.Duration) {
	l.each(func(b *Bridge) { b.SetDelay(d) })
}

func (l *Link) each(f func(*Bridge)) {
	for _, b := range l.bridges {
		f(b)
	}
}

// Close closes every bridge; it is idempotent.
func (l *Link) Close() error {
	var errs []error
	for _, b := range l.bridges {
		errs = append(errs, b.Close())
	}
	return errors.Join(errs...)
}
