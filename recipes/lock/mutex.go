package lock

import (
	"context"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/seqnode"
)

// mutexName is Curator's InterProcessMutex lock name.
const mutexName = "lock-"

// Mutex is an exclusive lock on the directory dir, interoperable with
// Curator's InterProcessMutex on the same path.
type Mutex struct{ h contender }

// NewMutex returns a Mutex on dir for the session c. Nothing is created
// until Lock.
func NewMutex(c *client.Conn, dir string, opts ...Option) *Mutex {
	return &Mutex{h: contender{
		c: c, dir: dir, name: mutexName, markers: []string{mutexName},
		rule: leasesRule(1), opts: buildOptions(opts),
	}}
}

// leasesRule grants the first n contenders and makes the others wait: for
// n == 1 on the immediate predecessor (no herd effect), otherwise on any
// change of the queue.
func leasesRule(n int) seqnode.Rule {
	return func(sorted []string, idx int) seqnode.Decision {
		if idx < n {
			return seqnode.Decision{Acquired: true}
		}
		if n == 1 {
			return seqnode.Decision{Watch: sorted[idx-1]}
		}
		return seqnode.Decision{}
	}
}

// Lock blocks until the lock is held, ctx ends (the contender's node is
// then deleted and ctx's error returned) or the session is lost
// (ErrSessionLost).
func (m *Mutex) Lock(ctx context.Context) error { return m.h.acquire(ctx, false) }

// TryLock takes the lock if no one else holds or waits for it, and returns
// ErrLocked otherwise. It still makes a round trip to create and list.
func (m *Mutex) TryLock(ctx context.Context) error { return m.h.acquire(ctx, true) }

// Unlock releases the lock: it deletes the lock node, retrying after
// connection loss until the node is gone or the session is gone (either
// releases the lock), and stops the Lost signal. It returns ctx's error if
// ctx ends first, and the Mutex still holds; ErrNotHeld if not held.
func (m *Mutex) Unlock(ctx context.Context) error { return m.h.release(ctx) }

// Token returns the fencing token of the current holding (the lock node's
// czxid, increasing from one holding of this lock to the next), or 0 when
// the lock is not held.
func (m *Mutex) Token() int64 { return m.h.token() }

// Key returns the path of the lock node while held, "" otherwise.
func (m *Mutex) Key() string { return m.h.path() }

// Lost returns a channel closed when ownership may have been lost (see the
// package doc) or the lock was released. When not held it is closed.
func (m *Mutex) Lost() <-chan struct{} { return m.h.lost() }

// Context returns a context cancelled like Lost is closed; its
// context.Cause wraps ErrLost, or is ErrReleased after Unlock. Use it
// to bound the work done under the lock.
func (m *Mutex) Context() context.Context { return m.h.context() }
