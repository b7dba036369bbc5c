package zktest

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
)

// Partition is one way of cutting a session off the ensemble's majority,
// for the recipes' partition tests. Two kinds exist:
//
//   - "server": the session's only server is partitioned from the rest of
//     the quorum (in-process ensemble only). The server leaves the quorum
//     and drops its clients at once.
//   - "client": the client's own network is cut (both backends): packets on
//     its open connections are dropped silently in both directions and its
//     new connections are refused. Nothing tells the client; it notices
//     only when its read timeout (two thirds of the session timeout)
//     passes without a reply, while the servers, hearing nothing, expire
//     the session after the full timeout.
//
// A test body written against Partition runs under every kind the backend
// supports (see Partitions), so one expectation covers both faults.
type Partition struct {
	Kind string

	e   *ensemble.Ensemble // server kind
	f   int
	net *Net // client kind
}

// SurvivingSessionTimeout is the session timeout for tests whose session
// must outlive a partition: they heal as soon as the client noticed the
// cut, which under the "client" kind takes two thirds of it, leaving the
// client a third (3s) to reconnect before the servers expire the session.
const SurvivingSessionTimeout = 9 * time.Second

// Partitions runs body once per partition kind the backend supports, each
// as a subtest with its own in-process ensemble (or the external one).
func Partitions(t *testing.T, body func(t *testing.T, p *Partition)) {
	kinds := []string{"client"}
	if External() == "" {
		kinds = append([]string{"server"}, kinds...)
	}
	for _, k := range kinds {
		t.Run(k, func(t *testing.T) { body(t, &Partition{Kind: k, f: -1}) })
	}
}

// Dial opens the session the partition cuts off (closed at cleanup), with
// PartitionSessionTimeout unless opts set another. Every session a test
// dials through the same Partition is cut off together.
func (p *Partition) Dial(t testing.TB, opts ...client.Option) *client.Conn {
	t.Helper()
	if p.Kind == "server" {
		if p.f < 0 {
			p.e, p.f = InProcess(t), Follower(t)
		}
		return DialOnly(t, p.f, opts...)
	}
	if p.net == nil {
		p.net = &Net{}
	}
	opts = append([]client.Option{
		client.WithSessionTimeout(PartitionSessionTimeout),
		client.WithDialer(p.net.Dial),
	}, opts...)
	c, err := client.Dial(Ctx(t), Servers(t), opts...)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// Cut starts the partition.
func (p *Partition) Cut(t testing.TB) {
	t.Helper()
	if p.Kind == "server" {
		if err := p.e.Partition([]int{p.f}, Others(t, p.f)); err != nil {
			t.Fatal(err)
		}
		return
	}
	p.net.Cut()
}

// Heal ends the partition.
func (p *Partition) Heal(t testing.TB) {
	t.Helper()
	if p.Kind == "server" {
		if err := p.e.Heal(); err != nil {
			t.Fatal(err)
		}
		return
	}
	p.net.Heal()
}

// ErrNetCut is the error dials return while a Net is cut.
var ErrNetCut = errors.New("zktest: network cut")

// Net is a client's network (a dialer for client.WithDialer) that can be
// cut: Cut silently drops every byte of the connections open at that
// moment, both ways, for good, and refuses new connections until Heal. A
// read on a cut connection returns only at its deadline or Close, as a
// read on a connection whose packets vanish does.
type Net struct {
	mu    sync.Mutex
	cut   bool
	conns map[*holeConn]struct{}
}

// Dial opens a TCP connection through the network.
func (n *Net) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	n.mu.Lock()
	cut := n.cut
	n.mu.Unlock()
	if cut {
		return nil, &net.OpError{Op: "dial", Net: network, Err: ErrNetCut}
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	c := &holeConn{Conn: nc, n: n, closed: make(chan struct{})}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cut { // cut while dialling
		c.dead = true
	}
	if n.conns == nil {
		n.conns = map[*holeConn]struct{}{}
	}
	n.conns[c] = struct{}{}
	return c, nil
}

// Cut starts dropping everything.
func (n *Net) Cut() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cut = true
	for c := range n.conns {
		c.mu.Lock()
		c.dead = true
		c.mu.Unlock()
	}
}

// Heal lets new connections through again; connections open during the
// cut stay dead.
func (n *Net) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cut = false
}

type holeConn struct {
	net.Conn
	n      *Net
	closed chan struct{}
	once   sync.Once

	mu       sync.Mutex
	dead     bool
	deadline time.Time // read deadline
}

func (c *holeConn) isDead() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dead
}

func (c *holeConn) Read(p []byte) (int, error) {
	for {
		k, err := c.Conn.Read(p)
		if !c.isDead() {
			return k, err
		}
		var ne net.Error
		if err != nil && errors.As(err, &ne) && ne.Timeout() {
			return 0, err
		}
		if err != nil { // the peer closed: a cut link delivers not even that
			return 0, c.waitDeadline()
		}
		// Bytes read on a cut connection are dropped.
	}
}

// waitDeadline blocks until the read deadline passes or the connection is
// closed.
func (c *holeConn) waitDeadline() error {
	c.mu.Lock()
	dl := c.deadline
	c.mu.Unlock()
	var expired <-chan time.Time
	if !dl.IsZero() {
		tm := time.NewTimer(time.Until(dl))
		defer tm.Stop()
		expired = tm.C
	}
	select {
	case <-expired:
		return os.ErrDeadlineExceeded
	case <-c.closed:
		return net.ErrClosed
	}
}

func (c *holeConn) Write(p []byte) (int, error) {
	if c.isDead() {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *holeConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

func (c *holeConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

func (c *holeConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	c.n.mu.Lock()
	delete(c.n.conns, c)
	c.n.mu.Unlock()
	return c.Conn.Close()
}
