package lock

import "time"

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
