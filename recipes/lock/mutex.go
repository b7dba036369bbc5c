package lock

import (
	"context"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/contend"
)

// mutexName is Curator's InterProcessMutex lock name.
const mutexName = "lock-"

// Mutex is an exclusive lock on the directory dir, interoperable with
// Curator's InterProcessMutex on the same path.
type Mutex struct {
	h    contend.Contender
	data []byte
}

// NewMutex returns a Mutex on dir for the session c. Nothing is created
// until Lock.
func NewMutex(c *client.Conn, dir string, opts ...Option) *Mutex {
	return newMutex(c, contend.Queue{Dir: dir, Name: mutexName, Rule: contend.First(1)}, buildOptions(opts))
}

// Lock blocks until the lock is held or ctx ends (the contender's node is
// then deleted and ctx's error returned). If the session expires while
// waiting, Lock queues again on the Conn's new session; it fails with
// ErrSessionLost once the Conn is finished (Close, or an expiry with
// client.WithSessionRenewal(false)). See the package doc.
func (m *Mutex) Lock(ctx context.Context) error { return m.h.Acquire(ctx, m.data, false) }

// TryLock takes the lock if no one else holds or waits for it, and returns
// ErrLocked otherwise. It still makes a round trip to create and list.
func (m *Mutex) TryLock(ctx context.Context) error { return m.h.Acquire(ctx, m.data, true) }

// Unlock releases the lock: it deletes the lock node, retrying after
// connection loss until the node is gone or the session is gone (either
// releases the lock), and stops the Lost signal. It returns ctx's error if
// ctx ends first, and the Mutex still holds; ErrNotHeld if not held.
func (m *Mutex) Unlock(ctx context.Context) error { return m.h.Release(ctx) }

// Token returns the fencing token of the current holding (the lock node's
// czxid, increasing from one holding of this lock to the next), or 0 when
// the lock is not held.
func (m *Mutex) Token() int64 { return m.h.Token() }

// Key returns the path of the lock node while held, "" otherwise.
func (m *Mutex) Key() string { return m.h.Key() }

// Lost returns a channel closed when ownership may have been lost (see the
// package doc) or the lock was released. When not held it is closed.
func (m *Mutex) Lost() <-chan struct{} { return m.h.Context().Done() }

// Context returns a context cancelled like Lost is closed; its
// context.Cause wraps ErrLost, or is ErrReleased after Unlock. Use it
// to bound the work done under the lock.
func (m *Mutex) Context() context.Context { return m.h.Context() }
