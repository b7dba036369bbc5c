package client

import "sync"

// stream delivers values to a channel in order, without ever blocking the
// producer and without ever dropping a value: pushed values wait in an
// unbounded slice until the consumer takes them. One goroutine per stream
// moves values from the slice to the channel.
//
// The stream ends in one of two ways. After finish, the goroutine delivers
// everything still queued and then closes the channel. After abandon (Close
// of the Conn, or the consumer's context ending), it closes the channel at
// once and discards what is still queued, so that no goroutine outlives the
// Conn because a consumer stopped reading.
type stream[T any] struct {
	out    chan T
	mu     sync.Mutex
	items  []T
	ended  bool          // finish called: no more pushes
	wake   chan struct{} // capacity 1: items or ended changed
	cancel <-chan struct{}
	stop   <-chan struct{}
}

// newStream starts the delivery goroutine with spawn. The stream is
// abandoned when stop or cancel (either may be nil) is closed, or at once if
// spawn refuses to start the goroutine.
func newStream[T any](spawn func(func()) bool, stop, cancel <-chan struct{}) *stream[T] {
	s := &stream[T]{
		out:    make(chan T),
		wake:   make(chan struct{}, 1),
		cancel: cancel,
		stop:   stop,
	}
	if !spawn(s.run) {
		s.ended = true
		close(s.out)
	}
	return s
}

// push queues v. It reports false if the stream was already finished or
// abandoned; the caller may then forget the stream.
func (s *stream[T]) push(v T) bool {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return false
	}
	s.items = append(s.items, v)
	s.mu.Unlock()
	s.poke()
	return true
}

// finish marks the end of the stream: the channel closes once the queued
// values are delivered. It is idempotent.
func (s *stream[T]) finish() {
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
	s.poke()
}

func (s *stream[T]) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *stream[T]) run() {
	defer func() {
		// Abandoned or drained: refuse further pushes and drop the rest.
		s.mu.Lock()
		s.ended = true
		s.items = nil
		s.mu.Unlock()
		close(s.out)
	}()
	for {
		s.mu.Lock()
		if len(s.items) == 0 {
			ended := s.ended
			s.items = nil // release the backing array
			s.mu.Unlock()
			if ended {
				return
			}
			select {
			case <-s.wake:
				continue
			case <-s.stop:
				return
			case <-s.cancel:
				return
			}
		}
		v := s.items[0]
		var zero T
		s.items[0] = zero
		s.items = s.items[1:]
		s.mu.Unlock()
		select {
		case s.out <- v:
		case <-s.stop:
			return
		case <-s.cancel:
			return
		}
	}
}
