package lock

import (
	"context"
	"fmt"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/contend"
)

// leaseName names Semaphore nodes.
const leaseName = "lease-"

// Semaphore hands out at most n leases at a time on dir. Each lease is a
// protected ephemeral-sequential node dir/_c_<uuid>-lease-NNNNNNNNNN; the
// first n in sequence order hold. (This is the layout of Curator's
// original InterProcessSemaphore, not of InterProcessSemaphoreV2.) Waiters
// watch dir's children, since any of the n holders may leave first.
// All contenders must agree on n.
type Semaphore struct {
	c    *client.Conn
	dir  string
	n    int
	opts options
}

// NewSemaphore returns a semaphore of n leases on dir for the session c.
func NewSemaphore(c *client.Conn, dir string, n int, opts ...Option) *Semaphore {
	return &Semaphore{c: c, dir: dir, n: n, opts: buildOptions(opts)}
}

// Lease is one held lease of a Semaphore.
type Lease struct{ m *Mutex }

// Acquire blocks until a lease is free or ctx ends (the waiter's node is
// then deleted), queueing again on the Conn's new session after an expiry;
// it fails with ErrSessionLost once the Conn is finished.
func (s *Semaphore) Acquire(ctx context.Context) (*Lease, error) { return s.acquire(ctx, false) }

// TryAcquire takes a lease if one is free, or returns ErrLocked.
func (s *Semaphore) TryAcquire(ctx context.Context) (*Lease, error) { return s.acquire(ctx, true) }

func (s *Semaphore) acquire(ctx context.Context, try bool) (*Lease, error) {
	if s.n < 1 {
		return nil, fmt.Errorf("semaphore %s: %d leases: %w", s.dir, s.n, client.ErrBadArguments)
	}
	m := newMutex(s.c, contend.Queue{Dir: s.dir, Name: leaseName, Rule: contend.First(s.n)}, s.opts)
	if err := m.h.Acquire(ctx, m.data, try); err != nil {
		return nil, err
	}
	return &Lease{m: m}, nil
}

// Release gives the lease back (see Mutex.Unlock).
func (l *Lease) Release(ctx context.Context) error { return l.m.Unlock(ctx) }

// Token returns the lease's fencing token (its node's czxid).
func (l *Lease) Token() int64 { return l.m.Token() }

// Lost returns a channel closed when the lease may have been lost or was
// released.
func (l *Lease) Lost() <-chan struct{} { return l.m.Lost() }

// Context returns a context cancelled as Lost is closed.
func (l *Lease) Context() context.Context { return l.m.Context() }
