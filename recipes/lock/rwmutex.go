package lock

import (
	"context"
	"strings"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/contend"
)

// Curator's InterProcessReadWriteLock lock names.
const (
	readName  = "__READ__"
	writeName = "__WRIT__"
)

// RWMutex is a readers-writer lock on dir, interoperable with Curator's
// InterProcessReadWriteLock: readers share the lock, a writer excludes
// everyone, and contenders are served in queue order, so a waiting writer
// holds back the readers queued after it (no writer starvation).
type RWMutex struct {
	r, w *Mutex
}

// NewRWMutex returns a readers-writer lock on dir for the session c. Its
// read and write halves are separate contenders: one RWMutex value may
// hold both (a writer may also read), each with its own token and Lost
// signal.
func NewRWMutex(c *client.Conn, dir string, opts ...Option) *RWMutex {
	o := buildOptions(opts)
	markers := []string{readName, writeName}
	return &RWMutex{
		r: newMutex(c, contend.Queue{Dir: dir, Name: readName, Markers: markers, Rule: readRule}, o),
		w: newMutex(c, contend.Queue{Dir: dir, Name: writeName, Markers: markers, Rule: contend.First(1)}, o),
	}
}

// readRule grants a reader when no writer is queued before it, and
// otherwise makes it wait for the first writer (as Curator does).
func readRule(sorted []string, idx int) contend.Decision {
	for i := 0; i < idx; i++ {
		if strings.Contains(sorted[i], writeName) {
			return contend.Decision{Watch: sorted[i]}
		}
	}
	return contend.Decision{Acquired: true}
}

// RLock takes a shared hold, waiting for writers queued before it.
func (rw *RWMutex) RLock(ctx context.Context) error { return rw.r.Lock(ctx) }

// TryRLock takes a shared hold if no writer is queued, or returns ErrLocked.
func (rw *RWMutex) TryRLock(ctx context.Context) error { return rw.r.TryLock(ctx) }

// RUnlock releases the shared hold (see Mutex.Unlock).
func (rw *RWMutex) RUnlock(ctx context.Context) error { return rw.r.Unlock(ctx) }

// Lock takes the exclusive hold, waiting for everyone queued before it.
func (rw *RWMutex) Lock(ctx context.Context) error { return rw.w.Lock(ctx) }

// TryLock takes the exclusive hold if no one holds or waits, or returns
// ErrLocked.
func (rw *RWMutex) TryLock(ctx context.Context) error { return rw.w.TryLock(ctx) }

// Unlock releases the exclusive hold (see Mutex.Unlock).
func (rw *RWMutex) Unlock(ctx context.Context) error { return rw.w.Unlock(ctx) }

// Reader returns the read half, for its Token, Lost and Context.
func (rw *RWMutex) Reader() *Mutex { return rw.r }

// Writer returns the write half, for its Token, Lost and Context.
func (rw *RWMutex) Writer() *Mutex { return rw.w }
