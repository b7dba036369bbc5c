package server_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/wire"
)

// Empty data is not null: ZooKeeper keeps a znode's byte[0] and null
// data apart (getData answers length 0 and length -1), and so must every
// path a node's data takes here: prep and apply, the tree, snapshots, the
// log, and a follower's SNAP or DIFF sync.

// TestEmptyDataIsNotNullOnTheWire: a getData reply carries length -1 for a
// node created or set with null data and length 0 for one created or set
// with empty data, whichever op made it (create, create2, createContainer,
// createTTL, setData, the same inside a multi); stat.dataLength is 0 for
// both; a multiRead's getData results keep them apart too; the reserved
// nodes have empty data, as in ZooKeeper's DataTree. Checked against
// ZooKeeper 3.8 by internal/conformance's empty-vs-null-data check.
func TestEmptyDataIsNotNullOnTheWire(t *testing.T) {
	e := single(t)
	r, _ := server.NewRawSession(t, e.Servers())
	xid := int32(0)
	call := func(op wire.Op, req wire.Record) (wire.Code, []byte) {
		t.Helper()
		xid++
		return r.Call(xid, op, req)
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

// nullEmptyNodes writes, through c, nodes under prefix whose data is null
// or empty by each way a client can make them, and returns, per path,
// whether its data is null.
func nullEmptyNodes(ctx context.Context, t *testing.T, c *client.Conn, prefix string) map[string]bool {
	t.Helper()
	want := map[string]bool{}
	mk := func(name string, data []byte, null bool) {
		t.Helper()
		p := prefix + "/" + name
		if _, _, err := c.Create(ctx, p, data, client.ModePersistent, nil); err != nil {
			t.Fatalf("create %s: %v", p, err)
		}
		want[p] = null
	}
	if _, _, err := c.Create(ctx, prefix, []byte("p"), client.ModePersistent, nil); err != nil {
		t.Fatalf("create %s: %v", prefix, err)
	}
	mk("create-null", nil, true)
	mk("create-empty", []byte{}, false)
	mk("set-null", []byte("x"), true)
	mk("set-empty", []byte("x"), false)
	mk("null-set-empty", nil, false)
	for p, data := range map[string][]byte{"set-null": nil, "set-empty": {}, "null-set-empty": {}} {
		if _, err := c.Set(ctx, prefix+"/"+p, data, client.AnyVersion); err != nil {
			t.Fatalf("set %s: %v", p, err)
		}
	}
	for _, ttl := range []struct {
		name string
		data []byte
	}{{"ttl-null", nil}, {"ttl-empty", []byte{}}} {
		p := prefix + "/" + ttl.name
		if _, _, err := c.CreateTTL(ctx, p, ttl.data, client.ModePersistentWithTTL, nil, time.Hour); err != nil {
			t.Fatalf("createTTL %s: %v", p, err)
		}
		want[p] = ttl.data == nil
	}
	if _, err := c.Multi(ctx,
		client.CreateOp{Path: prefix + "/multi-null", Mode: client.ModePersistent},
		client.CreateOp{Path: prefix + "/multi-empty", Data: []byte{}, Mode: client.ModePersistent},
		client.CreateOp{Path: prefix + "/multi-set-null", Data: []byte("y"), Mode: client.ModePersistent},
		client.SetOp{Path: prefix + "/multi-set-null", Version: client.AnyVersion},
		client.CreateOp{Path: prefix + "/multi-set-empty", Data: []byte("y"), Mode: client.ModePersistent},
		client.SetOp{Path: prefix + "/multi-set-empty", Data: []byte{}, Version: client.AnyVersion},
	); err != nil {
		t.Fatalf("multi: %v", err)
	}
	want[prefix+"/multi-null"], want[prefix+"/multi-empty"] = true, false
	want[prefix+"/multi-set-null"], want[prefix+"/multi-set-empty"] = true, false
	return want
}

// checkNullEmpty reads every node of want from the one server at addr
// (after a sync), by getData and by multiRead, and checks its data is nil
// (null) or a non-nil empty slice (empty) with stat.dataLength 0.
func checkNullEmpty(ctx context.Context, t *testing.T, who, addr string, want map[string]bool) {
	t.Helper()
	c := dialClient(t, addr)
	if err := c.Sync(ctx, "/"); err != nil {
		t.Fatalf("%s: sync: %v", who, err)
	}
	var ops []client.ReadOp
	var paths []string
	for p, null := range want {
		data, st, err := c.Get(ctx, p)
		if err != nil {
			t.Fatalf("%s: get %s: %v", who, p, err)
		}
		if (data == nil) != null || len(data) != 0 || st.DataLength != 0 {
			t.Errorf("%s: get %s = %#v (dataLength %d), want null=%v", who, p, data, st.DataLength, null)
		}
		ops = append(ops, client.GetOp{Path: p})
		paths = append(paths, p)
	}
	res, err := c.MultiRead(ctx, ops...)
	if err != nil {
		t.Fatalf("%s: multiRead: %v", who, err)
	}
	for i, r := range res {
		if r.Err != nil || (r.Data == nil) != want[paths[i]] || len(r.Data) != 0 {
			t.Errorf("%s: multiRead %s = %#v, %v, want null=%v", who, paths[i], r.Data, r.Err, want[paths[i]])
		}
	}
	_ = c.Close(ctx)
}

// checkNullEmptyEverywhere runs checkNullEmpty against every running server.
func checkNullEmptyEverywhere(ctx context.Context, t *testing.T, e *ensemble.Ensemble, want map[string]bool) {
	t.Helper()
	for i := range e.Size() {
		if e.Server(i) != nil {
			checkNullEmpty(ctx, t, fmt.Sprintf("server %d", i+1), e.ClientAddr(i), want)
		}
	}
}

// TestEmptyDataSurvivesRestartFromDisk: on on-disk storage, null and
// empty data stay apart when every server restarts, whether it rebuilds
// its tree from the log alone (log replay) or from a snapshot taken after
// the nodes were written (plus the log after it).
func TestEmptyDataSurvivesRestartFromDisk(t *testing.T) {
	for _, tt := range []struct {
		name     string
		snapshot bool
	}{{"log", false}, {"snapshot", true}} {
		t.Run(tt.name, func(t *testing.T) {
			logs := server.NewLogRecorder()
			snapCount := 100000
			if tt.snapshot {
				snapCount = 20
			}
			e := startEnsemble(t, ensemble.WithDir(t.TempDir()), withSnapCount(snapCount), withLogs(logs))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c := dialClient(t, e.Servers())
			want := nullEmptyNodes(ctx, t, c, "/d")
			if tt.snapshot {
				_, last, err := c.Exists(ctx, "/d/multi-set-empty")
				if err != nil {
					t.Fatal(err)
				}
				// Every server snapshots past the nodes (due within
				// SnapCount txns each; saved in the background).
				for i := 0; ; i++ {
					done := true
					for id := 1; id <= 3; id++ {
						zs := snapshotsTaken(t, logs, id)
						done = done && len(zs) > 0 && zs[len(zs)-1] >= last.Mzxid
					}
					if done {
						break
					}
					if _, _, err := c.Create(ctx, fmt.Sprintf("/pad-%d", i), nil, client.ModePersistent, nil); err != nil {
						t.Fatal(err)
					}
				}
			}
			_ = c.Close(ctx)
			for i := range e.Size() {
				must(t, e.Stop(i))
			}
			for i := range e.Size() {
				restart(t, e, i)
			}
			waitServing(t, e)
			waitConverged(t, e)
			checkNullEmptyEverywhere(ctx, t, e, want)
		})
	}
}

// TestEmptyDataSurvivesFollowerSync: a follower down while the nodes are
// written gets them by DIFF (the leader's log covers what it missed) or
// by SNAP (the leader snapshotted past it), and then serves null and
// empty data apart.
func TestEmptyDataSurvivesFollowerSync(t *testing.T) {
	for _, tt := range []struct {
		name      string
		snap      bool
		snapCount int // DIFF: no leader snapshot within the writes
	}{{"diff", false, 200}, {"snap", true, 20}} {
		t.Run(tt.name, func(t *testing.T) {
			logs := server.NewLogRecorder()
			e := startEnsemble(t, withSnapCount(tt.snapCount), withLogs(logs))
			leader := waitServing(t, e)
			f := (leader + 1) % 3
			fid := strconv.Itoa(f + 1)
			must(t, e.Kill(f))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c := dialClient(t, e.ClientAddr(leader))
			want := nullEmptyNodes(ctx, t, c, "/s")
			if tt.snap {
				_, last, err := c.Exists(ctx, "/s/multi-set-empty")
				if err != nil {
					t.Fatal(err)
				}
				// The leader's snapshot must cover the nodes, so the
				// follower gets them from it.
				for i := 0; ; i++ {
					zs := snapshotsTaken(t, logs, leader+1)
					if len(zs) > 0 && zs[len(zs)-1] >= last.Mzxid {
						break
					}
					if _, _, err := c.Create(ctx, fmt.Sprintf("/pad-%d", i), nil, client.ModePersistent, nil); err != nil {
						t.Fatal(err)
					}
				}
			}
			before := len(logs.Find(map[string]string{"msg": "synced", "server": fid}))
			restart(t, e, f)
			waitServing(t, e)
			waitConverged(t, e)
			mode := syncedMode(t, logs, f+1, before)
			installed := len(logs.Find(map[string]string{"msg": "installed snapshot from leader", "server": fid})) > 0
			if tt.snap && !installed {
				t.Fatalf("the follower synced by %s without installing the leader's snapshot", mode)
			}
			if !tt.snap && (mode != "DIFF" || installed) {
				t.Fatalf("the follower synced by %s (snapshot installed: %v), want DIFF", mode, installed)
			}
			checkNullEmpty(ctx, t, "follower "+fid, e.ClientAddr(f), want)
		})
	}
}
