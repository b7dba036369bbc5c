// Package ownership turns a session's state stream into a "may have lost
// ownership" signal for lock holders and leaders.
package ownership

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zabkit/zabkit/client"
)

// ErrReleased is the cause of a monitor stopped by its owner (Unlock,
// Resign).
var ErrReleased = errors.New("released by its holder")

// Monitor watches one session for as long as something is held on it.
type Monitor struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	exited chan struct{}
}

// Start begins watching c. The monitor's context is cancelled, with a cause
// wrapping lost, when the session ends (expired, closed, auth failed) or
// stays without a connection for longer than grace (at once when grace is
// zero or less), or when Stop is called (cause ErrReleased).
func Start(c *client.Conn, grace time.Duration, lost error) *Monitor {
	ctx, cancel := context.WithCancelCause(context.Background())
	m := &Monitor{ctx: ctx, cancel: cancel, exited: make(chan struct{})}
	states := c.States(ctx)
	go m.run(c, states, grace, lost)
	return m
}

func (m *Monitor) run(c *client.Conn, states <-chan client.State, grace time.Duration, lost error) {
	defer close(m.exited)
	var timer *time.Timer
	var expired <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case s, ok := <-states:
			if !ok {
				if m.ctx.Err() == nil {
					m.cancel(fmt.Errorf("%w: session ended: %v", lost, c.Err()))
				}
				return
			}
			switch {
			case s.Terminal():
				m.cancel(fmt.Errorf("%w: session %v: %v", lost, s, c.Err()))
				return
			case s.Connected():
				if timer != nil {
					timer.Stop()
					timer, expired = nil, nil
				}
			default: // Disconnected, Connecting
				if grace <= 0 {
					m.cancel(fmt.Errorf("%w: connection lost (state %v)", lost, s))
					return
				}
				if timer == nil {
					timer = time.NewTimer(grace)
					expired = timer.C
				}
			}
		case <-expired:
			m.cancel(fmt.Errorf("%w: no connection for more than %v", lost, grace))
			return
		}
	}
}

// Done is closed when ownership may have been lost or was released.
func (m *Monitor) Done() <-chan struct{} { return m.ctx.Done() }

// Context is cancelled as Done is closed; context.Cause says why.
func (m *Monitor) Context() context.Context { return m.ctx }

// Cause says why Done was closed (nil while it is open).
func (m *Monitor) Cause() error { return context.Cause(m.ctx) }

// Lost reports whether Done was closed for another reason than Stop.
func (m *Monitor) Lost() bool {
	err := m.Cause()
	return err != nil && !errors.Is(err, ErrReleased)
}

// Stop ends the monitor (its context is cancelled with ErrReleased unless
// it was already cancelled) and waits for its goroutine.
func (m *Monitor) Stop() {
	m.cancel(ErrReleased)
	<-m.exited
}
