package server

// This file owns this server's role as the driver sees it after each
// Ready: leading, serving and epoch, what changes when they do (client
// connections closed, barriers failed, sessions given a new leader's
// timeout) and the log lines that report it.

import (
	"time"

	"github.com/zabkit/zabkit/core/zab"
)

// roleState is the driver's view of this server's role.
type roleState struct {
	leading    bool // established leader
	serving    bool
	epoch      uint32
	electStart time.Time
	syncMode   string // "SNAP" or "TRUNC" once this learner's sync installed a snapshot or truncated
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
		d.dropRevalidations()
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
		d.sess.lead(time.Now())
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
	if serving && len(d.barriers.retry) > 0 {
		d.retryBarriers()
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
