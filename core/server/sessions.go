package server

// This file owns sessions: the session tracker (which sessions exist; on
// the leader their deadlines, owners and closing marks; the queue of
// touches client connections leave for the driver; the reconnections
// waiting for the leader's verdict), what the driver does with them each
// tick, and session ids and passwords.

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"sync"
	"time"

	"github.com/zabkit/zabkit/core/znode"
	"github.com/zabkit/zabkit/wire"
)

// sessionSecret seeds session passwords. Like ZooKeeper's superSecret it
// is the same on every server, so any server can check the password of a
// session created elsewhere.
const sessionSecret uint64 = 0x5a61626b69742121

// sessionPassword derives a session's 16-byte password from its id.
func sessionPassword(id int64) []byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(id))
	binary.BigEndian.PutUint64(b[8:], sessionSecret)
	h := sha256.Sum256(b[:])
	return h[:16]
}

// firstSessionID is ZooKeeper's SessionTrackerImpl.initializeNextSessionId:
// the server id in the top byte and the clock below, so ids from different
// servers and restarts do not collide.
func firstSessionID(server uint64, now time.Time) int64 {
	t := uint64(now.UnixMilli())
	return int64((t<<24)>>8 | server<<56)
}

func sessionHex(id int64) string { return "0x" + strconv.FormatUint(uint64(id), 16) }

// sessionTracker is the one owner of session state. Its expiry queue is
// the driver goroutine's alone (every server keeps it, the leader decides
// with it); its touch queue is filled by client connections under mu and
// emptied by the driver once per tick.
type sessionTracker struct {
	exp      *expiry                   // driver goroutine only
	pending  map[uint64]chan<- verdict // revalidations sent to the leader, by connection; driver only
	lastTick time.Time                 // when the driver last ticked; driver only

	mu      sync.Mutex
	touched map[int64]struct{}
}

func (t *sessionTracker) init(tick time.Duration) {
	t.exp = newExpiry(tick)
	t.pending = map[uint64]chan<- verdict{}
	t.touched = map[int64]struct{}{}
}

// reload rebuilds the tracker from the sessions of a tree (start, SNAP).
func (t *sessionTracker) reload(sessions map[int64]int32, now time.Time) {
	t.exp = newExpiry(t.exp.tick)
	for id, to := range sessions {
		t.exp.add(id, time.Duration(to)*time.Millisecond, now)
	}
}

// created tracks a session whose createSession applied.
func (t *sessionTracker) created(id int64, timeout time.Duration, now time.Time) {
	t.exp.add(id, timeout, now)
}

// closed forgets a session whose closeSession applied.
func (t *sessionTracker) closed(id int64) { t.exp.remove(id) }

// lead starts a leadership: every session gets a full timeout from now
// and no owner yet, as with ZooKeeper's new leader.
func (t *sessionTracker) lead(now time.Time) {
	for id := range t.exp.timeout {
		t.exp.touch(id, now)
	}
	t.exp.owner = map[int64]origin{}
	t.exp.closing = map[int64]bool{}
}

// revalidate is the leader's verdict on a session a client reconnects
// with from o: alive (not closing), it is touched and o becomes its owner,
// so that writes from an older connection fail with SessionMoved.
func (t *sessionTracker) revalidate(id int64, o origin, now time.Time) verdict {
	v := verdict{Session: id, Conn: o.Conn}
	if !t.exp.live(id) {
		return v
	}
	t.exp.owner[id] = o
	t.exp.touch(id, now)
	v.Valid, v.Timeout = true, int32(t.exp.timeout[id].Milliseconds())
	return v
}

// touch pushes the deadlines of sessions touched at now (leader).
func (t *sessionTracker) touch(ids []int64, now time.Time) {
	for _, id := range ids {
		t.exp.touch(id, now)
	}
}

// admit checks a forwarded request of session id from o (leader): the
// session must be live and owned by o (the first request makes o its
// owner). An admitted request touches the session; a closeSession marks
// it closing.
func (t *sessionTracker) admit(id int64, o origin, closing bool, now time.Time) wire.Code {
	if !t.exp.live(id) {
		return wire.CodeSessionExpired
	}
	if own, ok := t.exp.owner[id]; ok && own != o {
		return wire.CodeSessionMoved
	} else if !ok {
		t.exp.owner[id] = o
	}
	t.exp.touch(id, now)
	if closing {
		t.exp.closing[id] = true
	}
	return wire.CodeOK
}

// close marks a live session closing so that nothing touches it again
// until its closeSession applies; false if it is not live.
func (t *sessionTracker) close(id int64) bool {
	if !t.exp.live(id) {
		return false
	}
	t.exp.closing[id] = true
	return true
}

// touchLocal queues a touch of a session by one of this server's clients.
func (t *sessionTracker) touchLocal(id int64) {
	if id == 0 {
		return
	}
	t.mu.Lock()
	t.touched[id] = struct{}{}
	t.mu.Unlock()
}

// take empties the touch queue.
func (t *sessionTracker) take() []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make([]int64, 0, len(t.touched))
	for id := range t.touched {
		ids = append(ids, id)
	}
	clear(t.touched)
	return ids
}

// reloadSessions rebuilds the session tracker from the tree (start, SNAP).
func (d *driverState) reloadSessions() {
	d.s.treeMu.RLock()
	sess := d.s.tree.Sessions()
	d.s.treeMu.RUnlock()
	d.sess.reload(sess, time.Now())
}

// sessionsTick runs once per tick: the leader takes its own clients'
// touches and expires the sessions whose deadline passed; the others
// relay their clients' touches to it.
func (d *driverState) sessionsTick(now time.Time) {
	touched := d.sess.take()
	stalled := d.sess.stalled(now, d.s.zabTick)
	switch {
	case d.leading:
		if stalled > 0 {
			// The leader stood still (a GC pause, SIGSTOP): the touches
			// its learners relayed meanwhile wait behind this tick, so
			// the stall is not charged to the sessions.
			d.s.log.Debug("sessions' deadlines moved past a stall", "stall", stalled)
			d.sess.exp.shift(stalled)
		}
		d.sess.touch(touched, now)
		for _, id := range d.sess.exp.expired(now) {
			d.s.log.Info("session expired", "session", sessionHex(id))
			d.proposeInternal(znode.Request{Session: id, Op: wire.OpCloseSession})
		}
	case d.serving && len(touched) > 0:
		d.forward(marshalTouches(touched))
	}
}

// stalled records a tick at now and returns how long the driver stood
// still before it: the time since the previous tick if that is more than
// two tick intervals (every), else 0.
func (t *sessionTracker) stalled(now time.Time, every time.Duration) time.Duration {
	last := t.lastTick
	t.lastTick = now
	if gap := now.Sub(last); !last.IsZero() && gap > 2*every {
		return gap
	}
	return 0
}

// revalidate asks for the leader's verdict on a session a client
// reconnects with from o, and sends it to done: on the leader at once;
// on a learner once the leader answered (revalidated), in FIFO order with
// the connection's earlier writes. Without a leader nothing is sent:
// the connection waits, and is closed when this server stops serving.
func (d *driverState) revalidate(id int64, o origin, done chan<- verdict) {
	if d.leading {
		done <- d.sess.revalidate(id, o, time.Now())
		return
	}
	if !d.serving {
		return
	}
	d.s.log.Debug("revalidating session with the leader", "session", sessionHex(id), "conn", o.Conn)
	d.sess.pending[o.Conn] = done
	d.forward(revalidation{Session: id, Origin: o}.marshal())
}

// leaderRevalidate answers a learner's revalidation (leader).
func (d *driverState) leaderRevalidate(b []byte) {
	r, err := unmarshalRevalidation(b)
	if err != nil {
		d.s.log.Warn("bad revalidation", "err", err)
		return
	}
	v := d.sess.revalidate(r.Session, r.Origin, time.Now())
	if err := d.s.node.Reply(r.Origin.Server, v.marshal()); err != nil {
		d.s.log.Debug("revalidation not answered", "to", r.Origin.Server, "err", err)
	}
}

// revalidated hands the leader's verdict to the connection waiting for it.
func (d *driverState) revalidated(b []byte) {
	v, err := unmarshalVerdict(b)
	if err != nil {
		d.s.log.Warn("bad verdict", "err", err)
		return
	}
	if done, ok := d.sess.pending[v.Conn]; ok {
		delete(d.sess.pending, v.Conn)
		done <- v
	}
}

// dropRevalidations forgets the revalidations waiting for a leader this
// server no longer follows (their connections are closed).
func (d *driverState) dropRevalidations() { clear(d.sess.pending) }

// expireNow expires a session at once (Server.ExpireSession).
func (d *driverState) expireNow(id int64) error {
	if !d.leading {
		return ErrNotLeader
	}
	if !d.sess.close(id) {
		return wire.CodeSessionExpired
	}
	d.proposeInternal(znode.Request{Session: id, Op: wire.OpCloseSession})
	return nil
}
