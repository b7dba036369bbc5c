package server_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/core/zab"
	"github.com/zabkit/zabkit/ensemble"
)

// parseLoggedZxid reads a zxid as zab.Zxid prints it (epoch:counter, hex).
func parseLoggedZxid(t *testing.T, s string) int64 {
	t.Helper()
	e, c, ok := strings.Cut(s, ":")
	ep, err1 := strconv.ParseUint(e, 16, 32)
	ct, err2 := strconv.ParseUint(c, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		t.Fatalf("logged zxid %q is not epoch:counter", s)
	}
	return int64(ep<<32 | ct)
}

// snapshotsTaken returns the zxids of the "snapshot taken" lines of server id.
func snapshotsTaken(t *testing.T, logs *server.LogRecorder, id int) []int64 {
	t.Helper()
	var zs []int64
	for _, r := range logs.Find(map[string]string{"msg": "snapshot taken", "server": strconv.Itoa(id)}) {
		zs = append(zs, parseLoggedZxid(t, r["zxid"]))
	}
	return zs
}

// syncedMode waits for server id's n-th (0-based) "synced" log line and
// returns its mode.
func syncedMode(t *testing.T, logs *server.LogRecorder, id, n int) string {
	t.Helper()
	want := map[string]string{"msg": "synced", "server": strconv.Itoa(id)}
	waitFor(t, 30*time.Second, fmt.Sprintf("server %d's synced log line", id), func() bool {
		return len(logs.Find(want)) > n
	})
	return logs.Find(want)[n]["mode"]
}

// TestFollowerRestartedFromDiskCatchesUp: on on-disk storage, a follower
// stopped while the cluster writes restarts from its directory and is
// synchronized by DIFF when the leader's log still covers what it missed,
// by SNAP when the leader's log was compacted past it; the replicas then
// hold the same tree.
//
// The DIFF case first lets the leader snapshot and compact its log, then
// stops the follower: a follower that came back without its disk state
// (zxid 0) would need a SNAP, so DIFF shows it resumed from its directory.
func TestFollowerRestartedFromDiskCatchesUp(t *testing.T) {
	for _, tt := range []struct {
		name   string
		writes int // while the follower is down
		mode   string
		// SnapCount: for DIFF, large enough that no second snapshot can
		// come within the writes made while the first one is saved plus
		// tt.writes, however slowly the machine runs.
		snapCount int
	}{{"diff", 3, "DIFF", 200}, {"snap", 60, "SNAP", 20}} {
		t.Run(tt.name, func(t *testing.T) {
			logs := server.NewLogRecorder()
			// A snapshot after snapCount/2 to snapCount-1 applied txns.
			e := startEnsemble(t, ensemble.WithDir(t.TempDir()), withSnapCount(tt.snapCount), withLogs(logs))
			leader := waitServing(t, e)
			lid, f := leader+1, (leader+1)%3
			fid := f + 1
			c := dialClient(t, e.ClientAddr(leader))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			create := func(p string) {
				t.Helper()
				if _, _, err := c.Create(ctx, p, []byte(p), client.ModePersistent, nil); err != nil {
					t.Fatalf("create %s: %v", p, err)
				}
			}

			// Everyone up: write until the leader has snapshotted and
			// compacted its log (due within snapCount txns; its save
			// runs in the background, so this is bounded by ctx).
			for i := 0; len(snapshotsTaken(t, logs, lid)) == 0; i++ {
				create(fmt.Sprintf("/pre-%d", i))
			}
			waitConverged(t, e)
			stoppedAt := e.Server(f).State().LastZxid
			before := len(logs.Find(map[string]string{"msg": "synced", "server": strconv.Itoa(fid)}))
			must(t, e.Stop(f))

			for i := range tt.writes {
				create(fmt.Sprintf("/down-%d", i))
			}
			if tt.mode == "SNAP" {
				// The leader's log must no longer reach back to the
				// follower's last zxid.
				waitFor(t, 30*time.Second, "a leader snapshot past the stopped follower", func() bool {
					for _, z := range snapshotsTaken(t, logs, lid) {
						if z > stoppedAt {
							return true
						}
					}
					return false
				})
			} else if zs := snapshotsTaken(t, logs, lid); zs[len(zs)-1] > stoppedAt {
				t.Fatalf("the leader snapshotted at %s while the follower (at %s) was down: DIFF not guaranteed",
					zab.Zxid(zs[len(zs)-1]), zab.Zxid(stoppedAt))
			}

			restart(t, e, f)
			waitServing(t, e)
			waitConverged(t, e)
			got := syncedMode(t, logs, fid, before)
			switch {
			case tt.mode == "SNAP":
				// A first sync cut short after installing the snapshot
				// (a loaded machine) is retried by DIFF: the install has
				// its own log line.
				if len(logs.Find(map[string]string{"msg": "installed snapshot from leader", "server": strconv.Itoa(fid)})) == 0 {
					t.Errorf("the follower restarted from disk synced by %s without installing a snapshot", got)
				}
			case got != tt.mode:
				t.Errorf("the follower restarted from disk synced by %s, want %s", got, tt.mode)
			}
			last := fmt.Sprintf("/down-%d", tt.writes-1)
			if !server.HasNode(e.Server(f), last) || !server.HasNode(e.Server(f), "/pre-0") {
				t.Errorf("the restarted follower lacks %s or /pre-0", last)
			}
		})
	}
}

// TestIsolatedLeaderRestartedFromDiskTruncated: on on-disk storage, a
// leader cut off from its followers writes a proposal nobody else has to
// its log and is stopped; the others elect a leader and move on; the old
// leader restarts from its directory (the orphan still in its log), is
// synchronized by TRUNC and drops the orphan; the replicas converge.
func TestIsolatedLeaderRestartedFromDiskTruncated(t *testing.T) {
	logs := server.NewLogRecorder()
	e := startEnsemble(t, ensemble.WithDir(t.TempDir()), withLogs(logs))
	old := waitServing(t, e)
	oldServer := e.Server(old)
	oc := dialClient(t, e.ClientAddr(old))
	logged := func() int64 { return server.LoggedZxid(oldServer) }
	before := logged()
	orphan := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _, err := oc.Create(ctx, "/orphan", nil, client.ModePersistent, nil)
		orphan <- err
	}()
	// The old leader logs the orphan proposal (the last zxid of its log
	// moves) before it is cut off.
	isolateAfterOrphan(t, e, old, func() bool { return logged() > before })
	if err := <-orphan; err == nil {
		t.Fatal("a write to an isolated leader was acknowledged")
	}
	must(t, e.Stop(old))
	must(t, e.Heal())

	waitServing(t, e)
	nc := dialClient(t, e.Servers())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, _, err := nc.Create(ctx, "/after", nil, client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}

	restart(t, e, old)
	waitServing(t, e)
	waitConverged(t, e)
	// The first sync may be cut short after the truncation on a loaded
	// machine (its retry logs mode=DIFF): the truncation has its own line.
	syncedMode(t, logs, old+1, 0)
	if got := logs.Find(map[string]string{"msg": "truncated log", "server": strconv.Itoa(old + 1)}); len(got) == 0 {
		t.Errorf("the old leader restarted from disk without truncating its log (synced by %s)", syncedMode(t, logs, old+1, 0))
	}
	for i := range e.Size() {
		if server.HasNode(e.Server(i), "/orphan") {
			t.Errorf("server %d kept the orphaned proposal", e.ID(i))
		}
		if !server.HasNode(e.Server(i), "/after") {
			t.Errorf("server %d lacks /after", e.ID(i))
		}
	}
}
