package server

// This file owns applying committed txns: the tree, the session tracker
// and the watches they fire, the answer to the client that sent the txn,
// and the trigger that starts a snapshot (snapshot.go saves it).

import (
	"time"

	"github.com/zabkit/zabkit/core/zab"
	"github.com/zabkit/zabkit/core/znode"
	"github.com/zabkit/zabkit/wire"
)

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
			d.sess.created(h.ClientID, time.Duration(r.TimeOut)*time.Millisecond, time.Now())
		}
	case wire.OpCloseSession:
		d.sess.closed(h.ClientID)
	}
	if o.Server == s.cfg.ID && o.Conn != 0 {
		if c := s.connByID(o.Conn); c != nil {
			c.committed(txn, res, t0)
		}
	}
	if h.Type == wire.OpCloseSession {
		s.closeSessionConns(h.ClientID, o)
	}
	d.snapshotTrigger(e)
	return nil
}

// snapshotTrigger counts an applied entry and starts a snapshot when
// storage.SnapTrigger says one is due.
func (d *driverState) snapshotTrigger(e zab.Entry) {
	if d.snapTrig.Add(len(e.Data)) {
		d.snapDue = true
	}
	if d.snapDue && d.snapRun == nil {
		// A trigger while a snapshot is still being saved waits for it:
		// the next apply after it finishes starts the next one.
		d.snapDue = false
		d.startSnapshot(int64(e.Zxid))
	}
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
