package conformance

import (
	"context"
	"errors"
	"net"
	"sync"
)

// errCut is what a cut faultDialer returns to a client trying to reconnect.
var errCut = errors.New("conformance: connection cut by the test")

// faultDialer dials TCP for one client and lets a check cut the client off
// the ensemble (close its connections, refuse new ones) and heal it again,
// without touching the servers: the session lives on in the ensemble.
type faultDialer struct {
	mu    sync.Mutex
	cut   bool
	only  string // if set, the only server address the client may reach
	conns []net.Conn
}

func (d *faultDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cut || (d.only != "" && addr != d.only) {
		return nil, errCut
	}
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	d.conns = append(d.conns, c)
	return c, nil
}

// Cut closes every connection the client has and refuses new ones.
func (d *faultDialer) Cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cut = true
	for _, c := range d.conns {
		_ = c.Close()
	}
	d.conns = nil
}

// Heal lets the client connect again.
func (d *faultDialer) Heal() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cut = false
}

// Only restricts the client to the server at addr ("" lifts the limit).
// It does not touch connections already open.
func (d *faultDialer) Only(addr string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.only = addr
}
