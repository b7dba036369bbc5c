package client

import (
	"context"
	"sync"

	"github.com/zabkit/zabkit/wire"
)

// request is one packet to send and, for most ops, a reply to wait for.
type request struct {
	op    wire.Op
	xid   int32       // assigned by the send loop; preset for SetWatches and auth
	rec   wire.Record // request record, encoded by the send loop...
	body  []byte      // ...or its encoding (without the header)
	resp  wire.Record
	watch *watchReg
	auth  *authInfo // for OpAuth: remembered for reconnects on success

	done      chan struct{}
	mu        sync.Mutex
	finished  bool
	abandoned bool
	err       error
	zxid      int64
}

// finish completes r once: it runs register (watch registration, done
// before the caller can see the reply) unless the caller gave up, records
// the outcome and wakes the caller.
func (r *request) finish(err error, zxid int64, register func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	if register != nil && !r.abandoned {
		register()
	}
	r.finished = true
	r.err = err
	r.zxid = zxid
	close(r.done)
}

// abandon marks r as given up by its caller. It reports false when r had
// already finished (the caller should use the result instead).
func (r *request) abandon() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return false
	}
	r.abandoned = true
	return true
}

// enqueue adds r to the outgoing queue, or fails it at once if the session
// is over.
func (c *Conn) enqueue(r *request) {
	c.qmu.Lock()
	if c.qerr != nil {
		err := c.qerr
		c.qmu.Unlock()
		r.finish(err, 0, nil)
		return
	}
	c.queue = append(c.queue, r)
	c.qmu.Unlock()
	select {
	case c.qwake <- struct{}{}:
	default:
	}
}

// takeQueue removes and returns every queued request. The send loop hands
// the slice back with recycle, so that the queue reuses its memory.
func (c *Conn) takeQueue() []*request {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	q := c.queue
	c.queue, c.qspare = c.qspare[:0], nil
	return q
}

// recycle returns a slice from takeQueue once its requests are handled.
func (c *Conn) recycle(q []*request) {
	clear(q)
	c.qmu.Lock()
	if c.qspare == nil {
		c.qspare = q[:0]
	}
	c.qmu.Unlock()
}

// closeQueue fails every queued request and every later one with err.
func (c *Conn) closeQueue(err error) {
	c.qmu.Lock()
	if c.qerr == nil {
		c.qerr = err
	}
	q := c.queue
	c.queue = nil
	c.qmu.Unlock()
	for _, r := range q {
		r.finish(err, 0, nil)
	}
}

// failQueued fails every request queued now with err; later ones are
// queued as usual (a session expired and the next one is on its way).
func (c *Conn) failQueued(err error) {
	c.qmu.Lock()
	q := c.queue
	c.queue = nil
	c.qmu.Unlock()
	for _, r := range q {
		r.finish(err, 0, nil)
	}
}

// call sends op with the request record req, waits for the reply, decodes
// it into resp (when the reply's code is OK and resp is not nil) and
// registers w as the reply arrives. It returns the server's code as an
// error (a wire.Code), ErrConnectionLoss, the session's terminal error, or
// ctx's error. A request abandoned because ctx ended may still be applied
// by the server.
func (c *Conn) call(ctx context.Context, op wire.Op, req wire.Record, resp wire.Record, w *watchReg) (int64, error) {
	r := &request{op: op, rec: req, resp: resp, watch: w, done: make(chan struct{})}
	return c.roundTrip(ctx, r)
}

func (c *Conn) roundTrip(ctx context.Context, r *request) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	c.enqueue(r)
	select {
	case <-r.done:
	case <-ctx.Done():
		if r.abandon() {
			return 0, ctx.Err()
		}
		<-r.done
	}
	return r.zxid, r.err
}

// pendingQueue is the FIFO of requests sent on one link and waiting
// for their replies, which ZooKeeper sends in request order.
type pendingQueue struct {
	mu     sync.Mutex
	items  []*request
	head   int
	closed error
}

// push appends r; it reports false (and leaves r alone) once the
// link has failed.
func (q *pendingQueue) push(r *request) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed != nil {
		return false
	}
	q.items = append(q.items, r)
	return true
}

func (q *pendingQueue) pop() *request {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head == len(q.items) {
		return nil
	}
	r := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0 // keep the capacity
	}
	return r
}

// failAll closes the queue and fails what it holds with err.
func (q *pendingQueue) failAll(err error) {
	q.mu.Lock()
	q.closed = err
	items := q.items[q.head:]
	q.items, q.head = nil, 0
	q.mu.Unlock()
	for _, r := range items {
		r.finish(err, 0, nil)
	}
}
