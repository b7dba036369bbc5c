package lock

import (
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/contend"
)

// Option configures a Mutex, RWMutex or Semaphore.
type Option func(*options)

type options struct {
	grace time.Duration
	data  []byte
}

// WithSuspendGrace sets how long a holder may stay without a connection
// before Lost is closed (default 0: at once). Keep it well below a third
// of the session timeout: a client notices a dead connection only after up
// to two thirds of the timeout, and the server may expire the session one
// timeout after it last heard from it.
func WithSuspendGrace(d time.Duration) Option { return func(o *options) { o.grace = d } }

// WithData sets the data stored in the contender's node (Curator stores the
// host's address there; the default is empty).
func WithData(b []byte) Option {
	return func(o *options) { o.data = append([]byte(nil), b...) }
}

func buildOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

// newMutex returns a Mutex contending in q.
func newMutex(c *client.Conn, q contend.Queue, o options) *Mutex {
	return &Mutex{data: o.data, h: contend.Contender{
		Conn: c, Queue: q, Kind: "lock", Grace: o.grace,
		ErrBusy: ErrHeld, ErrNotHeld: ErrNotHeld, ErrWouldBlock: ErrLocked, ErrLost: ErrLost,
	}}
}
