package server

// This file owns sessions: the session tracker (which sessions exist; on
// the leader their deadlines, owners and closing marks; the queue of
// touches client connections leave for the driver), what the driver does
// with them each tick, and session ids and passwords.

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
	exp *expiry // driver goroutine only

	mu      sync.Mutex
	touched map[int64]struct{}
	claims  []touch
}

func (t *sessionTracker) init(tick time.Duration) {
	t.exp = newExpiry(tick)
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

// claim makes a connection the owner of its session (leader).
func (t *sessionTracker) claim(c touch, now time.Time) {
	if t.exp.live(c.Session) {
		t.exp.owner[c.Session] = c.Origin
		t.exp.touch(c.Session, now)
	}
}

// relayed applies touches and claims relayed by a learner (leader).
func (t *sessionTracker) relayed(ts []touch, now time.Time) {
	for _, c := range ts {
		if c.Claim {
			t.claim(c, now)
		} else {
			t.exp.touch(c.Session, now)
		}
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
func (t *sessionTracker) take() ([]int64, []touch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make([]int64, 0, len(t.touched))
	for id := range t.touched {
		ids = append(ids, id)
	}
	clear(t.touched)
	cl := t.claims
	t.claims = nil
	return ids, cl
}

// requeue puts claims that found no leader back at the queue's head.
func (t *sessionTracker) requeue(ts []touch) {
	t.mu.Lock()
	t.claims = append(ts, t.claims...)
	t.mu.Unlock()
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
	touched, claims := d.sess.take()
	switch {
	case d.leading:
		for _, c := range claims {
			d.sess.claim(c, now)
		}
		for _, id := range touched {
			d.sess.exp.touch(id, now)
		}
		for _, id := range d.sess.exp.expired(now) {
			d.s.log.Info("session expired", "session", sessionHex(id))
			d.proposeInternal(znode.Request{Session: id, Op: wire.OpCloseSession})
		}
	case d.serving && (len(touched) > 0 || len(claims) > 0):
		ts := claims
		for _, id := range touched {
			ts = append(ts, touch{Session: id})
		}
		d.forward(marshalTouches(ts))
	case len(claims) > 0:
		d.sess.requeue(claims)
	}
}

// sendClaim makes the leader record this connection as the session's
// owner, in FIFO order with the connection's writes.
func (d *driverState) sendClaim(t touch) {
	if d.leading {
		d.sess.claim(t, time.Now())
		return
	}
	d.forward(marshalTouches([]touch{t}))
}

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
