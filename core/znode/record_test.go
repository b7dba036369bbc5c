package znode

import (
	"bufio"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zabkit/zabkit/wire"
)

// zkConn is a minimal raw ZooKeeper client used only to record the error
// table: it sends any request exactly as given (no client-side path
// checks) and reports watch events that arrive before each reply.
type zkConn struct {
	c       net.Conn
	r       *bufio.Reader
	xid     int32
	session int64
}

func dialZK(addr string) (*zkConn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	z := &zkConn{c: c, r: bufio.NewReader(c)}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := wire.WriteFrame(c, &wire.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16)}); err != nil {
		c.Close()
		return nil, err
	}
	b, err := wire.ReadFrame(z.r, nil, 0)
	if err != nil {
		c.Close()
		return nil, err
	}
	var resp wire.ConnectResponse
	if err := wire.Unmarshal(b, &resp); err != nil {
		c.Close()
		return nil, err
	}
	z.session = resp.SessionID
	return z, nil
}

// call sends one request and returns the events received before the reply,
// the reply's error code and its body.
func (z *zkConn) call(xid int32, op wire.Op, body wire.Record) (events []wire.WatcherEvent, code wire.Code, rest []byte, err error) {
	recs := []wire.Record{&wire.RequestHeader{Xid: xid, Op: op}}
	if body != nil {
		recs = append(recs, body)
	}
	if err := wire.WriteFrame(z.c, recs...); err != nil {
		return nil, 0, nil, err
	}
	for {
		b, err := wire.ReadFrame(z.r, nil, 0)
		if err != nil {
			return nil, 0, nil, err
		}
		var h wire.ReplyHeader
		rest, err := wire.UnmarshalPrefix(b, &h)
		if err != nil {
			return nil, 0, nil, err
		}
		if h.Xid == wire.XidNotification {
			var ev wire.WatcherEvent
			if err := wire.Unmarshal(rest, &ev); err != nil {
				return nil, 0, nil, err
			}
			events = append(events, ev)
			continue
		}
		if h.Xid != xid {
			return nil, 0, nil, fmt.Errorf("reply xid %d, want %d", h.Xid, xid)
		}
		return events, h.Err, rest, nil
	}
}

func (z *zkConn) do(op wire.Op, body wire.Record) ([]wire.WatcherEvent, wire.Code, []byte, error) {
	z.xid++
	return z.call(z.xid, op, body)
}

func (z *zkConn) close() {
	z.do(wire.OpCloseSession, nil)
	z.c.Close()
}

// prepareZK removes what a previous recording left under tableRoot (as the
// superuser, since cases leave nodes with restrictive ACLs) and creates
// tableRoot.
func prepareZK(t *testing.T, addr string) {
	z, err := dialZK(addr)
	if err != nil {
		t.Fatalf("connect to ZooKeeper at %s: %v", addr, err)
	}
	defer z.close()
	if _, code, _, err := z.call(wire.XidAuth, wire.OpAuth, &wire.AuthPacket{Scheme: "digest", Auth: []byte(superCreds)}); err != nil || code != wire.CodeOK {
		t.Fatalf("auth as super: %v %v", code, err)
	}
	var rm func(p string)
	rm = func(p string) {
		_, code, body, err := z.do(wire.OpGetChildren, &wire.GetChildrenRequest{Path: p})
		if err != nil {
			t.Fatal(err)
		}
		if code == wire.CodeOK {
			var resp wire.GetChildrenResponse
			if err := wire.Unmarshal(body, &resp); err != nil {
				t.Fatal(err)
			}
			for _, c := range resp.Children {
				rm(p + "/" + c)
			}
		}
		z.do(wire.OpDelete, &wire.DeleteRequest{Path: p, Version: -1})
	}
	rm(tableRoot)
	rm(QuotaPath + tableRoot)
	for _, p := range []string{"/zookeeper/znt-x"} {
		z.do(wire.OpDelete, &wire.DeleteRequest{Path: p, Version: -1})
	}
	if _, code, _, err := z.do(wire.OpCreate, &wire.CreateRequest{Path: tableRoot, ACL: open}); err != nil || code != wire.CodeOK {
		t.Fatalf("create %s: %v %v", tableRoot, code, err)
	}
}

// zkDriver runs the table against a real ZooKeeper, with tableSessions
// sessions per case. Events sent to the other sessions are collected by a
// harmless request on each of them after every step: ZooKeeper queues an
// event on a connection before it answers any later request there.
type zkDriver struct {
	t      *testing.T
	addr   string
	conns  []*zkConn
	closed []bool
	base   string
}

func (d *zkDriver) begin(base string) error {
	d.base = base
	for i := 0; i < tableSessions; i++ {
		z, err := dialZK(d.addr)
		if err != nil {
			return err
		}
		d.conns = append(d.conns, z)
		d.closed = append(d.closed, false)
	}
	_, code, _, err := d.conns[0].do(wire.OpCreate, &wire.CreateRequest{Path: base, ACL: open})
	if err != nil {
		return err
	}
	if code != wire.CodeOK {
		return fmt.Errorf("create %s: %v", base, code)
	}
	return nil
}

func (d *zkDriver) end() {
	for i, z := range d.conns {
		if !d.closed[i] {
			z.close()
		}
	}
}

func (d *zkDriver) sessions() []int64 {
	ids := make([]int64, len(d.conns))
	for i, z := range d.conns {
		ids[i] = z.session
	}
	return ids
}

func (d *zkDriver) run(s step) []string {
	p := expand(d.base, s.path)
	z := d.conns[s.sess]
	var (
		evs  []wire.WatcherEvent
		code wire.Code
		body []byte
		err  error
	)
	switch s.op {
	case wire.OpAuth:
		evs, code, _, err = z.call(wire.XidAuth, wire.OpAuth, &wire.AuthPacket{Scheme: "digest", Auth: []byte(s.creds)})
	case wire.OpGetData:
		evs, code, body, err = z.do(s.op, &wire.GetDataRequest{Path: p, Watch: s.watch})
	case wire.OpExists:
		evs, code, body, err = z.do(s.op, &wire.ExistsRequest{Path: p, Watch: s.watch})
	case wire.OpGetChildren2:
		evs, code, body, err = z.do(s.op, &wire.GetChildren2Request{Path: p, Watch: s.watch})
	case wire.OpGetACL:
		evs, code, body, err = z.do(s.op, &wire.GetACLRequest{Path: p})
	case wire.OpGetAllChildrenNumber:
		evs, code, body, err = z.do(s.op, &wire.GetAllChildrenNumberRequest{Path: p})
	case wire.OpGetEphemerals:
		evs, code, body, err = z.do(s.op, &wire.GetEphemeralsRequest{PrefixPath: p})
	case wire.OpAddWatch:
		evs, code, body, err = z.do(s.op, &wire.AddWatchRequest{Path: p, Mode: int32(s.mode)})
	case wire.OpRemoveWatches:
		evs, code, body, err = z.do(s.op, &wire.RemoveWatchesRequest{Path: p, Type: int32(s.wtype)})
	case wire.OpCheckWatches:
		evs, code, body, err = z.do(s.op, &wire.CheckWatchesRequest{Path: p, Type: int32(s.wtype)})
	case wire.OpCloseSession:
		evs, code, _, err = z.do(s.op, nil)
		z.c.Close()
		d.closed[s.sess] = true
	default:
		op, rec := writeRecord(d.base, s)
		evs, code, body, err = z.do(op, rec)
	}
	if err != nil {
		d.t.Fatalf("%s: %v", stepLine(d.base, s), err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("event %v %s", e.Type, e.Path))
	}
	if s.op == wire.OpCloseSession {
		out = append(out, code.String())
	} else {
		out = append(out, describeReply(d.t, d.base, s, code, body, d.sessions()))
	}
	for j, other := range d.conns {
		if j == s.sess || d.closed[j] {
			continue
		}
		evs, _, _, err := other.do(wire.OpExists, &wire.ExistsRequest{Path: "/"})
		if err != nil {
			d.t.Fatalf("flush session %d: %v", j, err)
		}
		for _, e := range evs {
			out = append(out, fmt.Sprintf("s%d event %v %s", j, e.Type, e.Path))
		}
	}
	return out
}

// describeReply decodes a reply body to the request of step s and
// describes it; the tree driver feeds it Result.Reply encoded with wire, so
// both drivers are compared at the level of the bytes a client receives.
func describeReply(t *testing.T, base string, s step, code wire.Code, body []byte, sess []int64) string {
	if code != wire.CodeOK {
		return errLine(code)
	}
	must := func(r wire.Record) {
		if err := wire.Unmarshal(body, r); err != nil {
			t.Fatalf("%s: decode %T: %v", stepLine(base, s), r, err)
		}
	}
	switch s.op {
	case wire.OpAuth, wire.OpAddWatch, wire.OpRemoveWatches, wire.OpCheckWatches, wire.OpDelete, wire.OpCheck:
		if len(body) != 0 && s.op != wire.OpAddWatch {
			t.Fatalf("%s: unexpected body %x", stepLine(base, s), body)
		}
		return "OK"
	case wire.OpGetData:
		var r wire.GetDataResponse
		must(&r)
		return fmt.Sprintf("OK data=%q %s", r.Data, statLine(r.Stat, sess))
	case wire.OpExists:
		var r wire.ExistsResponse
		must(&r)
		return "OK " + statLine(r.Stat, sess)
	case wire.OpGetChildren2:
		var r wire.GetChildren2Response
		must(&r)
		names := slices.Clone(r.Children)
		if names == nil {
			names = []string{}
		}
		slices.Sort(names)
		return fmt.Sprintf("OK %q %s", names, statLine(r.Stat, sess))
	case wire.OpGetACL:
		var r wire.GetACLResponse
		must(&r)
		return fmt.Sprintf("OK %s av=%d", aclLine(r.ACL), r.Stat.Aversion)
	case wire.OpGetAllChildrenNumber:
		var r wire.GetAllChildrenNumberResponse
		must(&r)
		return fmt.Sprintf("OK %d", r.TotalNumber)
	case wire.OpGetEphemerals:
		var r wire.GetEphemeralsResponse
		must(&r)
		names := slices.Clone(r.Ephemerals)
		if names == nil {
			names = []string{}
		}
		slices.Sort(names)
		return fmt.Sprintf("OK %q", names)
	case wire.OpCreate:
		var r wire.CreateResponse
		must(&r)
		return "OK " + r.Path
	case wire.OpCreate2, wire.OpCreateTTL, wire.OpCreateContainer:
		var r wire.Create2Response
		must(&r)
		return fmt.Sprintf("OK %s %s", r.Path, statLine(r.Stat, sess))
	case wire.OpSetData:
		var r wire.SetDataResponse
		must(&r)
		return "OK " + statLine(r.Stat, sess)
	case wire.OpSetACL:
		var r wire.SetACLResponse
		must(&r)
		return "OK " + statLine(r.Stat, sess)
	case wire.OpMulti:
		var r wire.MultiResponse
		must(&r)
		parts := make([]string, len(r.Results))
		for i, res := range r.Results {
			var path string
			var st *wire.Stat
			switch resp := res.Response.(type) {
			case *wire.CreateResponse:
				path = resp.Path
			case *wire.Create2Response:
				path, st = resp.Path, &resp.Stat
			case *wire.SetDataResponse:
				st = &resp.Stat
			}
			parts[i] = multiPart(res.Type, res.Err, path, st, sess)
		}
		return "MULTI [" + strings.Join(parts, ", ") + "]"
	}
	return "OK ?"
}
