package client

import (
	"context"
	"fmt"
	"sync"
)

// Session is one ZooKeeper session of a Conn: its id, its generation, and
// a channel closed when it ends. A Conn has one session at a time; with
// WithSessionRenewal it replaces an expired session with a new one, and each
// has its own Session value. A recipe holds the Session under which it
// created its ephemeral nodes and stops acting on them once that Session is
// Done (compare Generation, or an ephemeral's Stat.EphemeralOwner with ID,
// to tell sessions apart). The model is etcd's concurrency.Session, except
// that the Conn, not the caller, makes the next one.
//
// A Session's methods are safe for concurrent use and cheap: they read
// fields set once.
type Session struct {
	id   int64
	gen  uint64
	done chan struct{}

	once sync.Once
	mu   sync.Mutex
	err  error
}

// ID returns the session id given by the server.
func (s *Session) ID() int64 { return s.id }

// Generation numbers the sessions of one Conn: 1 for the first, one more
// for each replacement. Two Sessions of the same Conn are the same session
// if and only if their generations are equal.
func (s *Session) Generation() uint64 { return s.gen }

// Done returns a channel that is closed when this session ends: it expired
// (or, with WithReadOnly, a read-write server replaced a session made by a
// read-only one), its authentication failed, or the Conn was closed. Its
// ephemeral nodes are then gone or going, and its watches will not fire.
// A new session of the same Conn (see Conn.Session) has its own channel.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns nil while the session is alive and, once Done is closed,
// why it ended: an error matching ErrSessionExpired, ErrAuthFailed or
// ErrClosed.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// String returns "0x<id>/<generation>", for logs.
func (s *Session) String() string { return fmt.Sprintf("0x%x/%d", s.id, s.gen) }

// end ends the session with err; only the first call has an effect.
func (s *Session) end(err error) {
	s.once.Do(func() {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(s.done)
	})
}

// ended reports whether Done is closed.
func (s *Session) ended() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Session returns the Conn's current session: the live one, or, between an
// expiry and the next session (with WithSessionRenewal) and after the
// Conn is finished, the last one, whose Done is closed. It is never nil
// for a Conn returned by Dial.
func (c *Conn) Session() *Session { return c.sess.Load() }

// WaitSession returns the current session if it is alive; otherwise it
// waits, bounded by ctx, for the Conn's next session (WithSessionRenewal).
// It fails with the Conn's error (ErrSessionExpired without renewal,
// ErrAuthFailed or ErrClosed) once the Conn is finished, or with ctx's
// error.
func (c *Conn) WaitSession(ctx context.Context) (*Session, error) {
	for {
		c.mu.Lock()
		s, next, err := c.sess.Load(), c.nextSess, c.err
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if s != nil && !s.ended() {
			return s, nil
		}
		select {
		case <-next:
		case <-c.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// installSessionLocked makes id the current session if it is not already
// (c.mu held). The session it replaces, if still alive (a read-only
// session replaced on a read-write server), ends as expired.
func (c *Conn) installSessionLocked(id int64) {
	cur := c.sess.Load()
	if cur != nil && cur.id == id && !cur.ended() {
		return
	}
	if cur != nil {
		cur.end(fmt.Errorf("zk: session 0x%x replaced by 0x%x: %w", cur.id, id, ErrSessionExpired))
	}
	c.gen++
	c.sess.Store(&Session{id: id, gen: c.gen, done: make(chan struct{})})
	close(c.nextSess)
	c.nextSess = make(chan struct{})
}

// renew handles an expiry with WithSessionRenewal: requests waiting for a
// link fail with ErrSessionExpired (they were issued for the session that
// is gone), one-shot watches close, the session ends, Expired is reported,
// and the next handshake asks for a new session. Persistent watches and
// auth infos stay, to be sent on the new session's first link.
func (c *Conn) renew() {
	c.failQueued(ErrSessionExpired)
	c.watches.expire()
	c.mu.Lock()
	old := c.sess.Load()
	c.sessionID = 0
	clear(c.passwd)
	c.seenRW = false
	if old != nil {
		old.end(ErrSessionExpired)
	}
	c.setStateLocked(StateExpired)
	c.mu.Unlock()
	c.logger.Info("zk: session expired; establishing a new one", "session", old)
}
