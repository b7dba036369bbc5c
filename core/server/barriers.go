package server

// This file owns read barriers: a client's sync is a zab read barrier;
// one that fails because the leader changed is retried once this server
// serves again.

import (
	"time"

	"github.com/zabkit/zabkit/core/zab"
	"github.com/zabkit/zabkit/wire"
)

type barrier struct {
	c    *conn
	xid  int32
	path string
	at   time.Time
}

// barriers are the read barriers of the driver.
type barriers struct {
	pending map[uint64]barrier // by zab barrier id
	next    uint64
	retry   []barrier // to start again once serving
}

// startBarrier begins a linearizable sync.
func (d *driverState) startBarrier(b barrier) {
	bs := &d.barriers
	bs.next++
	id := bs.next
	if err := d.s.node.ReadBarrier(id); err != nil {
		bs.retry = append(bs.retry, b)
		return
	}
	if bs.pending == nil {
		bs.pending = map[uint64]barrier{}
	}
	bs.pending[id] = b
}

// finishBarrier answers a barrier zab completed (after the Ready's
// committed entries were applied) or retries one zab aborted.
func (d *driverState) finishBarrier(r zab.ReadState) {
	bs := &d.barriers
	b, ok := bs.pending[r.ID]
	if !ok {
		return
	}
	delete(bs.pending, r.ID)
	if r.Err != nil {
		bs.retry = append(bs.retry, b)
		return
	}
	b.c.complete(b.xid, wire.CodeOK, &wire.SyncResponse{Path: b.path}, d.s.applied.Load(), b.at)
}

// retryBarriers starts again the barriers that found no leader.
func (d *driverState) retryBarriers() {
	bs := d.barriers.retry
	d.barriers.retry = nil
	for _, b := range bs {
		d.startBarrier(b)
	}
}

// failBarriers drops every barrier when this server leaves the broadcast
// phase: their connections are closed.
func (d *driverState) failBarriers() {
	d.barriers.pending = map[uint64]barrier{}
	d.barriers.retry = nil
}
