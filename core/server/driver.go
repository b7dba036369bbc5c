package server

// This file owns the driver's Ready loop: runDriver takes one event at a
// time (a tick, a peer message, a command of a client connection, the end
// of an fsync or of a snapshot), honours a pause in one place, and then
// fulfils the zab node's Ready: persist, send, apply. What a Ready's parts
// lead to lives beside it: apply.go (committed txns, the snapshot
// trigger), barriers.go (read barriers), forward.go (requests to and on
// the leader, ticks), sessions.go (the session tracker), role.go (role
// changes and their logging), snapshot.go (background snapshots).

import (
	"bytes"
	"context"
	"errors"
	"io"
	"time"

	"github.com/zabkit/zabkit/core/storage"
	"github.com/zabkit/zabkit/core/zab"
	"github.com/zabkit/zabkit/core/znode"
)

// driverState is what only the driver goroutine touches (but for the
// session tracker's touch queue, which has its own lock).
type driverState struct {
	s *Server
	roleState
	snapState
	sess     sessionTracker
	barriers barriers
	reaper   reaper
	waiting  [][]byte // forwards waiting for a leader, FIFO
	inflight *inflight
	syncDone chan error
}

func (d *driverState) init(s *Server) {
	d.s = s
	d.sess.init(s.cfg.TickTime)
	d.snapTrig = storage.NewSnapTrigger(s.cfg.SnapCount, snapSizeLimit, nil)
	d.syncDone = make(chan error, 1)
	d.snapDone = make(chan snapResult, 1)
	d.learnDone = make(chan learnerSnap)
	d.electStart = time.Now()
	d.reloadSessions()
}

func (s *Server) runDriver() {
	defer s.wg.Done()
	d := &s.d
	tick := time.NewTicker(s.zabTick)
	defer tick.Stop()
	recv := s.trans.Recv()
	for {
		var handle func() error
		select {
		case <-s.stop:
			return
		case <-tick.C:
			handle = func() error {
				s.node.Tick()
				d.onTick()
				return d.processReady()
			}
		case in, ok := <-recv:
			if !ok {
				recv = nil
				continue
			}
			handle = func() error {
				if in.Down {
					s.node.ReportUnreachable(in.From)
				} else if err := s.node.Step(in.Msg); err != nil {
					s.log.Debug("peer message refused", "from", in.From, "msg", in.Msg.String(), "err", err)
				} else if in.Msg.Type == zab.MsgNoSession {
					s.log.Info("the leader has no session for this server; looking for the leader again",
						"leader", in.From, "epoch", in.Msg.Epoch)
				}
				return d.processReady()
			}
		case f := <-s.cmds:
			handle = func() error { f(); return d.processReady() }
		case r := <-d.snapDone:
			handle = func() error { return d.finishSnapshot(r) }
		case r := <-d.learnDone:
			handle = func() error { d.provideSnapshot(r); return d.processReady() }
		case err := <-d.syncDone:
			handle = func() error { return d.finishInflight(err) }
		}
		// The one place a pause is honoured: an event received while
		// paused waits here, so nothing is processed until Resume.
		if !s.gate.wait(s.stop) {
			return
		}
		if err := handle(); err != nil {
			s.fatal(err)
			return
		}
	}
}

// fatal stops the server after a storage failure and waits for the stop:
// the driver processes nothing more.
func (s *Server) fatal(err error) {
	if errors.Is(err, storage.ErrClosed) {
		// The store was closed under the server (a crash injected by its
		// owner, which stops the server next): nothing failed here.
		s.log.Info("storage closed; stopping", "err", err)
	} else {
		s.log.Error("storage failed; stopping", "err", err)
	}
	go s.Kill()
	<-s.stop
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
	for _, b := range rd.Replies {
		d.revalidated(b)
	}
	return nil
}

func (d *driverState) send(ms []zab.Message) {
	for _, m := range ms {
		d.s.trans.Send(m)
	}
}
