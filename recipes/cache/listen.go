package cache

import (
	"context"
	"slices"
)

// sub is one Listen stream: an unbounded queue filled under the cache's
// lock and a goroutine delivering it.
type sub struct {
	q     []Event
	ended bool // the cache stopped: deliver what is queued, then close
	wake  chan struct{}
}

// wakeUp tells the stream's goroutine that events are queued.
func (s *sub) wakeUp() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// emitLocked queues ev on every stream (t.mu held).
func (t *Cache) emitLocked(ev Event) {
	for _, s := range t.subs {
		s.q = append(s.q, ev)
		s.wakeUp()
	}
}

// Listen returns the cache's event stream, ordered and never dropping an
// event: first an EventCreated for every node cached now (parents before
// children), EventInitialized, and EventStale if the copy may be behind;
// then every change as the cache sees it. Events wait in an unbounded
// queue, so a slow reader delays nothing but itself. Applying the events
// in order to an empty map yields the cache's content at that point.
//
// The channel closes when ctx ends, after Close, or, once the cache
// stopped following the tree (Err), after the events queued before that.
// Read it until it closes, or end ctx.
func (t *Cache) Listen(ctx context.Context) <-chan Event {
	out := make(chan Event)
	s := &sub{wake: make(chan struct{}, 1)}
	t.mu.Lock()
	select {
	case <-t.stop:
		t.mu.Unlock()
		close(out)
		return out
	default:
	}
	s.q = make([]Event, 0, len(t.nodes)+2)
	for _, n := range t.nodes {
		s.q = append(s.q, Event{Type: EventCreated, Node: n})
	}
	sortEvents(s.q)
	s.q = append(s.q, Event{Type: EventInitialized})
	if t.stale {
		s.q = append(s.q, Event{Type: EventStale})
	}
	if t.err != nil {
		s.ended = true
	} else {
		t.subs = append(t.subs, s)
	}
	t.wg.Add(1)
	t.mu.Unlock()
	go func() {
		defer t.wg.Done()
		defer close(out)
		defer t.unsubscribe(s)
		for {
			t.mu.Lock()
			batch, ended := s.q, s.ended
			s.q = nil
			t.mu.Unlock()
			for _, ev := range batch {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				case <-t.stop:
					return
				}
			}
			if len(batch) > 0 {
				continue
			}
			if ended {
				return
			}
			select {
			case <-s.wake:
			case <-ctx.Done():
				return
			case <-t.stop:
				return
			}
		}
	}()
	return out
}

// unsubscribe stops queueing events for s.
func (t *Cache) unsubscribe(s *sub) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, x := range t.subs {
		if x == s {
			t.subs = append(t.subs[:i], t.subs[i+1:]...)
			return
		}
	}
}

// sortEvents sorts node events by path, parents first.
func sortEvents(evs []Event) {
	sortNodes := func(a, b Event) int { return comparePaths(a.Node.Path, b.Node.Path) }
	slices.SortFunc(evs, sortNodes)
}
