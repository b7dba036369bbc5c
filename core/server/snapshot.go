package server

import (
	"context"
	"errors"
	"io"

	"github.com/zabkit/zabkit/core/zab"
)

// Snapshots to disk run beside the driver: the driver freezes the tree
// (znode.Tree.BeginSnapshot, O(1), under the write lock, between two
// applies), one goroutine encodes the frozen tree into the store's
// SaveSnapshot, taking the tree's read lock only per batch of nodes, and
// the driver, once told the snapshot is durable, compacts zab's log to it
// (zab.Node is the driver's alone) and purges. At most one runs at a time.

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
			return snap.Encode(ctx, w, s.treeMu.RLocker())
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
	if err := s.node.Compact(zab.Zxid(r.run.zxid)); err != nil {
		s.log.Debug("compact deferred", "err", err)
	}
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
