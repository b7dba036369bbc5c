// Package sessions gives the recipes that must outlive a session (registry,
// config) a current Conn: the caller's, then, after it expires, new ones
// from a dial function. It stands in until client.Conn replaces an expired
// session by itself (issue 12); its callers then follow the Conn's new
// session and this package goes.
package sessions

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/zabkit/zabkit/client"
)

// ErrSessionLost is returned by Conn when the current session is lost and
// no new one can be had (no dial function, or the Source is closed).
var ErrSessionLost = errors.New("session lost")

// Dial opens a new session.
type Dial func(ctx context.Context) (*client.Conn, error)

// Source hands out the current session.
type Source struct {
	dial Dial

	mu     sync.Mutex
	cur    *client.Conn
	owned  []*client.Conn
	closed bool
}

// New returns a Source starting with c; dial (may be nil) replaces it once
// its session is lost.
func New(c *client.Conn, dial Dial) *Source { return &Source{cur: c, dial: dial} }

// Current returns the current Conn without dialing (it may be dead).
func (s *Source) Current() *client.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// CanRedial reports whether a dial function was given.
func (s *Source) CanRedial() bool { return s.dial != nil }

// Conn returns a live Conn: the current one, or a new session when the
// current one is lost and a dial function was given (ErrSessionLost
// otherwise).
func (s *Source) Conn(ctx context.Context) (*client.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("%w: %w", ErrSessionLost, client.ErrClosed)
	}
	if s.cur.Err() == nil {
		return s.cur, nil
	}
	if s.dial == nil {
		return nil, fmt.Errorf("%w: %w", ErrSessionLost, s.cur.Err())
	}
	c, err := s.dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("redial: %w", err)
	}
	s.cur = c
	s.owned = append(s.owned, c)
	return c, nil
}

// Close closes the sessions the Source dialed (never the caller's).
func (s *Source) Close(ctx context.Context) {
	s.mu.Lock()
	owned := s.owned
	s.owned, s.closed = nil, true
	s.mu.Unlock()
	for _, c := range owned {
		_ = c.Close(ctx)
	}
}
