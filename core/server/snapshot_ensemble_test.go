package server_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/core/storage"
	"github.com/zabkit/zabkit/core/znode"
	"github.com/zabkit/zabkit/ensemble"
)

// TestWritesProceedWhileSnapshotting: a snapshot of a 6,000-node tree is
// held in the middle of being written (its writer blocks); a write
// through the server still completes and is readable, so applying does
// not wait for the snapshot. Once released, the snapshot is the tree at
// its freeze: it loads, holds the nodes created before, and lacks the one
// written during it.
func TestWritesProceedWhileSnapshotting(t *testing.T) {
	var gs *server.GatedStore
	e := single(t, withConfig(func(c *server.Config) {
		gs = server.NewGatedStore(c.Store)
		c.Store, c.SnapCount = gs, 20
	}))
	t.Cleanup(gs.Open) // runs before the ensemble's cleanup: never leave the snapshot blocked
	c := dialClient(t, e.Servers())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range 12 {
		ops := make([]client.Op, 500)
		for j := range ops {
			ops[j] = client.CreateOp{Path: fmt.Sprintf("/n%02d-%03d", i, j), Data: []byte("some data"), Mode: client.ModePersistent}
		}
		_, err := c.Multi(ctx, ops...)
		require.NoError(t, err)
	}
	gs.ArmAndWrite(ctx, t, c)
	// The snapshot's writer is blocked; this write must not wait for it.
	_, _, err := c.Create(ctx, "/during", []byte("x"), client.ModePersistent, nil)
	require.NoError(t, err, "a write did not complete while a snapshot was being written")
	_, _, err = c.Get(ctx, "/during")
	require.NoError(t, err)
	select {
	case err := <-gs.Saved():
		t.Fatalf("the snapshot finished while its writer was blocked: %v", err)
	default:
	}
	gs.Open()
	require.NoError(t, <-gs.Saved())

	meta, rc, err := gs.OpenSnapshot()
	require.NoError(t, err)
	defer rc.Close()
	tree, err := znode.ReadSnapshot(rc, znode.Config{ExtendedTypes: true})
	require.NoError(t, err)
	require.Equal(t, meta.Zxid, tree.LastZxid())
	require.Greater(t, tree.NodeCount(), int64(6000))
	_, _, ok := tree.Node("/n11-499")
	require.True(t, ok, "snapshot lacks a node created before it")
	_, _, ok = tree.Node("/during")
	require.False(t, ok, "snapshot holds a node created after its freeze")
	require.True(t, server.HasNode(e.Server(0), "/during"))
}

// TestSnapSyncWhileWriting: a follower restarted behind a compacted log
// is synchronized by SNAP (it installs a snapshot from the leader), whose snapshot the leader encodes beside its
// driver while a client keeps writing (and the leader keeps taking its
// own snapshots, SnapCount 50); every write reaches the follower and the
// replicas converge.
func TestSnapSyncWhileWriting(t *testing.T) {
	logs := server.NewLogRecorder()
	e := startEnsemble(t, withSnapCount(50), withLogs(logs))
	leader := waitServing(t, e)
	f := (leader + 1) % 3
	must(t, e.Kill(f))
	c := dialClient(t, e.ClientAddr(leader))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range 4 {
		ops := make([]client.Op, 500)
		for j := range ops {
			ops[j] = client.CreateOp{Path: fmt.Sprintf("/n%d-%03d", i, j), Data: []byte("data"), Mode: client.ModePersistent}
		}
		for k := range 60 { // enough txns for the leader to snapshot and compact past the follower
			ops = append(ops, client.CreateOp{Path: fmt.Sprintf("/m%d-%02d", i, k), Mode: client.ModePersistent})
			if _, err := c.Multi(ctx, ops...); err != nil {
				t.Fatal(err)
			}
			ops = ops[:0]
		}
	}
	fid := strconv.Itoa(f + 1)
	installed := map[string]string{"msg": "installed snapshot from leader", "server": fid}
	require.Empty(t, logs.Find(installed))
	errc := make(chan error, 1)
	go func() {
		for i := range 300 {
			if _, _, err := c.Create(ctx, fmt.Sprintf("/w-%03d", i), nil, client.ModePersistent, nil); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	restart(t, e, f)
	require.NoError(t, <-errc)
	waitServing(t, e)
	waitConverged(t, e)
	require.True(t, server.HasNode(e.Server(f), "/w-299"))
	require.True(t, server.HasNode(e.Server(f), "/n3-499"))
	// Its first sync was a SNAP (a slow machine may time that sync out and
	// finish with a DIFF from the installed snapshot, so the "synced" line
	// is not the check).
	require.NotEmpty(t, logs.Find(installed), "the restarted follower installed no snapshot from the leader")
}

// TestReplicasSnapshotApart: with SnapCount 20, each replica snapshots
// after 10 plus a random 0..9 txns, drawn anew each time, so the replicas
// of an ensemble do not all snapshot at the same zxids (ZooKeeper's reason
// for the randomness: not every server pausing for a snapshot at once).
// The first six snapshot zxids of the three replicas are not all the
// same; with independent draws the chance that they are is (1/100)^6.
func TestReplicasSnapshotApart(t *testing.T) {
	stores := map[uint64]storage.Storage{}
	var mu sync.Mutex
	e := startEnsemble(t, withSnapCount(20), ensemble.WithServerConfig(func(id uint64, c *server.Config) {
		mu.Lock()
		stores[id] = c.Store
		mu.Unlock()
	}))
	c := dialClient(t, e.Servers())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const first = 6
	zxids := func(id uint64) []int64 {
		mu.Lock()
		st := stores[id]
		mu.Unlock()
		metas, err := st.Snapshots()
		require.NoError(t, err)
		var out []int64
		for _, m := range metas {
			out = append(out, m.Zxid)
		}
		slices.Sort(out)
		return out
	}
	enough := func() bool {
		for id := range uint64(3) {
			if len(zxids(id+1)) < first {
				return false
			}
		}
		return true
	}
	for i := 0; !enough(); i++ {
		_, _, err := c.Create(ctx, fmt.Sprintf("/w%d", i), nil, client.ModePersistent, nil)
		require.NoError(t, err, "after %d writes, not every replica has %d snapshots", i, first)
	}
	a, b, d := zxids(1)[:first], zxids(2)[:first], zxids(3)[:first]
	t.Logf("first snapshot zxids: %x %x %x", a, b, d)
	require.False(t, slices.Equal(a, b) && slices.Equal(b, d), "all replicas snapshotted at the same zxids")
}
