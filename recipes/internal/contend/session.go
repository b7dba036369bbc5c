package contend

import (
	"errors"

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
}

// SessionOf returns c's current session.
func SessionOf(c *client.Conn) Session { return Session{ID: c.SessionID(), Done: c.Done()} }

// ended reports whether s has ended.
func (s Session) ended() bool {
	select {
	case <-s.Done:
		return true
	default:
		return false
	}
}
