package lock

import (
	"errors"

	"github.com/zabkit/zabkit/recipes/internal/contend"
)

var (
	// ErrLocked is returned by TryLock when another contender holds the
	// lock (or, for Semaphore, every lease is taken).
	ErrLocked = errors.New("lock: held by another contender")
	// ErrHeld is returned by Lock and TryLock on a value that already holds.
	ErrHeld = errors.New("lock: already held by this value")
	// ErrNotHeld is returned by Unlock on a value that does not hold.
	ErrNotHeld = errors.New("lock: not held")
	// ErrSessionLost is returned when the Conn is finished (closed, or
	// expired with client.WithSessionRenewal(false)), or the contender's
	// node vanished while acquiring.
	ErrSessionLost = contend.ErrSessionEnded
	// ErrLost is the cause (context.Cause of Context) when ownership may
	// have been lost while held: session expired or closed, or no
	// connection for longer than the grace period.
	ErrLost = errors.New("lock: ownership may have been lost")
)

// ErrReleased is the cause (context.Cause of Context) after Unlock.
var ErrReleased = contend.ErrReleased
