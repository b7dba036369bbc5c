package server

import (
	"errors"

	"github.com/zabkit/zabkit/core/zab"
)

// ErrTransportClosed is returned by a Network asked for an endpoint after
// it was closed, and by transports used after Close.
var ErrTransportClosed = errors.New("server: transport closed")

// Inbound is one event a Transport delivers to the server's driver: a
// message from a peer, or (Down true) the news that the connection to
// From broke, so that messages to and from it may have been lost.
type Inbound struct {
	From uint64
	Msg  zab.Message
	Down bool
}

// Transport carries ZAB messages between this server and its peers. Send
// never blocks (messages are queued per peer and delivered FIFO on one
// connection, or dropped when the peer is unreachable); Recv delivers
// every inbound message and link failure in order.
type Transport interface {
	// Send queues m for peer m.To.
	Send(m zab.Message)
	// Recv is closed when the transport is closed.
	Recv() <-chan Inbound
	// Close stops every goroutine of the transport and waits for them.
	Close() error
}

// Network creates the Transport of one server. TCP (the default, built
// from Config.Peers) and MemNetwork implement it.
type Network interface {
	// Attach returns the transport of server id. Attaching an id again
	// (a restarted server) replaces the earlier transport.
	Attach(id uint64) (Transport, error)
}
