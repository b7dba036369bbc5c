package server

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/zabkit/zabkit/core/storage"
	"github.com/zabkit/zabkit/core/zab"
)

// Snapshots run beside the driver: the driver freezes the tree
// (znode.Tree.BeginSnapshot, O(1), under the write lock, between two
// applies) and a goroutine encodes the frozen tree, taking the tree's
// read lock only per batch of nodes, while the driver goes on applying.
//
// A snapshot to disk is encoded into the store's SaveSnapshot; the
// driver, once told it is durable, compacts zab's log to it (zab.Node is
// the driver's alone) and purges. At most one runs at a time.
//
// A snapshot for a learner (the leader's SNAP) is encoded into memory and
// handed to zab.Node.ProvideSnapshot when done; zab then sends the learner
// the log after the snapshot's zxid, so the log is not compacted past it
// meanwhile (compactTo defers the compaction).

// snapSizeLimit is ZooKeeper's default zookeeper.snapSizeLimitInKb (4 GiB):
// a snapshot is also due after between half of it and all of it of logged
// txn bytes (storage.SnapTrigger), if that comes before the count.
const snapSizeLimit = 4 << 30

// snapState is the driver's snapshot bookkeeping.
type snapState struct {
	snapTrig   *storage.SnapTrigger // when to snapshot: snapCount/2 plus a random part, as ZooKeeper
	snapDue    bool                 // the trigger fired while a snapshot was still being saved
	snapRun    *snapRun             // the snapshot being saved in the background, nil if none
	snapDone   chan snapResult      // its outcome (capacity 1: at most one runs)
	learnSnaps int                  // snapshots for learners being encoded
	learnDone  chan learnerSnap
	compactTo  int64 // a compaction deferred while learnSnaps > 0
}

// snapRun is a snapshot being saved.
type snapRun struct {
	zxid   int64
	cancel context.CancelFunc
	done   chan struct{} // closed after the result was sent
}

// snapResult is how a snapshot ended.
type snapResult struct {
	run *snapRun
	err error
}

// startSnapshot freezes the tree, whose last applied txn is zxid, and
// saves it in the background.
func (d *driverState) startSnapshot(zxid int64) {
	s := d.s
	s.treeMu.Lock()
	snap := s.tree.BeginSnapshot()
	s.treeMu.Unlock()
	ctx, cancel := context.WithCancel(s.life)
	run := &snapRun{zxid: zxid, cancel: cancel, done: make(chan struct{})}
	d.snapRun = run
	closeSnap := func() {
		s.treeMu.Lock()
		snap.Close()
		s.treeMu.Unlock()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(run.done)
		defer cancel()
		err := s.store.SaveSnapshot(ctx, zxid, func(w io.Writer) error {
			defer closeSnap() // stop the copy-on-write as soon as all is written
			return snap.Encode(ctx, pausable{w: w, s: s}, s.treeMu.RLocker())
		})
		closeSnap() // if the store failed before calling write
		if err != nil && ctx.Err() != nil {
			err = errSnapshotAbandoned
		}
		d.snapDone <- snapResult{run: run, err: err}
	}()
}

// errSnapshotAbandoned marks a snapshot cancelled by abandonSnapshot or by
// shutdown.
var errSnapshotAbandoned = errors.New("server: snapshot abandoned")

// finishSnapshot handles the end of the background snapshot: once it is
// durable, zab may drop the log it covers.
func (d *driverState) finishSnapshot(r snapResult) error {
	s := d.s
	if d.snapRun == r.run {
		d.snapRun = nil
	}
	if errors.Is(r.err, errSnapshotAbandoned) {
		s.log.Debug("snapshot abandoned", "zxid", zab.Zxid(r.run.zxid))
		return nil
	}
	if r.err != nil {
		return r.err
	}
	d.compact(r.run.zxid)
	if s.cfg.PurgeInterval > 0 {
		if err := s.store.Purge(s.cfg.SnapRetainCount); err != nil {
			s.log.Warn("purge failed", "err", err)
		}
	}
	s.log.Info("snapshot taken", "zxid", zab.Zxid(r.run.zxid))
	return nil
}

// abandonSnapshot cancels the background snapshot, if any, and waits for
// it to end (before the tree it froze is replaced by one from the leader;
// a snapshot already durable stays, it is a valid committed state).
func (d *driverState) abandonSnapshot() {
	run := d.snapRun
	if run == nil {
		return
	}
	run.cancel()
	<-run.done
	d.snapRun = nil
	r := <-d.snapDone
	if r.err != nil && !errors.Is(r.err, errSnapshotAbandoned) {
		d.s.log.Warn("snapshot failed", "zxid", zab.Zxid(r.run.zxid), "err", r.err)
	}
}

// compact drops zab's log up to zxid, a durable snapshot, unless a
// learner's snapshot being encoded still needs the log after an older
// zxid: then it waits for the last of those.
func (d *driverState) compact(zxid int64) {
	if d.learnSnaps > 0 {
		d.compactTo = max(d.compactTo, zxid)
		return
	}
	if err := d.s.node.Compact(zab.Zxid(zxid)); err != nil {
		d.s.log.Debug("compact deferred", "err", err)
	}
}

// learnerSnap is a snapshot encoded for a learner.
type learnerSnap struct {
	to   uint64
	zxid int64
	data []byte
	err  error
}

// startLearnerSnapshot freezes the tree for learner to and encodes it in
// the background; provideSnapshot hands it to zab.
func (d *driverState) startLearnerSnapshot(to uint64) {
	s := d.s
	s.treeMu.Lock()
	snap := s.tree.BeginSnapshot()
	s.treeMu.Unlock()
	d.learnSnaps++
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		var buf bytes.Buffer
		err := snap.Encode(s.life, pausable{w: &buf, s: s}, s.treeMu.RLocker())
		s.treeMu.Lock()
		snap.Close()
		s.treeMu.Unlock()
		select {
		case d.learnDone <- learnerSnap{to: to, zxid: snap.Zxid(), data: buf.Bytes(), err: err}:
		case <-s.stop:
		}
	}()
}

// provideSnapshot passes a learner's snapshot to zab (which refuses it if
// the learner no longer waits for one, or this server no longer leads),
// then runs a compaction deferred for it.
func (d *driverState) provideSnapshot(r learnerSnap) {
	s := d.s
	d.learnSnaps--
	if r.err != nil {
		// Encoding into memory fails only when cancelled (shutdown).
		s.log.Warn("snapshot for learner failed", "to", r.to, "err", r.err)
	} else if err := s.node.ProvideSnapshot(r.to, zab.Snapshot{Zxid: zab.Zxid(r.zxid), Data: r.data}); err != nil {
		s.log.Warn("snapshot for learner refused", "to", r.to, "err", err)
	}
	if d.learnSnaps == 0 && d.compactTo != 0 {
		z := d.compactTo
		d.compactTo = 0
		d.compact(z)
	}
}

// pausable stops a snapshot's output while the server is paused (Pause
// is SIGSTOP), between batches, when Encode holds no lock.
type pausable struct {
	w io.Writer
	s *Server
}

func (p pausable) Write(b []byte) (int, error) {
	if !p.s.gate.wait(p.s.stop) {
		return 0, ErrClosed
	}
	return p.w.Write(b)
}
