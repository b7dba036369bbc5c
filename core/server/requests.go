package server

import (
	"context"
	"strings"
	"time"

	"github.com/zabkit/zabkit/core/znode"
	"github.com/zabkit/zabkit/wire"
)

// handle processes one request frame; false closes the connection.
func (c *conn) handle(frame []byte) bool {
	s := c.s
	var h wire.RequestHeader
	body, err := wire.UnmarshalPrefix(frame, &h)
	if err != nil {
		s.log.Info("malformed request header; closing", "conn", c.id, "err", err)
		return false
	}
	now := time.Now()
	switch h.Op {
	case wire.OpPing:
		return c.enqueueAndDrain(&preq{xid: h.Xid, op: h.Op, kind: kindDone, done: true,
			frame: replyFrame(h.Xid, s.applied.Load(), wire.CodeOK, nil)})
	case wire.OpAuth:
		var a wire.AuthPacket
		if err := wire.Unmarshal(body, &a); err != nil {
			s.log.Info("malformed auth packet; closing", "conn", c.id, "err", err)
			return false
		}
		if a.Scheme != "digest" {
			c.enqueueAndDrain(&preq{xid: h.Xid, kind: kindDone, done: true,
				frame: replyFrame(h.Xid, 0, wire.CodeAuthFailed, nil)})
			c.closeAfterFlush()
			return false
		}
		c.addAuth(znode.DigestAuth(string(a.Auth), s.cfg.SuperDigest))
		return c.enqueueAndDrain(&preq{xid: h.Xid, kind: kindDone, done: true,
			frame: replyFrame(h.Xid, 0, wire.CodeOK, nil)})
	}
	rec, err := wire.NewRequest(h.Op)
	if err != nil || h.Op == wire.OpSASL {
		return c.enqueueAndDrain(&preq{xid: h.Xid, kind: kindDone, done: true,
			frame: replyFrame(h.Xid, s.applied.Load(), wire.CodeUnimplemented, nil)})
	}
	if err := wire.Unmarshal(body, rec); err != nil {
		s.log.Info("malformed request; closing", "conn", c.id, "op", h.Op, "err", err)
		return false
	}
	p := &preq{xid: h.Xid, op: h.Op, rec: rec, at: now}
	switch h.Op {
	case wire.OpCreate, wire.OpCreate2, wire.OpCreateContainer, wire.OpCreateTTL, wire.OpDelete,
		wire.OpSetData, wire.OpSetACL, wire.OpCheck, wire.OpMulti, wire.OpReconfig, wire.OpCloseSession:
		p.kind = kindWrite
		if !c.enqueue(p) {
			return false
		}
		w := writeReq{Origin: origin{s.cfg.ID, c.id}, Session: c.session.Load(), Cxid: h.Xid, Op: h.Op,
			Auth: c.authIDs(), Body: body}
		b := w.marshal()
		if s.do(context.Background(), func() { s.d.forward(b) }) != nil {
			return false
		}
	case wire.OpSync:
		p.kind = kindSync
		if !c.enqueue(p) {
			return false
		}
		path := rec.(*wire.SyncRequest).Path
		b := barrier{c: c, xid: h.Xid, path: path, at: now}
		if s.do(context.Background(), func() { s.d.startBarrier(b) }) != nil {
			return false
		}
	default:
		p.kind = kindRead
		if !c.enqueue(p) {
			return false
		}
	}
	c.drain()
	return true
}

func (c *conn) enqueueAndDrain(p *preq) bool {
	if !c.enqueue(p) {
		return false
	}
	c.drain()
	return true
}

// execRead answers a read from the local replica (with c.mu and the
// tree's read lock held).
func (c *conn) execRead(p *preq) []byte {
	s := c.s
	auth := c.authIDs()
	t := s.tree
	zxid := t.LastZxid()
	reply := func(code wire.Code, body wire.Record) []byte { return replyFrame(p.xid, zxid, code, body) }
	watcher := func(on bool) znode.Watcher {
		if on {
			return c
		}
		return nil
	}
	code := func(err error) wire.Code {
		if err == nil {
			return wire.CodeOK
		}
		if cd, ok := err.(wire.Code); ok {
			return cd
		}
		return wire.CodeSystemError
	}
	switch r := p.rec.(type) {
	case *wire.ExistsRequest:
		// As Apache ZooKeeper 3.8.4: READ is checked on an existing node.
		st, err := t.Exists(r.Path, auth, watcher(r.Watch))
		return reply(code(err), &wire.ExistsResponse{Stat: st})
	case *wire.GetDataRequest:
		d, st, err := t.GetData(r.Path, auth, watcher(r.Watch))
		return reply(code(err), &wire.GetDataResponse{Data: d, Stat: st})
	case *wire.GetChildrenRequest:
		k, _, err := t.Children(r.Path, auth, watcher(r.Watch))
		return reply(code(err), &wire.GetChildrenResponse{Children: k})
	case *wire.GetChildren2Request:
		k, st, err := t.Children(r.Path, auth, watcher(r.Watch))
		return reply(code(err), &wire.GetChildren2Response{Children: k, Stat: st})
	case *wire.GetACLRequest:
		acl, st, err := t.GetACL(r.Path, auth)
		return reply(code(err), &wire.GetACLResponse{ACL: acl, Stat: st})
	case *wire.GetAllChildrenNumberRequest:
		n, err := t.AllChildrenNumber(r.Path, auth)
		return reply(code(err), &wire.GetAllChildrenNumberResponse{TotalNumber: n})
	case *wire.GetEphemeralsRequest:
		return reply(wire.CodeOK, &wire.GetEphemeralsResponse{Ephemerals: t.Ephemerals(c.session.Load(), r.PrefixPath)})
	case *wire.MultiRequest: // multiRead
		resp := &wire.MultiResponse{Results: make([]wire.MultiResult, 0, len(r.Ops))}
		for _, op := range r.Ops {
			switch q := op.Request.(type) {
			case *wire.GetDataRequest:
				d, st, err := t.GetData(q.Path, auth, watcher(q.Watch))
				if err != nil {
					resp.Results = append(resp.Results, wire.MultiResult{Type: wire.OpError, Err: code(err)})
				} else {
					resp.Results = append(resp.Results, wire.MultiResult{Type: wire.OpGetData,
						Response: &wire.GetDataResponse{Data: d, Stat: st}})
				}
			case *wire.GetChildrenRequest:
				k, _, err := t.Children(q.Path, auth, watcher(q.Watch))
				if err != nil {
					resp.Results = append(resp.Results, wire.MultiResult{Type: wire.OpError, Err: code(err)})
				} else {
					resp.Results = append(resp.Results, wire.MultiResult{Type: wire.OpGetChildren,
						Response: &wire.GetChildrenResponse{Children: k}})
				}
			default:
				resp.Results = append(resp.Results, wire.MultiResult{Type: wire.OpError, Err: wire.CodeBadArguments})
			}
		}
		return reply(wire.CodeOK, resp)
	case *wire.SetWatches:
		evs, err := t.SetWatches(r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches, nil, nil, c)
		c.deliverOwn(evs)
		return reply(code(err), nil)
	case *wire.SetWatches2:
		evs, err := t.SetWatches(r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches,
			r.PersistentWatches, r.PersistentRecursiveWatches, c)
		c.deliverOwn(evs)
		return reply(code(err), nil)
	case *wire.AddWatchRequest:
		err := t.AddWatch(r.Path, wire.AddWatchMode(r.Mode), c)
		return reply(code(err), &wire.ErrorResponse{Err: wire.CodeOK})
	case *wire.RemoveWatchesRequest:
		return reply(code(t.RemoveWatches(r.Path, wire.WatcherType(r.Type), c)), nil)
	case *wire.CheckWatchesRequest:
		return reply(code(t.CheckWatches(r.Path, wire.WatcherType(r.Type), c)), nil)
	case *wire.Empty:
		if p.op == wire.OpWhoAmI {
			return reply(wire.CodeOK, &wire.WhoAmIResponse{ClientInfo: whoAmI(auth)})
		}
	}
	return reply(wire.CodeUnimplemented, nil)
}

// deliverOwn queues SetWatches' catch-up events ahead of its reply.
func (c *conn) deliverOwn(evs []znode.Event) {
	for _, ev := range evs {
		c.sendEvent(ev.Type, ev.Path)
	}
}

// whoAmI lists the session's identities as ZooKeeper does: the digest
// user name without its hash, other ids as they are.
func whoAmI(auth []wire.ID) []wire.ClientInfo {
	out := make([]wire.ClientInfo, 0, len(auth))
	for _, id := range auth {
		user := id.ID
		if id.Scheme == "digest" {
			user, _, _ = strings.Cut(id.ID, ":")
		}
		out = append(out, wire.ClientInfo{AuthScheme: id.Scheme, User: user})
	}
	return out
}
