package zktest

import (
	"context"
	"encoding/binary"
	"net"
	"sync"
)

// Cutter is a dialer (for client.WithDialer) that can break the connection
// right after a request with a given op code has been written, so that the
// server receives and applies it but its reply is lost: the "lost reply"
// fault that protected nodes exist for.
type Cutter struct {
	mu    sync.Mutex
	armed int32 // op code to cut after; 0: none
	cuts  int
}

// CutAfter arms the Cutter: the next request with op code op is written,
// then its connection is closed.
func (c *Cutter) CutAfter(op int32) {
	c.mu.Lock()
	c.armed = op
	c.mu.Unlock()
}

// Cuts returns how many connections were cut.
func (c *Cutter) Cuts() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cuts
}

// Dial opens a TCP connection that watches the requests written on it.
func (c *Cutter) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &cutConn{Conn: nc, k: c}, nil
}

type cutConn struct {
	net.Conn
	k      *Cutter
	mu     sync.Mutex
	buf    []byte
	frames int // frames seen; the first is the session handshake
}

func (cc *cutConn) Write(p []byte) (int, error) {
	n, err := cc.Conn.Write(p)
	if err != nil {
		return n, err
	}
	cc.mu.Lock()
	cc.buf = append(cc.buf, p...)
	cut := false
	for len(cc.buf) >= 4 {
		l := int(binary.BigEndian.Uint32(cc.buf))
		if len(cc.buf) < 4+l {
			break
		}
		frame := cc.buf[4 : 4+l]
		cc.buf = cc.buf[4+l:]
		cc.frames++
		if cc.frames == 1 || len(frame) < 8 {
			continue
		}
		op := int32(binary.BigEndian.Uint32(frame[4:8]))
		cc.k.mu.Lock()
		if cc.k.armed != 0 && op == cc.k.armed {
			cc.k.armed = 0
			cc.k.cuts++
			cut = true
		}
		cc.k.mu.Unlock()
	}
	cc.mu.Unlock()
	if cut {
		cc.Conn.Close()
	}
	return n, nil
}
