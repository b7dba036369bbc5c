package contend

import (
	"context"
	"errors"
	"fmt"

	"github.com/zabkit/zabkit/client"
)

// ErrSessionEnded means the session a contender ran on ended (expired,
// closed) or its node vanished, so its place in the queue is gone.
var ErrSessionEnded = errors.New("session lost")

// Session is the session a contender runs on: its id, the ephemeralOwner
// of every node it creates, and a channel closed when it ends.
type Session struct {
	ID   int64
	Done <-chan struct{}
	s    *client.Session // nil in tests that make a Session by hand
}

// SessionOf returns c's current session (which may have ended: see
// nextSession).
func SessionOf(c *client.Conn) Session { return SessionFrom(c.Session()) }

// SessionFrom is the Session of the client session s.
func SessionFrom(s *client.Session) Session {
	return Session{ID: s.ID(), Done: s.Done(), s: s}
}

// nextSession returns c's live session, waiting (bounded by ctx) for the
// next one while the Conn renews an expired session. Once the Conn is
// finished (Close, or an expiry without renewal) it fails with
// ErrSessionEnded wrapping the Conn's error.
func nextSession(ctx context.Context, c *client.Conn) (Session, error) {
	s, err := c.WaitSession(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return Session{}, ctx.Err()
		}
		return Session{}, ended(err)
	}
	return SessionFrom(s), nil
}

// ended reports whether s has ended.
func (s Session) ended() bool {
	select {
	case <-s.Done:
		return true
	default:
		return false
	}
}

// String names the session for errors: "0x<id>/<generation>".
func (s Session) String() string {
	if s.s != nil {
		return s.s.String()
	}
	return fmt.Sprintf("0x%x", s.ID)
}

// err says why s ended (nil while it lives).
func (s Session) err() error {
	if s.s != nil {
		return s.s.Err()
	}
	return nil
}

// endedErr is the error of a contender whose session s ended.
func (s Session) endedErr() error {
	if err := s.err(); err != nil {
		return fmt.Errorf("%w: session %v: %w", ErrSessionEnded, s, err)
	}
	return fmt.Errorf("%w: session %v", ErrSessionEnded, s)
}
