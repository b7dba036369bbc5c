package ensemble

import (
	"context"
	"fmt"
	"time"

	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/core/zab"
)

// running returns the servers that are not killed, by index.
func (e *Ensemble) running() map[int]*server.Server {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[int]*server.Server{}
	for i, m := range e.members {
		if m.srv != nil {
			out[i] = m.srv
		}
	}
	return out
}

// Leader returns the index of the established leader (serving, with a
// majority of the voters serving under it in its epoch), or -1 if there is
// none (during an election, or when no quorum is up).
func (e *Ensemble) Leader() int { return e.establishedLeader() }

// Followers returns the indexes of the servers that follow a leader, in
// order (observers are not followers).
func (e *Ensemble) Followers() []int {
	var out []int
	for i := range e.members {
		if s := e.Server(i); s != nil && s.State().State == zab.StateFollowing {
			out = append(out, i)
		}
	}
	return out
}

// State returns server i's role; ok is false while it is killed.
func (e *Ensemble) State(i int) (st server.StateInfo, ok bool) {
	if s := e.Server(i); s != nil {
		return s.State(), true
	}
	return server.StateInfo{}, false
}

// serving reports whether a server in state st serves clients in the role
// its configuration gives it.
func serving(st server.StateInfo, observer bool) bool {
	if !st.Serving {
		return false
	}
	switch st.State {
	case zab.StateLeading, zab.StateFollowing:
		return !observer
	case zab.StateObserving:
		return observer
	}
	return false
}

// waitFor polls cond every few milliseconds until it holds or ctx ends.
func (e *Ensemble) waitFor(ctx context.Context, what string, cond func() bool) error {
	every := e.opts.tick / 2
	every = max(time.Millisecond, min(every, 10*time.Millisecond))
	t := time.NewTicker(every)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("ensemble: waiting for %s: %w", what, context.Cause(ctx))
		case <-t.C:
		}
	}
	return nil
}

// WaitLeader waits until a leader is established: it serves, and a
// majority of the voters (itself included) serve as its followers. It
// returns the leader's index. Right after a fault the servers may not have
// noticed yet, so the old leader can still be the answer; to wait for a
// change, wait until Leader differs from the old one.
func (e *Ensemble) WaitLeader(ctx context.Context) (int, error) {
	leader := -1
	err := e.waitFor(ctx, "a leader", func() bool {
		leader = e.establishedLeader()
		return leader >= 0
	})
	if err != nil {
		return -1, err
	}
	return leader, nil
}

// establishedLeader returns the index of a serving leader that a majority
// of voters serve under, or -1.
func (e *Ensemble) establishedLeader() int {
	states := map[int]server.StateInfo{}
	for i, s := range e.running() {
		states[i] = s.State()
	}
	voters := 0
	for _, m := range e.members {
		if !m.observer {
			voters++
		}
	}
	for i, st := range states {
		if !st.Serving || st.State != zab.StateLeading {
			continue
		}
		id := e.members[i].id
		n := 0
		for j, o := range states {
			if !e.members[j].observer && o.Serving && o.Leader == id && o.Epoch == st.Epoch {
				n++
			}
		}
		if 2*n > voters {
			return i
		}
	}
	return -1
}

// WaitServing waits until every running server serves clients: one
// leader, every other voter following, every observer observing.
func (e *Ensemble) WaitServing(ctx context.Context) error {
	return e.waitFor(ctx, "every server to serve", func() bool {
		leaders := 0
		for i, s := range e.running() {
			st := s.State()
			if !serving(st, e.members[i].observer) {
				return false
			}
			if st.State == zab.StateLeading {
				leaders++
			}
		}
		return leaders == 1
	})
}

// WaitServer waits until server i serves clients in its role (leading
// or following a leader, or observing), for example after Restart.
func (e *Ensemble) WaitServer(ctx context.Context, i int) error {
	m, err := e.member(i)
	if err != nil {
		return err
	}
	return e.waitFor(ctx, fmt.Sprintf("server %d to serve", m.id), func() bool {
		st, ok := e.State(i)
		return ok && serving(st, m.observer)
	})
}

// Kill stops server i abruptly, as kill -9 or a power loss would: no
// goodbye to peers or clients, and with in-memory storage the store
// crashes first: the server reaches it no more (an fsync in flight is
// abandoned) and it keeps what was synced plus a random prefix of the
// entries appended since (none to all, seeded by WithSeed), as a disk
// may. Restart brings it back from there.
func (e *Ensemble) Kill(i int) error {
	m, err := e.member(i)
	if err != nil {
		return err
	}
	e.mu.Lock()
	srv := m.srv
	m.srv = nil
	paused := m.paused
	m.paused = false
	if srv != nil && m.handle != nil {
		// The power goes first (before a Restart can reopen the store).
		m.handle.sever()
		m.store.CrashRandom(e.crashes)
		m.handle = nil
	}
	e.mu.Unlock()
	if srv == nil {
		return fmt.Errorf("%w: server %d", ErrNotRunning, m.id)
	}
	if paused {
		srv.Resume()
	}
	srv.Kill()
	e.opts.logger.Info("server killed", "server", m.id)
	return nil
}

// Restart starts killed server i again from what it had synced, on the
// same client port. It returns once the server runs; use WaitServing or
// WaitServer to wait until it has rejoined.
func (e *Ensemble) Restart(ctx context.Context, i int) error {
	m, err := e.member(i)
	if err != nil {
		return err
	}
	e.mu.Lock()
	closed, running := e.closed, m.srv != nil || m.starting
	if !closed && !running {
		m.starting = true
	}
	e.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case running:
		return fmt.Errorf("%w: server %d", ErrRunning, m.id)
	}
	err = e.startMember(ctx, m)
	e.mu.Lock()
	m.starting = false
	e.mu.Unlock()
	if err != nil {
		return err
	}
	e.opts.logger.Info("server restarted", "server", m.id)
	return nil
}

// Stop stops server i gracefully, as a clean shutdown would: its client
// connections and peer links close and it waits for its goroutines; its
// storage keeps everything it wrote (nothing is crashed). Restart brings
// it back from there.
func (e *Ensemble) Stop(i int) error {
	m, err := e.member(i)
	if err != nil {
		return err
	}
	e.mu.Lock()
	srv, handle := m.srv, m.handle
	m.srv, m.handle = nil, nil
	paused := m.paused
	m.paused = false
	e.mu.Unlock()
	if srv == nil {
		return fmt.Errorf("%w: server %d", ErrNotRunning, m.id)
	}
	if paused {
		srv.Resume()
	}
	err = srv.Close()
	if handle != nil {
		handle.sever() // this incarnation is over; a Restart gets a new handle
	}
	if err != nil {
		return fmt.Errorf("ensemble: server %d: close: %w", m.id, err)
	}
	e.opts.logger.Info("server stopped", "server", m.id)
	return nil
}

// Pause stops server i from processing anything (peer messages, client
// requests, ticks), as SIGSTOP would; its connections stay open. Resume
// lets it go on.
func (e *Ensemble) Pause(i int) error {
	return e.withServer(i, func(m *member) {
		if !m.paused {
			m.srv.Pause()
			m.paused = true
			e.opts.logger.Info("server paused", "server", m.id)
		}
	})
}

// Resume undoes Pause.
func (e *Ensemble) Resume(i int) error {
	return e.withServer(i, func(m *member) {
		if m.paused {
			m.srv.Resume()
			m.paused = false
			e.opts.logger.Info("server resumed", "server", m.id)
		}
	})
}

// DropClientConnections closes every client connection of server i; the
// clients reconnect (to any server) with their sessions.
func (e *Ensemble) DropClientConnections(i int) error {
	return e.withServer(i, func(m *member) {
		m.srv.DropClientConnections()
		e.opts.logger.Info("client connections dropped", "server", m.id)
	})
}

func (e *Ensemble) withServer(i int, f func(m *member)) error {
	m, err := e.member(i)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if m.srv == nil {
		return fmt.Errorf("%w: server %d", ErrNotRunning, m.id)
	}
	f(m)
	return nil
}

// Partition splits the servers into groups that cannot talk to each other
// (peer traffic only; clients still reach every server). Servers named in
// no group form one more group together. It replaces any earlier
// partition.
func (e *Ensemble) Partition(groups ...[]int) error {
	if e.net == nil {
		return ErrNotSupported
	}
	group := make([]int, len(e.members))
	for i := range group {
		group[i] = -1
	}
	for g, members := range groups {
		for _, i := range members {
			if _, err := e.member(i); err != nil {
				return err
			}
			group[i] = g
		}
	}
	e.net.Heal()
	for a := range e.members {
		for b := a + 1; b < len(e.members); b++ {
			if group[a] != group[b] {
				e.net.Partition(e.members[a].id, e.members[b].id)
			}
		}
	}
	e.opts.logger.Info("partitioned", "groups", fmt.Sprint(groups))
	return nil
}

// Isolate cuts server i off from every other server.
func (e *Ensemble) Isolate(i int) error { return e.Partition([]int{i}) }

// SetDrop makes the peer link from server `from` to server `to` lose each
// message with probability p (seeded by WithSeed). A lost message breaks
// the link, as a reset TCP connection would.
func (e *Ensemble) SetDrop(from, to int, p float64) error {
	a, b, err := e.link(from, to)
	if err != nil {
		return err
	}
	e.net.SetDrop(a, b, p)
	e.opts.logger.Info("link drops", "from", a, "to", b, "p", p)
	return nil
}

// SetDelay delays every message from server `from` to server `to` by d,
// keeping their order.
func (e *Ensemble) SetDelay(from, to int, d time.Duration) error {
	a, b, err := e.link(from, to)
	if err != nil {
		return err
	}
	e.net.SetDelay(a, b, d)
	e.opts.logger.Info("link delayed", "from", a, "to", b, "delay", d)
	return nil
}

// link returns the server ids of a link, for the in-memory network.
func (e *Ensemble) link(from, to int) (uint64, uint64, error) {
	if e.net == nil {
		return 0, 0, ErrNotSupported
	}
	a, err := e.member(from)
	if err != nil {
		return 0, 0, err
	}
	b, err := e.member(to)
	if err != nil {
		return 0, 0, err
	}
	return a.id, b.id, nil
}

// Heal restores every link between servers (cuts, drops and delays).
func (e *Ensemble) Heal() error {
	if e.net == nil {
		return ErrNotSupported
	}
	e.net.Heal()
	e.opts.logger.Info("healed")
	return nil
}

// ExpireSession expires a client session now, as if its timeout had
// passed: the leader closes it, its ephemeral nodes go and their watches
// fire.
func (e *Ensemble) ExpireSession(ctx context.Context, id int64) error {
	l := e.Leader()
	if l < 0 {
		return ErrNoLeader
	}
	s := e.Server(l)
	if s == nil {
		return ErrNoLeader
	}
	if err := s.ExpireSession(ctx, id); err != nil {
		return fmt.Errorf("ensemble: expire session 0x%x: %w", id, err)
	}
	e.opts.logger.Info("session expired by the test", "session", fmt.Sprintf("0x%x", id))
	return nil
}

// Digests returns, for every running server, the digest of its data tree
// (the same value on replicas that applied the same transactions), indexed
// like the servers; killed servers are absent.
func (e *Ensemble) Digests() map[int]uint64 {
	out := map[int]uint64{}
	for i, s := range e.running() {
		out[i], _ = s.Digest()
	}
	return out
}

// WaitConverged waits until every running server has applied the same
// transactions (equal digests).
func (e *Ensemble) WaitConverged(ctx context.Context) error {
	return e.waitFor(ctx, "equal digests", func() bool {
		var first uint64
		n := 0
		for _, d := range e.Digests() {
			if n > 0 && d != first {
				return false
			}
			first = d
			n++
		}
		return true
	})
}
