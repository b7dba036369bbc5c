package server

import "sync"

// queue is an unbounded FIFO with a notification channel: push never
// blocks, which keeps the driver from ever waiting on a slow consumer.
type queue[T any] struct {
	mu     sync.Mutex
	items  []T
	notify chan struct{}
	closed bool
	done   chan struct{} // closed by close
}

func newQueue[T any]() *queue[T] {
	return &queue[T]{notify: make(chan struct{}, 1), done: make(chan struct{})}
}

// push appends v; it reports false if the queue is closed.
func (q *queue[T]) push(v ...T) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, v...)
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
	return true
}

// take removes and returns everything queued.
func (q *queue[T]) take() []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	v := q.items
	q.items = nil
	return v
}

// close makes later pushes fail and wakes the consumer.
func (q *queue[T]) close() {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.done)
	}
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

func (q *queue[T]) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// notifyClosed returns a channel closed once the queue is closed.
func (q *queue[T]) notifyClosed() <-chan struct{} { return q.done }
