package client

import (
	"context"
	"strconv"
)

// State is the state of a Conn's session, as seen by the client.
type State int32

// Session states. A session starts in StateConnecting, moves between
// StateConnected (or StateConnectedReadOnly) and StateDisconnected /
// StateConnecting as connections come and go, and ends in exactly one of the
// terminal states StateExpired, StateAuthFailed or StateClosed. With
// WithSessionRenewal(false) the Conn ends with its session; by default,
// StateExpired is followed by StateConnecting for the Conn's next session, and only
// StateAuthFailed and StateClosed end the Conn.
const (
	// StateConnecting: the client is trying servers; no connection is up.
	StateConnecting State = iota + 1
	// StateConnected: a connection is up and the session is valid.
	StateConnected
	// StateConnectedReadOnly: connected to a read-only server (only with
	// WithReadOnly); writes fail with ErrNotReadOnly.
	StateConnectedReadOnly
	// StateDisconnected: the connection broke; requests in flight failed
	// with ErrConnectionLoss; the client is about to reconnect. The
	// session may still be alive on the servers.
	StateDisconnected
	// StateExpired: a server said the session expired. Terminal for the
	// session: its ephemeral nodes and watches are gone. With
	// WithSessionRenewal the Conn then establishes a new session.
	StateExpired
	// StateAuthFailed: a server rejected the session's credentials.
	// Terminal.
	StateAuthFailed
	// StateClosed: Close was called. Terminal.
	StateClosed
)

// String returns the state's name ("Connected").
func (s State) String() string {
	switch s {
	case StateConnecting:
		return "Connecting"
	case StateConnected:
		return "Connected"
	case StateConnectedReadOnly:
		return "ConnectedReadOnly"
	case StateDisconnected:
		return "Disconnected"
	case StateExpired:
		return "Expired"
	case StateAuthFailed:
		return "AuthFailed"
	case StateClosed:
		return "Closed"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Terminal reports whether s ends the session (with WithSessionRenewal,
// StateExpired ends the session but not the Conn).
func (s State) Terminal() bool {
	return s == StateExpired || s == StateAuthFailed || s == StateClosed
}

// Connected reports whether s has a live connection (read-write or
// read-only).
func (s State) Connected() bool {
	return s == StateConnected || s == StateConnectedReadOnly
}

// State returns the session's current state.
func (c *Conn) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// States returns a channel that receives the current state, then every
// state change in order, until the Conn is finished (its final state is
// delivered, then the channel closes: StateExpired with
// WithSessionRenewal(false), StateAuthFailed or StateClosed) or ctx ends (the
// channel closes).
//
// The stream never drops a change and never blocks the connection: changes
// wait in an unbounded queue until they are received. When Close returns,
// changes not yet received are discarded and the channel is closed.
func (c *Conn) States(ctx context.Context) <-chan State {
	s := newStream[State](c.spawn, c.stop, ctx.Done())
	c.mu.Lock()
	s.push(c.state)
	if c.final {
		s.finish()
	} else {
		c.stateSubs = append(c.stateSubs, s)
	}
	c.mu.Unlock()
	return s.out
}

// setState records a state change and queues it on every subscriber. The
// state that finishes the Conn (a terminal state set by terminate, which
// sets c.err first) finishes every subscriber, and later calls do nothing;
// StateExpired of a renewal is followed by more states. It reports whether
// the state changed.
func (c *Conn) setState(s State) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.setStateLocked(s)
}

func (c *Conn) setStateLocked(s State) bool {
	if c.final {
		return false
	}
	changed := c.state != s
	if changed {
		c.logger.Debug("zk: state change", "from", c.state, "to", s, "session", c.sessionIDLocked())
		c.state = s
		live := c.stateSubs[:0]
		for _, sub := range c.stateSubs {
			if sub.push(s) {
				live = append(live, sub)
			}
		}
		c.stateSubs = live
	}
	if s.Terminal() && c.err != nil {
		// The Conn is finished (terminate sets err first): the stream ends.
		c.final = true
		for _, sub := range c.stateSubs {
			sub.finish()
		}
		c.stateSubs = nil
	}
	return changed
}

// Done returns a channel that is closed when the Conn is finished for good:
// its session expired (with WithSessionRenewal(false)), its authentication
// failed, or Close was called. Err then says which. With renewal, an
// expiry closes only that session's Done (see Session).
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns nil while the Conn is usable, and after Done is closed the
// reason: an error matching ErrSessionExpired, ErrAuthFailed or ErrClosed.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
