package client

import (
	"context"
	"net"
	"testing"

	"github.com/zabkit/zabkit/wire"
)

// newOfflineConn returns a Conn with no goroutines, enough to feed frames
// to a connection's handleFrame.
func newOfflineConn() *Conn {
	c := &Conn{
		opts:    defaultOptions(),
		state:   StateConnected,
		qwake:   make(chan struct{}, 1),
		watches: newWatchManager(),
		done:    make(chan struct{}),
		stop:    make(chan struct{}),
		runDone: make(chan struct{}),
		chroot:  "/root",
	}
	c.logger = c.opts.logger
	c.closeCtx, c.closeNow = context.WithCancel(context.Background())
	return c
}

// FuzzHandleFrame feeds arbitrary server frames to the receive path, with
// one pending request of a kind chosen by the first byte: whatever the
// bytes, the client must not panic, and the request must be completed or
// left pending, never half-done.
func FuzzHandleFrame(f *testing.F) {
	reply := func(xid int32, code wire.Code, body wire.Record) []byte {
		b := wire.Marshal(&wire.ReplyHeader{Xid: xid, Zxid: 5, Err: code})
		if body != nil {
			b = wire.Append(b, body)
		}
		return b
	}
	st := wire.Stat{Czxid: 1, DataLength: 3}
	f.Add(byte(0), reply(1, 0, &wire.GetDataResponse{Data: []byte("abc"), Stat: st}))
	f.Add(byte(1), reply(1, wire.CodeNoNode, nil))
	f.Add(byte(1), reply(1, 0, &wire.ExistsResponse{Stat: st}))
	f.Add(byte(2), reply(1, 0, &wire.MultiResponse{Results: []wire.MultiResult{
		{Type: wire.OpCreate2, Response: &wire.Create2Response{Path: "/root/a", Stat: st}},
		{Type: wire.OpError, Err: wire.CodeBadVersion}}}))
	f.Add(byte(3), reply(1, 0, &wire.GetChildren2Response{Children: []string{"a", "b"}, Stat: st}))
	f.Add(byte(4), reply(1, 0, &wire.WhoAmIResponse{ClientInfo: []wire.ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}}}))
	f.Add(byte(0), reply(wire.XidNotification, 0, &wire.WatcherEvent{Type: wire.EventNodeDataChanged, Path: "/root/a"}))
	f.Add(byte(0), reply(wire.XidAuth, wire.CodeAuthFailed, nil))
	f.Add(byte(0), reply(wire.XidPing, 0, nil))
	f.Add(byte(0), reply(7, 0, nil))
	f.Add(byte(0), []byte{1, 2})
	f.Fuzz(func(t *testing.T, kind byte, frame []byte) {
		c := newOfflineConn()
		defer c.closeNow()
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		ln := &link{session: c, nc: a, dead: make(chan struct{})}
		r := &request{xid: 1, done: make(chan struct{})}
		switch kind % 5 {
		case 0:
			r.op, r.resp = wire.OpGetData, &wire.GetDataResponse{}
			r.watch = &watchReg{kind: watchData, path: "/root/a", ch: make(chan Event, 1)}
		case 1:
			r.op, r.resp = wire.OpExists, &wire.ExistsResponse{}
			r.watch = &watchReg{kind: watchExist, path: "/root/a", ch: make(chan Event, 1)}
		case 2:
			r.op, r.resp = wire.OpMulti, &wire.MultiResponse{}
		case 3:
			r.op, r.resp = wire.OpGetChildren2, &wire.GetChildren2Response{}
			r.watch = &watchReg{kind: watchChild, path: "/root", ch: make(chan Event, 1)}
		case 4:
			r.op, r.resp = wire.OpWhoAmI, &wire.WhoAmIResponse{}
		}
		ln.pending.push(r)
		ln.auths.push(&request{op: wire.OpAuth, xid: wire.XidAuth, done: make(chan struct{})})
		_ = ln.handleFrame(frame)
		// Fire whatever watches were registered, then end the session.
		c.watches.trigger(wire.EventNodeDeleted, "/root/a", "/a")
		c.watches.trigger(wire.EventNodeDeleted, "/root", "/")
		c.terminate(ErrClosed, StateClosed)
		ln.pending.failAll(ErrClosed)
		<-r.done
	})
}
