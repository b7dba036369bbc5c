package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"time"

	"github.com/zabkit/zabkit/core/storage"
	"github.com/zabkit/zabkit/core/zab"
	"github.com/zabkit/zabkit/core/znode"
	"github.com/zabkit/zabkit/wire"
)

// driverState is what only the driver goroutine touches.
type driverState struct {
	s          *Server
	exp        *expiry
	leading    bool // established leader
	serving    bool
	epoch      uint32
	waiting    [][]byte // forwards waiting for a leader, FIFO
	barriers   map[uint64]barrier
	nextBarr   uint64
	retryBarr  []barrier
	inflight   *inflight
	syncDone   chan error
	snapTrig   *storage.SnapTrigger // when to snapshot: snapCount/2 plus a random part, as ZooKeeper
	snapDue    bool                 // the trigger fired while a snapshot was still being saved
	lastReap   time.Time
	reapUntil  int64 // zxid of the last reap txn proposed
	electStart time.Time
	syncMode   string          // "SNAP" or "TRUNC" once this learner's sync installed a snapshot or truncated
	snapRun    *snapRun        // the snapshot being saved in the background, nil if none
	snapDone   chan snapResult // its outcome (capacity 1: at most one runs)
	learnSnaps int             // snapshots for learners being encoded
	learnDone  chan learnerSnap
	compactTo  int64 // a compaction deferred while learnSnaps > 0
}

type barrier struct {
	c    *conn
	xid  int32
	path string
	at   time.Time
	done chan error // instead of a reply (session revalidation)
}

func (d *driverState) init(s *Server) {
	d.s = s
	d.exp = newExpiry(s.cfg.TickTime)
	d.snapTrig = storage.NewSnapTrigger(s.cfg.SnapCount, snapSizeLimit, nil)
	d.barriers = map[uint64]barrier{}
	d.syncDone = make(chan error, 1)
	d.snapDone = make(chan snapResult, 1)
	d.learnDone = make(chan learnerSnap)
	d.electStart = time.Now()
	d.reloadSessions()
}

// reloadSessions rebuilds the session table from the tree (start, SNAP).
func (d *driverState) reloadSessions() {
	d.exp = newExpiry(d.s.cfg.TickTime)
	d.s.treeMu.RLock()
	sess := d.s.tree.Sessions()
	d.s.treeMu.RUnlock()
	now := time.Now()
	for id, to := range sess {
		d.exp.add(id, time.Duration(to)*time.Millisecond, now)
	}
}

func (s *Server) runDriver() {
	defer s.wg.Done()
	tick := time.NewTicker(s.zabTick)
	defer tick.Stop()
	recv := s.trans.Recv()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			if !s.gate.wait(s.stop) {
				return
			}
			s.node.Tick()
			s.d.onTick()
		case in, ok := <-recv:
			if !ok {
				recv = nil
				continue
			}
			if !s.gate.wait(s.stop) {
				return
			}
			if in.Down {
				s.node.ReportUnreachable(in.From)
			} else if err := s.node.Step(in.Msg); err != nil {
				s.log.Debug("peer message refused", "from", in.From, "msg", in.Msg.String(), "err", err)
			}
		case f := <-s.cmds:
			if !s.gate.wait(s.stop) {
				return
			}
			f()
		case r := <-s.d.snapDone:
			if !s.gate.wait(s.stop) {
				return
			}
			if err := s.d.finishSnapshot(r); err != nil {
				s.log.Error("storage failed; stopping", "err", err)
				go s.Kill()
				<-s.stop
				return
			}
			continue
		case r := <-s.d.learnDone:
			if !s.gate.wait(s.stop) {
				return
			}
			s.d.provideSnapshot(r)
		case err := <-s.d.syncDone:
			if !s.gate.wait(s.stop) {
				return
			}
			err = s.d.finishInflight(err)
			if err == nil {
				continue
			}
			s.log.Error("storage failed; stopping", "err", err)
			go s.Kill()
			<-s.stop
			return
		}
		if err := s.d.processReady(); err != nil {
			s.log.Error("storage failed; stopping", "err", err)
			go s.Kill()
			<-s.stop
			return
		}
	}
}

// processReady fulfils every pending Ready of the zab node.
func (d *driverState) processReady() error {
	s := d.s
	for d.inflight == nil && s.node.HasReady() {
		rd, err := s.node.Ready()
		if err != nil {
			return err
		}
		late, err := d.beginReady(&rd)
		if err != nil {
			return err
		}
		if len(rd.Entries) > 0 || rd.Truncate || rd.HardState != nil {
			// The fsync runs beside the driver, which keeps stepping
			// messages and ticks meanwhile; the rest of the Ready waits
			// for it (finishInflight).
			d.inflight = &inflight{rd: rd, late: late}
			s.wg.Add(1)
			go d.persist(rd)
			return nil
		}
		if err := d.finishReady(&rd, late); err != nil {
			return err
		}
		s.node.Advance(rd)
		d.afterReady(s.node.Status())
	}
	return nil
}

// inflight is a Ready whose log writes are being synced.
type inflight struct {
	rd   zab.Ready
	late []zab.Message // to send once rd is durable
}

// persist makes a Ready's entries, then its epochs, durable (group
// commit: one Sync covers every entry appended before it). Kill and
// Close abandon it: the Sync's wait ends with the server's life, and a
// persist cut short reports nothing.
func (d *driverState) persist(rd zab.Ready) {
	s := d.s
	defer s.wg.Done()
	var err error
	if len(rd.Entries) > 0 || rd.Truncate {
		t0 := time.Now()
		if err = s.store.Sync(s.life); err == nil {
			s.metrics.fsync(time.Since(t0))
		}
	}
	if err == nil && rd.HardState != nil {
		err = s.store.SetEpochs(storage.Epochs{Accepted: int64(rd.HardState.AcceptedEpoch),
			Current: int64(rd.HardState.CurrentEpoch)})
	}
	if err != nil && s.life.Err() != nil {
		return // abandoned: the server is stopping
	}
	d.syncDone <- err
}

// finishInflight completes the Ready whose persistence finished.
func (d *driverState) finishInflight(err error) error {
	s := d.s
	in := d.inflight
	d.inflight = nil
	if err != nil {
		return err
	}
	if err := d.finishReady(&in.rd, in.late); err != nil {
		return err
	}
	s.node.Advance(in.rd)
	d.afterReady(s.node.Status())
	return d.processReady()
}

// beginReady installs a snapshot, truncates and appends (each durable or
// buffered as storage says), and sends the messages zab lets leave before
// the fsync (Ready.SplitMessages). It returns the messages to send once
// the Ready is durable.
func (d *driverState) beginReady(rd *zab.Ready) ([]zab.Message, error) {
	s := d.s
	ctx := context.Background()
	if rd.Status.State != zab.StateLeading {
		// How the leader synchronizes this learner, for the "synced" log
		// line: a snapshot to install is a SNAP, a truncation a TRUNC
		// (possibly followed by a DIFF), anything else a DIFF.
		switch {
		case rd.Snapshot != nil:
			d.syncMode = "SNAP"
		case rd.Truncate && d.syncMode == "":
			d.syncMode = "TRUNC"
		}
	}
	if rd.Snapshot != nil {
		snap := rd.Snapshot
		d.abandonSnapshot()
		tree, err := znode.ReadSnapshot(bytes.NewReader(snap.Data), znode.Config{ExtendedTypes: s.cfg.ExtendedTypes})
		if err != nil {
			return nil, err
		}
		if err := s.store.InstallSnapshot(ctx, int64(snap.Zxid), func(w io.Writer) error {
			_, err := w.Write(snap.Data)
			return err
		}); err != nil {
			return nil, err
		}
		s.closeAllConns("snapshot installed")
		s.treeMu.Lock()
		s.tree = tree
		s.treeMu.Unlock()
		s.applied.Store(int64(snap.Zxid))
		d.reloadSessions()
		d.snapTrig.Reset()
		d.snapDue = false
		s.log.Info("installed snapshot from leader", "zxid", snap.Zxid)
	}
	if rd.Truncate {
		if err := s.store.TruncateAfter(int64(rd.TruncateAfter)); err != nil {
			return nil, err
		}
		s.log.Info("truncated log", "after", rd.TruncateAfter)
	}
	if len(rd.Entries) > 0 {
		if err := s.store.Append(storageEntries(rd.Entries)...); err != nil {
			return nil, err
		}
	}
	// An established leader sends its proposals while its own log write
	// is in flight (as ZooKeeper does): its own ack counts only once
	// Advance reports the entries durable. zab says which messages.
	early, late := rd.SplitMessages()
	d.send(early)
	return late, nil
}

// finishReady does the rest of a Ready once its writes are durable:
// late are its messages beginReady did not send.
func (d *driverState) finishReady(rd *zab.Ready, late []zab.Message) error {
	d.send(late)
	for _, e := range rd.CommittedEntries {
		if err := d.apply(e); err != nil {
			return err
		}
	}
	for _, r := range rd.ReadStates {
		d.finishBarrier(r)
	}
	for _, to := range rd.SnapshotRequests {
		d.startLearnerSnapshot(to)
	}
	for _, r := range rd.Requests {
		d.leaderRequest(r.Data)
	}
	return nil
}

func (d *driverState) send(ms []zab.Message) {
	for _, m := range ms {
		d.s.trans.Send(m)
	}
}

// afterReady reacts to role changes.
func (d *driverState) afterReady(st zab.Status) {
	s := d.s
	s.status.Store(&st)
	serving := st.Established && st.State != zab.StateLooking
	if d.serving && (!serving || st.Epoch != d.epoch) {
		// Like a ZooKeeper learner that loses its leader: clients
		// reconnect (possibly elsewhere) and retry.
		s.closeAllConns("left the broadcast phase")
		d.failBarriers()
		d.waiting = nil
	}
	wasLeading := d.leading
	d.leading = serving && st.State == zab.StateLeading
	if wasLeading && !d.leading {
		s.treeMu.Lock()
		s.tree.ResetPending()
		s.treeMu.Unlock()
	}
	if d.leading && (!wasLeading || st.Epoch != d.epoch) {
		now := time.Now()
		for id := range d.exp.timeout {
			d.exp.touch(id, now)
		}
		d.exp.owner = map[int64]origin{}
		d.exp.closing = map[int64]bool{}
	}
	if serving && !d.serving {
		s.metrics.election(time.Since(d.electStart))
	}
	if serving && (!d.serving || st.Epoch != d.epoch) {
		d.logServing(st)
	}
	if st.State == zab.StateLooking {
		d.syncMode = ""
	}
	if !serving && d.serving {
		d.electStart = time.Now()
	}
	d.serving = serving
	d.epoch = st.Epoch
	s.serving.Store(serving)
	if serving && len(d.waiting) > 0 {
		d.flushWaiting()
	}
	if serving && len(d.retryBarr) > 0 {
		bs := d.retryBarr
		d.retryBarr = nil
		for _, b := range bs {
			d.startBarrier(b)
		}
	}
}

// logServing logs, once per established epoch, the role this server
// took: "elected" on a leader; "following" or "observing", then "synced"
// with mode=DIFF, TRUNC or SNAP, on a learner.
func (d *driverState) logServing(st zab.Status) {
	s := d.s
	switch st.State {
	case zab.StateLeading:
		s.log.Info("elected", "epoch", st.Epoch, "zxid", st.LastZxid, "after", time.Since(d.electStart))
	case zab.StateFollowing, zab.StateObserving:
		msg := "following"
		if st.State == zab.StateObserving {
			msg = "observing"
		}
		s.log.Info(msg, "leader", st.Leader, "epoch", st.Epoch)
		mode := d.syncMode
		if mode == "" {
			mode = "DIFF"
		}
		s.log.Info("synced", "mode", mode, "leader", st.Leader, "epoch", st.Epoch, "zxid", st.LastZxid)
	}
	d.syncMode = ""
}

// onTick runs once per tick: session expiry and reaping on the leader,
// touches relayed to it by the others.
func (d *driverState) onTick() {
	s := d.s
	now := time.Now()
	touched, claims := s.takeTouches()
	if d.leading {
		for _, t := range claims {
			d.claim(t)
		}
		for _, id := range touched {
			d.exp.touch(id, now)
		}
		for _, id := range d.exp.expired(now) {
			s.log.Info("session expired", "session", sessionHex(id))
			d.proposeInternal(znode.Request{Session: id, Op: wire.OpCloseSession})
		}
		if now.Sub(d.lastReap) >= s.cfg.ContainerCheckInterval && s.applied.Load() >= d.reapUntil {
			d.lastReap = now
			s.treeMu.RLock()
			cands := s.tree.ReapCandidates(now.UnixMilli(), 0)
			s.treeMu.RUnlock()
			for _, p := range cands {
				d.reapUntil = d.proposeInternal(znode.Request{Op: wire.OpDeleteContainer,
					Record: &wire.DeleteRequest{Path: p, Version: -1}})
			}
		}
	} else if d.serving && (len(touched) > 0 || len(claims) > 0) {
		ts := claims
		for _, id := range touched {
			ts = append(ts, touch{Session: id})
		}
		d.forward(marshalTouches(ts))
	} else if len(claims) > 0 {
		s.requeueClaims(claims)
	}
	if len(d.waiting) > 0 && d.serving {
		d.flushWaiting()
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

// claim makes a connection the owner of its session (leader).
func (d *driverState) claim(t touch) {
	if d.exp.live(t.Session) {
		d.exp.owner[t.Session] = t.Origin
		d.exp.touch(t.Session, time.Now())
	}
}

func (d *driverState) expireNow(id int64) error {
	if !d.leading {
		return ErrNotLeader
	}
	if !d.exp.live(id) {
		return wire.CodeSessionExpired
	}
	d.exp.closing[id] = true
	d.proposeInternal(znode.Request{Session: id, Op: wire.OpCloseSession})
	return nil
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

// leaderRequest handles one forwarded request on the leader.
func (d *driverState) leaderRequest(b []byte) {
	s := d.s
	if len(b) == 0 {
		return
	}
	if b[0] == fwdTouches {
		ts, err := unmarshalTouches(b, s.cfg.MaxPacket*2)
		if err != nil {
			s.log.Warn("bad touches", "err", err)
			return
		}
		now := time.Now()
		for _, t := range ts {
			if t.Claim {
				d.claim(t)
			} else {
				d.exp.touch(t.Session, now)
			}
		}
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
	if !d.exp.live(w.Session) {
		fail(wire.CodeSessionExpired)
		return
	}
	if own, ok := d.exp.owner[w.Session]; ok && own != w.Origin {
		fail(wire.CodeSessionMoved)
		return
	} else if !ok {
		d.exp.owner[w.Session] = w.Origin
	}
	d.exp.touch(w.Session, time.Now())
	if w.Op == wire.OpCloseSession {
		d.exp.closing[w.Session] = true
	}
	d.prepAndPropose(w.Origin, req)
}

// apply applies one committed entry, delivers its watch events and
// answers the client that sent it if it is connected here.
func (d *driverState) apply(e zab.Entry) error {
	s := d.s
	o, txn, err := unmarshalEntry(e.Data, 1<<30)
	if err != nil {
		return err
	}
	t0 := time.Now()
	s.treeMu.Lock()
	res, err := s.tree.Apply(txn)
	if err == nil {
		s.deliverEvents(res.Events)
	}
	s.treeMu.Unlock()
	if err != nil {
		return err
	}
	s.applied.Store(int64(e.Zxid))
	h := txn.Header
	switch h.Type {
	case wire.OpCreateSession:
		if r, ok := txn.Record.(*wire.CreateSessionTxn); ok {
			d.exp.add(h.ClientID, time.Duration(r.TimeOut)*time.Millisecond, time.Now())
		}
	case wire.OpCloseSession:
		d.exp.remove(h.ClientID)
	}
	if o.Server == s.cfg.ID && o.Conn != 0 {
		if c := s.connByID(o.Conn); c != nil {
			c.committed(txn, res, t0)
		}
	}
	if h.Type == wire.OpCloseSession {
		s.closeSessionConns(h.ClientID, o)
	}
	if d.snapTrig.Add(len(e.Data)) {
		d.snapDue = true
	}
	if d.snapDue && d.snapRun == nil {
		// A trigger while a snapshot is still being saved waits for it:
		// the next apply after it finishes starts the next one.
		d.snapDue = false
		d.startSnapshot(int64(e.Zxid))
	}
	return nil
}

// deliverEvents queues watch events for their connections; called with
// the tree's write lock held so that no read reply overtakes them.
func (s *Server) deliverEvents(evs []znode.Event) {
	for _, ev := range evs {
		for _, w := range ev.Watchers {
			c, ok := w.(*conn)
			if !ok {
				continue
			}
			if ev.ACL != nil && znode.CheckACL(ev.ACL, wire.PermRead, c.authIDs()) != nil {
				continue
			}
			c.sendEvent(ev.Type, ev.Path)
		}
	}
}

// startBarrier begins a linearizable sync.
func (d *driverState) startBarrier(b barrier) {
	d.nextBarr++
	id := d.nextBarr
	if err := d.s.node.ReadBarrier(id); err != nil {
		d.retryBarr = append(d.retryBarr, b)
		return
	}
	d.barriers[id] = b
}

func (d *driverState) finishBarrier(r zab.ReadState) {
	b, ok := d.barriers[r.ID]
	if !ok {
		return
	}
	delete(d.barriers, r.ID)
	if r.Err != nil {
		d.retryBarr = append(d.retryBarr, b)
		return
	}
	if b.done != nil {
		b.done <- nil
		return
	}
	b.c.complete(b.xid, wire.CodeOK, &wire.SyncResponse{Path: b.path}, d.s.applied.Load(), b.at)
}

func (d *driverState) failBarriers() {
	for _, b := range d.barriers {
		if b.done != nil {
			b.done <- ErrNotLeader
		}
	}
	for _, b := range d.retryBarr {
		if b.done != nil {
			b.done <- ErrNotLeader
		}
	}
	d.barriers = map[uint64]barrier{}
	d.retryBarr = nil
}
