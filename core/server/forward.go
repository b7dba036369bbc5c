package server

// This file owns the way requests reach the leader and what the leader
// makes of them: the forwarding queue of a server waiting for a leader,
// the leader's handling of forwarded writes and touches, its own txns
// (session expiry, container and TTL reaping) and proposing.

import (
	"errors"
	"time"

	"github.com/zabkit/zabkit/core/zab"
	"github.com/zabkit/zabkit/core/znode"
	"github.com/zabkit/zabkit/wire"
)

// onTick runs once per tick: sessions (expiry on the leader, touches
// relayed to it by the others), reaping, and requests waiting for a
// leader.
func (d *driverState) onTick() {
	now := time.Now()
	d.sessionsTick(now)
	if d.leading {
		d.reap(now)
	}
	if len(d.waiting) > 0 && d.serving {
		d.flushWaiting()
	}
}

// reaper paces the leader's container and TTL reaping.
type reaper struct {
	last  time.Time
	until int64 // zxid of the last reap txn proposed
}

// reap proposes the deletion of the containers and TTL nodes due, every
// ContainerCheckInterval, once the previous round applied.
func (d *driverState) reap(now time.Time) {
	s := d.s
	if now.Sub(d.reaper.last) < s.cfg.ContainerCheckInterval || s.applied.Load() < d.reaper.until {
		return
	}
	d.reaper.last = now
	s.treeMu.RLock()
	cands := s.tree.ReapCandidates(now.UnixMilli(), 0)
	s.treeMu.RUnlock()
	for _, p := range cands {
		d.reaper.until = d.proposeInternal(znode.Request{Op: wire.OpDeleteContainer,
			Record: &wire.DeleteRequest{Path: p, Version: -1}})
	}
}

// forward sends a request to the leader (directly into Ready.Requests on
// the leader itself), keeping FIFO order behind earlier waiting ones.
func (d *driverState) forward(b []byte) {
	if len(d.waiting) == 0 && d.s.node.Forward(b) == nil {
		return
	}
	d.waiting = append(d.waiting, b)
}

func (d *driverState) flushWaiting() {
	for len(d.waiting) > 0 {
		if d.s.node.Forward(d.waiting[0]) != nil {
			return
		}
		d.waiting = d.waiting[1:]
	}
}

// leaderRequest handles one forwarded request on the leader.
func (d *driverState) leaderRequest(b []byte) {
	s := d.s
	if len(b) == 0 {
		return
	}
	if b[0] == fwdRevalidate {
		d.leaderRevalidate(b)
		return
	}
	if b[0] == fwdTouches {
		ids, err := unmarshalTouches(b, s.cfg.MaxPacket*2)
		if err != nil {
			s.log.Warn("bad touches", "err", err)
			return
		}
		d.sess.touch(ids, time.Now())
		return
	}
	w, err := unmarshalWrite(b, s.cfg.MaxPacket*2)
	if err != nil {
		s.log.Warn("bad forwarded request", "err", err)
		return
	}
	req := znode.Request{Session: w.Session, Cxid: w.Cxid, Op: w.Op, Auth: w.Auth}
	fail := func(code wire.Code) {
		d.propose(w.Origin, errorTxn(req, d.nextZxid(), time.Now().UnixMilli(), code))
	}
	switch w.Op {
	case wire.OpCreateSession:
		var r wire.CreateSessionTxn
		if wire.Unmarshal(w.Body, &r) != nil {
			fail(wire.CodeMarshallingError)
			return
		}
		req.Record = &r
		d.prepAndPropose(w.Origin, req)
		return
	case wire.OpCloseSession:
	default:
		rec, err := wire.NewRequest(w.Op)
		if err != nil || wire.Unmarshal(w.Body, rec) != nil {
			fail(wire.CodeMarshallingError)
			return
		}
		req.Record = rec
	}
	if code := d.sess.admit(w.Session, w.Origin, w.Op == wire.OpCloseSession, time.Now()); code != wire.CodeOK {
		fail(code)
		return
	}
	d.prepAndPropose(w.Origin, req)
}

// nextZxid is the zxid the next proposal will get.
func (d *driverState) nextZxid() int64 {
	st := d.s.node.Status()
	if st.LastZxid.Epoch() == st.Epoch {
		return int64(zab.MakeZxid(st.Epoch, st.LastZxid.Counter()+1))
	}
	return int64(zab.MakeZxid(st.Epoch, 1))
}

// proposeInternal prepares and proposes a txn of the leader's own
// (expiry, reaping); it returns the zxid used.
func (d *driverState) proposeInternal(req znode.Request) int64 {
	return d.prepAndPropose(origin{}, req)
}

// prepAndPropose runs Prep and proposes the txn, error txns included, so
// that every request gets its answer in order through the log.
func (d *driverState) prepAndPropose(o origin, req znode.Request) int64 {
	s := d.s
	zxid := d.nextZxid()
	now := time.Now().UnixMilli()
	s.treeMu.Lock()
	txn, err := s.tree.Prep(req, zxid, now)
	s.treeMu.Unlock()
	var code wire.Code
	if err != nil && !errors.As(err, &code) {
		s.log.Warn("request not prepared", "op", req.Op, "err", err)
		txn = errorTxn(req, zxid, now, wire.CodeMarshallingError)
	}
	return d.propose(o, txn)
}

func errorTxn(req znode.Request, zxid, now int64, code wire.Code) znode.Txn {
	return znode.Txn{Header: wire.TxnHeader{ClientID: req.Session, Cxid: req.Cxid, Zxid: zxid, Time: now,
		Type: wire.OpError}, Record: &wire.ErrorTxn{Err: code}}
}

func (d *driverState) propose(o origin, txn znode.Txn) int64 {
	s := d.s
	z, err := s.node.Propose(marshalEntry(o, txn))
	if err != nil {
		s.log.Warn("propose failed", "err", err)
		s.treeMu.Lock()
		s.tree.ResetPending()
		s.treeMu.Unlock()
		return 0
	}
	if int64(z) != txn.Header.Zxid {
		s.log.Error("proposal got an unexpected zxid", "want", zab.Zxid(txn.Header.Zxid), "got", z)
	}
	return int64(z)
}
