package shared

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/lock"
)

// AtomicLong is Curator's DistributedAtomicLong: an int64 in one
// persistent node as 8 bytes, big-endian (a missing node or empty data
// reads as 0). Every change is an optimistic compare-and-set on the node's
// version, retried on conflict; with WithPromotedLock, a change that keeps
// losing takes Curator's InterProcessMutex at a lock path and tries again
// while holding it (PromotedToLock).
type AtomicLong struct {
	c    *client.Conn
	path string
	o    atomicOptions
}

// Result is the outcome of an AtomicLong change (Curator's AtomicValue):
// the value before and after, and whether the change was made. Succeeded
// is true exactly when the method returned a nil error.
type Result struct {
	Succeeded bool
	Pre, Post int64
	// Tries counts the compare-and-set attempts; Promoted reports whether
	// the promoted lock was taken.
	Tries    int
	Promoted bool
}

// AtomicOption configures an AtomicLong.
type AtomicOption func(*atomicOptions)

type atomicOptions struct {
	tries         int
	lockPath      string
	promotedTries int
}

// WithTries sets how many optimistic compare-and-set attempts a change
// makes before giving up with ErrContention or promoting to the lock
// (default 10). Attempts after a conflict are spaced by a short,
// randomized, growing delay.
func WithTries(n int) AtomicOption { return func(o *atomicOptions) { o.tries = max(n, 1) } }

// WithPromotedLock makes a change whose optimistic attempts all lost take
// the mutex at lockPath (Curator's PromotedToLock; the layout of its
// InterProcessMutex, so Java and Go share it) and make up to tries more
// attempts while holding it.
func WithPromotedLock(lockPath string, tries int) AtomicOption {
	return func(o *atomicOptions) { o.lockPath, o.promotedTries = lockPath, max(tries, 1) }
}

// NewAtomicLong returns the atomic long at path.
func NewAtomicLong(c *client.Conn, path string, opts ...AtomicOption) *AtomicLong {
	o := atomicOptions{tries: 10}
	for _, f := range opts {
		f(&o)
	}
	return &AtomicLong{c: c, path: path, o: o}
}

func longBytes(n int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }

func longOf(b []byte) (int64, error) {
	switch len(b) {
	case 0:
		return 0, nil
	case 8:
		return int64(binary.BigEndian.Uint64(b)), nil
	}
	return 0, fmt.Errorf("%w: %d bytes, want 8", ErrCorrupt, len(b))
}

// read returns the value and the node's version, or exists false.
func (a *AtomicLong) read(ctx context.Context) (n int64, version int32, exists bool, err error) {
	g, err := client.RetryValue(ctx, func(ctx context.Context) (get, error) {
		d, st, err := a.c.Get(ctx, a.path)
		return get{d, st}, err
	})
	if errors.Is(err, client.ErrNoNode) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, err
	}
	n, err = longOf(g.d)
	return n, g.st.Version, true, err
}

// Get returns the current value (0 if the node does not exist).
func (a *AtomicLong) Get(ctx context.Context) (int64, error) {
	n, _, _, err := a.read(ctx)
	if err != nil {
		return 0, fmt.Errorf("atomic long %s: %w", a.path, err)
	}
	return n, nil
}

// Increment adds one; see Add.
func (a *AtomicLong) Increment(ctx context.Context) (Result, error) { return a.Add(ctx, 1) }

// Decrement subtracts one; see Add.
func (a *AtomicLong) Decrement(ctx context.Context) (Result, error) { return a.Add(ctx, -1) }

// Add adds delta (wrapping around as int64 does) and returns the values
// before and after. It fails with ErrContention when every attempt lost to
// a concurrent change, and with ErrUnknownOutcome when the connection
// broke while a write was in flight (it may or may not have been applied;
// it is not retried, so a change is never applied twice).
func (a *AtomicLong) Add(ctx context.Context, delta int64) (Result, error) {
	return a.change(ctx, func(pre int64) int64 { return pre + delta })
}

// TrySet sets the value to n with the same attempts as Add.
func (a *AtomicLong) TrySet(ctx context.Context, n int64) (Result, error) {
	return a.change(ctx, func(int64) int64 { return n })
}

// CompareAndSet sets the value to n only if it is expected, in one
// attempt; it fails with ErrConflict (Result.Pre holding the value found)
// otherwise. As in Curator, a missing node never compares equal.
func (a *AtomicLong) CompareAndSet(ctx context.Context, expected, n int64) (Result, error) {
	pre, version, exists, err := a.read(ctx)
	r := Result{Pre: pre, Post: pre, Tries: 1}
	if err != nil {
		return r, fmt.Errorf("atomic long %s: %w", a.path, err)
	}
	if !exists || pre != expected {
		return r, fmt.Errorf("atomic long %s: value %d, expected %d: %w", a.path, pre, expected, ErrConflict)
	}
	if ok, err := a.write(ctx, pre, n, version, true); err != nil || !ok {
		if err == nil {
			err = ErrConflict
		}
		return r, fmt.Errorf("atomic long %s: %w", a.path, err)
	}
	r.Succeeded, r.Post = true, n
	return r, nil
}

// ForceSet writes n whatever the current value.
func (a *AtomicLong) ForceSet(ctx context.Context, n int64) error {
	_, err := NewValue(a.c, a.path, longBytes(n)).Set(ctx, longBytes(n))
	return err
}

// Initialize creates the node with n if it does not exist, and reports
// whether it did.
func (a *AtomicLong) Initialize(ctx context.Context, n int64) (bool, error) {
	err := client.Retry(ctx, func(ctx context.Context) error {
		_, _, err := a.c.Create(ctx, a.path, longBytes(n), client.ModePersistent, nil, client.WithParentContainers())
		return err
	})
	if errors.Is(err, client.ErrNodeExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("atomic long %s: %w", a.path, err)
	}
	return true, nil
}

// write makes one compare-and-set attempt: set at version, or create the
// node when it does not exist. It reports false on a conflict.
func (a *AtomicLong) write(ctx context.Context, pre, next int64, version int32, exists bool) (bool, error) {
	var err error
	if exists {
		_, err = a.c.Set(ctx, a.path, longBytes(next), version)
	} else {
		_, _, err = a.c.Create(ctx, a.path, longBytes(next), client.ModePersistent, nil, client.WithParentContainers())
	}
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, client.ErrBadVersion), errors.Is(err, client.ErrNoNode), errors.Is(err, client.ErrNodeExists):
		return false, nil
	case client.IsRetryable(err):
		return false, fmt.Errorf("%w: %d to %d: %w", ErrUnknownOutcome, pre, next, err)
	}
	return false, err
}

// change applies f with optimistic attempts, then, if configured and all
// lost, under the promoted lock.
func (a *AtomicLong) change(ctx context.Context, f func(int64) int64) (Result, error) {
	var r Result
	done, err := a.attempts(ctx, &r, f, a.o.tries)
	if err == nil && !done && a.o.lockPath != "" {
		r.Promoted = true
		m := lock.NewMutex(a.c, a.o.lockPath)
		if err = m.Lock(ctx); err == nil {
			done, err = a.attempts(ctx, &r, f, a.o.promotedTries)
			// The lock only reduces contention; correctness rests on the
			// compare-and-set, so a failed Unlock (its node goes with the
			// session) does not change the outcome.
			_ = m.Unlock(context.WithoutCancel(ctx))
		}
	}
	if err == nil && !done {
		err = ErrContention
	}
	if err != nil {
		return r, fmt.Errorf("atomic long %s: %w", a.path, err)
	}
	r.Succeeded = true
	return r, nil
}

// attempts makes up to n compare-and-set attempts, waiting a little after
// each conflict, and reports whether one succeeded.
func (a *AtomicLong) attempts(ctx context.Context, r *Result, f func(int64) int64, n int) (bool, error) {
	wait := 5 * time.Millisecond
	for i := range n {
		if i > 0 {
			t := time.NewTimer(wait/2 + rand.N(wait))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return false, ctx.Err()
			}
			wait = min(2*wait, 500*time.Millisecond)
		}
		pre, version, exists, err := a.read(ctx)
		if err != nil {
			return false, err
		}
		next := f(pre)
		r.Tries++
		r.Pre, r.Post = pre, pre
		ok, err := a.write(ctx, pre, next, version, exists)
		if err != nil {
			return false, err
		}
		if ok {
			r.Post = next
			return true, nil
		}
	}
	return false, nil
}
