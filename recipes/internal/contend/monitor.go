package contend

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zabkit/zabkit/client"
)

// ErrReleased is the cause of a holding's context after its holder
// released it (Unlock, Resign).
var ErrReleased = errors.New("released by its holder")

// monitor watches the session of a holding for as long as it is held.
type monitor struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	exited chan struct{}
}

// startMonitor begins watching c's session s. The monitor's context is
// cancelled, with a cause wrapping lost, when s ends (expired, closed,
// auth failed) or c stays without a connection for longer than grace (at
// once when grace is zero or less), or when stop is called (cause
// ErrReleased).
func startMonitor(c *client.Conn, s Session, grace time.Duration, lost error) *monitor {
	ctx, cancel := context.WithCancelCause(context.Background())
	m := &monitor{ctx: ctx, cancel: cancel, exited: make(chan struct{})}
	states := c.States(ctx)
	go m.run(c, s, states, grace, lost)
	return m
}

func (m *monitor) run(c *client.Conn, s Session, states <-chan client.State, grace time.Duration, lost error) {
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
		case st, ok := <-states:
			if !ok {
				if m.ctx.Err() == nil {
					m.cancel(fmt.Errorf("%w: session %v ended: %v", lost, s, c.Err()))
				}
				return
			}
			switch {
			case st.Terminal():
				m.cancel(fmt.Errorf("%w: session %v: %v", lost, s, st))
				return
			case st.Connected():
				if timer != nil {
					timer.Stop()
					timer, expired = nil, nil
				}
			default: // Disconnected, Connecting
				if grace <= 0 {
					m.cancel(fmt.Errorf("%w: connection lost (state %v)", lost, st))
					return
				}
				if timer == nil {
					timer = time.NewTimer(grace)
					expired = timer.C
				}
			}
		case <-s.Done:
			m.cancel(fmt.Errorf("%w: session %v ended: %v", lost, s, s.err()))
			return
		case <-expired:
			m.cancel(fmt.Errorf("%w: no connection for more than %v", lost, grace))
			return
		}
	}
}

// stop ends the monitor (its context is cancelled with ErrReleased unless
// it was already cancelled) and waits for its goroutine.
func (m *monitor) stop() {
	m.cancel(ErrReleased)
	<-m.exited
}
