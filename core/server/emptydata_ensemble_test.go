package server_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/ensemble"
)

// The cluster half of emptydata_test.go: null and empty data stay apart
// through snapshots, log replay and a follower's SNAP or DIFF sync.

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
