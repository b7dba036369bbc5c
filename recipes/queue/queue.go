package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zabkit/zabkit/client"
)

// Handler processes one item. ctx ends when the Take's ctx ends and, for a
// consumer with a lock path, when the session holding the item's lock
// ends (the item will then not be removed). A Handler that returns an
// error stops the Take; see Take for what happens to the item.
type Handler func(ctx context.Context, item []byte) error

// Option configures a Queue, PriorityQueue or DelayQueue.
type Option func(*options)

type options struct {
	lockPath      string
	deleteOnError bool
}

// WithLockPath turns on Curator's safe consumption (QueueBuilder.lockPath):
// before processing an item, a consumer creates the ephemeral node
// lockPath/<item's name>, and removes the item only after the Handler
// returned. An item whose consumer dies (its session expires) stays in the
// queue for another consumer. Producers need not set it; every consumer of
// a queue must use the same lock path.
func WithLockPath(lockPath string) Option { return func(o *options) { o.lockPath = lockPath } }

// WithDeleteOnError makes a consumer with a lock path remove an item whose
// Handler failed (Curator's ErrorMode.DELETE) instead of putting it back at
// the end of the queue (ErrorMode.REQUEUE, the default).
func WithDeleteOnError() Option { return func(o *options) { o.deleteOnError = true } }

// Queue is Curator's DistributedQueue: each Put is one persistent-sequential
// node path/queue-<sequence> holding its items in Curator's framing
// (ItemSerializer); consumers take nodes in sequence order. A Queue is
// safe for concurrent use; several consumers (Go or Java) may share a
// queue.
type Queue struct{ q *base }

// New returns the distributed queue at path.
func New(c *client.Conn, path string, opts ...Option) *Queue {
	return &Queue{q: newBase(c, path, false, opts)}
}

// Put adds one node holding items (Curator's put for one item, putMulti
// for several) at the tail. A connection loss while the node is being
// created returns an error matching ErrUncertain.
func (q *Queue) Put(ctx context.Context, items ...[]byte) error { return q.q.put(ctx, "", items) }

// Take waits for the head node, runs h on each of its items in order, and
// removes the node. See the package doc for what a failing Handler, a
// connection loss and a session expiry do to the item.
func (q *Queue) Take(ctx context.Context, h Handler) error { return q.q.take(ctx, h) }

// Consume runs Take until ctx ends (returning ctx's error) or a Take
// fails (returning its error).
func (q *Queue) Consume(ctx context.Context, h Handler) error { return q.q.consume(ctx, h) }

// PriorityQueue is Curator's DistributedPriorityQueue: a Queue whose node
// names carry a priority, queue-<priority><sequence>; lower priorities are
// taken first, equal ones in sequence order.
type PriorityQueue struct{ q *base }

// NewPriority returns the priority queue at path.
func NewPriority(c *client.Conn, path string, opts ...Option) *PriorityQueue {
	return &PriorityQueue{q: newBase(c, path, false, opts)}
}

// Put adds one node holding items with the given priority (lower is
// taken first). A connection loss while the node is being created returns
// an error matching ErrUncertain.
func (q *PriorityQueue) Put(ctx context.Context, priority int32, items ...[]byte) error {
	return q.q.put(ctx, priorityName(priority), items)
}

// Take is Queue.Take in priority order.
func (q *PriorityQueue) Take(ctx context.Context, h Handler) error { return q.q.take(ctx, h) }

// Consume is Queue.Consume in priority order.
func (q *PriorityQueue) Consume(ctx context.Context, h Handler) error { return q.q.consume(ctx, h) }

// DelayQueue is Curator's DistributedDelayQueue: a Queue whose node names
// carry a due time, queue-|<Unix ms in hex>|<sequence>; a node is taken
// only once the consumer's clock has passed its due time, earliest first.
type DelayQueue struct{ q *base }

// NewDelay returns the delay queue at path.
func NewDelay(c *client.Conn, path string, opts ...Option) *DelayQueue {
	return &DelayQueue{q: newBase(c, path, true, opts)}
}

// ErrBadDueTime is returned by DelayQueue.Put for a due time not after the
// Unix epoch (Curator requires a positive epoch).
var ErrBadDueTime = errors.New("queue: due time must be after the Unix epoch")

// Put adds one node holding items, to be taken once until has passed. A
// connection loss while the node is being created returns an error
// matching ErrUncertain.
func (q *DelayQueue) Put(ctx context.Context, until time.Time, items ...[]byte) error {
	if until.UnixMilli() <= 0 {
		return fmt.Errorf("queue %s: put: %w", q.q.path, ErrBadDueTime)
	}
	return q.q.put(ctx, delayName(until), items)
}

// Take is Queue.Take for the earliest node that is due, waiting until one
// is.
func (q *DelayQueue) Take(ctx context.Context, h Handler) error { return q.q.take(ctx, h) }

// Consume is Queue.Consume over due nodes.
func (q *DelayQueue) Consume(ctx context.Context, h Handler) error { return q.q.consume(ctx, h) }
