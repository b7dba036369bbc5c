package server

// This file owns the expiry queue, the part of the session tracker
// (sessions.go) that decides when the leader expires a session.

import "time"

// expiry holds the leader's deadlines, owners and closing marks of
// sessions: ZooKeeper's ExpiryQueue, with deadlines rounded up to the next
// tick so that expiry is checked once per tick bucket.
type expiry struct {
	tick     time.Duration
	deadline map[int64]int64              // session -> bucket (ms)
	buckets  map[int64]map[int64]struct{} // bucket -> sessions
	timeout  map[int64]time.Duration
	owner    map[int64]origin
	closing  map[int64]bool
}

func newExpiry(tick time.Duration) *expiry {
	return &expiry{tick: tick, deadline: map[int64]int64{}, buckets: map[int64]map[int64]struct{}{},
		timeout: map[int64]time.Duration{}, owner: map[int64]origin{}, closing: map[int64]bool{}}
}

func (e *expiry) bucket(t time.Time) int64 {
	ms := t.UnixMilli()
	tk := e.tick.Milliseconds()
	if tk <= 0 {
		tk = 1
	}
	return (ms/tk + 1) * tk
}

// add starts tracking a session (created, or found at leadership start).
func (e *expiry) add(id int64, timeout time.Duration, now time.Time) {
	e.timeout[id] = timeout
	e.touch(id, now)
}

// touch pushes the session's deadline to now + its timeout.
func (e *expiry) touch(id int64, now time.Time) bool {
	to, ok := e.timeout[id]
	if !ok || e.closing[id] {
		return false
	}
	b := e.bucket(now.Add(to))
	if old, ok := e.deadline[id]; ok {
		if old == b {
			return true
		}
		delete(e.buckets[old], id)
		if len(e.buckets[old]) == 0 {
			delete(e.buckets, old)
		}
	}
	e.deadline[id] = b
	if e.buckets[b] == nil {
		e.buckets[b] = map[int64]struct{}{}
	}
	e.buckets[b][id] = struct{}{}
	return true
}

// shift moves every deadline by d (a stall not charged to sessions).
func (e *expiry) shift(d time.Duration) {
	old := e.deadline
	e.deadline, e.buckets = map[int64]int64{}, map[int64]map[int64]struct{}{}
	for id, b := range old {
		nb := e.bucket(time.UnixMilli(b).Add(d))
		e.deadline[id] = nb
		if e.buckets[nb] == nil {
			e.buckets[nb] = map[int64]struct{}{}
		}
		e.buckets[nb][id] = struct{}{}
	}
}

// remove forgets a session (closed).
func (e *expiry) remove(id int64) {
	if b, ok := e.deadline[id]; ok {
		delete(e.buckets[b], id)
		if len(e.buckets[b]) == 0 {
			delete(e.buckets, b)
		}
	}
	delete(e.deadline, id)
	delete(e.timeout, id)
	delete(e.owner, id)
	delete(e.closing, id)
}

// expired returns the sessions whose deadline passed, marking them closing.
func (e *expiry) expired(now time.Time) []int64 {
	ms := now.UnixMilli()
	var out []int64
	for b, set := range e.buckets {
		if b > ms {
			continue
		}
		for id := range set {
			out = append(out, id)
			delete(e.deadline, id)
			e.closing[id] = true
		}
		delete(e.buckets, b)
	}
	return out
}

// live reports whether the session exists and is not being closed.
func (e *expiry) live(id int64) bool {
	_, ok := e.timeout[id]
	return ok && !e.closing[id]
}

// count returns the number of tracked sessions.
func (e *expiry) count() int { return len(e.timeout) }
