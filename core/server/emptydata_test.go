package server

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/zabkit/zabkit/wire"
)

// Empty data is not null: ZooKeeper keeps a znode's byte[0] and null
// data apart (getData answers length 0 and length -1), and so must every
// path a node's data takes here: prep and apply, the tree, snapshots, the
// log, and a follower's SNAP or DIFF sync.

// rawCall sends one request on r and returns the reply's error code and
// body (skipping watch events).
func rawCall(r *rawConn, xid int32, op wire.Op, req wire.Record) (wire.Code, []byte) {
	r.t.Helper()
	recs := []wire.Record{&wire.RequestHeader{Xid: xid, Op: op}}
	if req != nil {
		recs = append(recs, req)
	}
	r.send(recs...)
	h, body, err := r.reply(xid)
	if err != nil {
		r.t.Fatalf("op %v: %v", op, err)
	}
	return h.Err, body
}

// TestEmptyDataIsNotNullOnTheWire: a getData reply carries length -1 for a
// node created or set with null data and length 0 for one created or set
// with empty data, whichever op made it (create, create2, createContainer,
// createTTL, setData, the same inside a multi); stat.dataLength is 0 for
// both; a multiRead's getData results keep them apart too; the reserved
// nodes have empty data, as in ZooKeeper's DataTree. Checked against
// ZooKeeper 3.8 by internal/conformance's empty-vs-null-data check.
func TestEmptyDataIsNotNullOnTheWire(t *testing.T) {
	tc := newCluster(t, 1, 0, false)
	r, _ := newSession(t, tc.connect())
	xid := int32(0)
	call := func(op wire.Op, req wire.Record) (wire.Code, []byte) {
		t.Helper()
		xid++
		return rawCall(r, xid, op, req)
	}
	must := func(op wire.Op, req wire.Record) {
		t.Helper()
		if code, _ := call(op, req); code != wire.CodeOK {
			t.Fatalf("op %v %+v: %v", op, req, code)
		}
	}
	acl := []wire.ACL{{Perms: wire.PermAll, ID: wire.ID{Scheme: "world", ID: "anyone"}}}
	empty := []byte{}
	create := func(op wire.Op, p string, data []byte, mode wire.CreateMode) {
		t.Helper()
		if op == wire.OpCreateTTL {
			must(op, &wire.CreateTTLRequest{Path: p, Data: data, ACL: acl, Flags: int32(mode), TTL: 3_600_000})
			return
		}
		must(op, &wire.CreateRequest{Path: p, Data: data, ACL: acl, Flags: int32(mode)})
	}
	want := map[string]int32{} // path -> the getData reply's length prefix
	for _, c := range []struct {
		op   wire.Op
		mode wire.CreateMode
	}{
		{wire.OpCreate, wire.ModePersistent},
		{wire.OpCreate2, wire.ModePersistent},
		{wire.OpCreate, wire.ModeEphemeral},
		{wire.OpCreateContainer, wire.ModeContainer},
		{wire.OpCreateTTL, wire.ModePersistentWithTTL},
	} {
		p := fmt.Sprintf("/%v-%d", c.op, c.mode)
		create(c.op, p+"-null", nil, c.mode)
		create(c.op, p+"-empty", empty, c.mode)
		want[p+"-null"], want[p+"-empty"] = -1, 0
	}
	for _, c := range []struct {
		name      string
		from, set []byte
		want      int32
	}{
		{"data-set-null", []byte("x"), nil, -1},
		{"data-set-empty", []byte("x"), empty, 0},
		{"null-set-empty", nil, empty, 0},
		{"empty-set-null", empty, nil, -1},
	} {
		create(wire.OpCreate, "/"+c.name, c.from, wire.ModePersistent)
		must(wire.OpSetData, &wire.SetDataRequest{Path: "/" + c.name, Data: c.set, Version: -1})
		want["/"+c.name] = c.want
	}
	must(wire.OpMulti, &wire.MultiRequest{Ops: []wire.MultiOp{
		{Type: wire.OpCreate, Request: &wire.CreateRequest{Path: "/multi-null", ACL: acl}},
		{Type: wire.OpCreate2, Request: &wire.CreateRequest{Path: "/multi2-empty", Data: empty, ACL: acl}},
		{Type: wire.OpCreate, Request: &wire.CreateRequest{Path: "/multi-empty", Data: empty, ACL: acl}},
		{Type: wire.OpCreate, Request: &wire.CreateRequest{Path: "/multi-set-null", Data: []byte("y"), ACL: acl}},
		{Type: wire.OpSetData, Request: &wire.SetDataRequest{Path: "/multi-set-null", Version: -1}},
		{Type: wire.OpCreate, Request: &wire.CreateRequest{Path: "/multi-set-empty", Data: []byte("y"), ACL: acl}},
		{Type: wire.OpSetData, Request: &wire.SetDataRequest{Path: "/multi-set-empty", Data: empty, Version: -1}},
	}})
	want["/multi-null"], want["/multi2-empty"], want["/multi-empty"] = -1, 0, 0
	want["/multi-set-null"], want["/multi-set-empty"] = -1, 0
	for _, p := range []string{"/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"} {
		want[p] = 0
	}

	var reads []wire.MultiOp
	var paths []string
	for p, n := range want {
		code, body := call(wire.OpGetData, &wire.GetDataRequest{Path: p})
		if code != wire.CodeOK || len(body) < 4 {
			t.Fatalf("getData %s: %v, %d bytes", p, code, len(body))
		}
		if got := int32(binary.BigEndian.Uint32(body)); got != n {
			t.Errorf("getData %s: data length prefix %d on the wire, want %d", p, got, n)
		}
		var resp wire.GetDataResponse
		if err := wire.Unmarshal(body, &resp); err != nil || resp.Stat.DataLength != 0 {
			t.Errorf("getData %s: %v, stat.dataLength %d, want 0", p, err, resp.Stat.DataLength)
		}
		reads = append(reads, wire.MultiOp{Type: wire.OpGetData, Request: &wire.GetDataRequest{Path: p}})
		paths = append(paths, p)
	}
	code, body := call(wire.OpMultiRead, &wire.MultiRequest{Ops: reads})
	var mr wire.MultiResponse
	if err := wire.Unmarshal(body, &mr); code != wire.CodeOK || err != nil || len(mr.Results) != len(paths) {
		t.Fatalf("multiRead: %v, %v, %d results", code, err, len(mr.Results))
	}
	for i, res := range mr.Results {
		gd, ok := res.Response.(*wire.GetDataResponse)
		if !ok {
			t.Errorf("multiRead %s: result %+v", paths[i], res)
			continue
		}
		// wire decodes length -1 as nil and 0 as a non-nil empty slice.
		if null := gd.Data == nil; null != (want[paths[i]] == -1) || len(gd.Data) != 0 {
			t.Errorf("multiRead %s: data %#v, want length %d", paths[i], gd.Data, want[paths[i]])
		}
	}
}
