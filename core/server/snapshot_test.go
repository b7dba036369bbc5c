package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/storage"
	"github.com/zabkit/zabkit/core/znode"
)

// gatedStore is a storage.Mem whose next snapshot, once armed, stops in
// the middle of being written (at its second Write: the header went out,
// the first batch of nodes is being written) until released.
type gatedStore struct {
	*storage.Mem
	armed       atomic.Bool
	started     chan struct{} // closed when the armed snapshot is stopped
	release     chan struct{}
	releaseOnce sync.Once
	saved       chan error // the armed snapshot's SaveSnapshot result
}

func newGatedStore() *gatedStore {
	return &gatedStore{Mem: storage.NewMem(), started: make(chan struct{}), release: make(chan struct{}),
		saved: make(chan error, 1)}
}

func (g *gatedStore) open() { g.releaseOnce.Do(func() { close(g.release) }) }

func (g *gatedStore) SaveSnapshot(ctx context.Context, zxid int64, write func(io.Writer) error) error {
	if !g.armed.CompareAndSwap(true, false) {
		return g.Mem.SaveSnapshot(ctx, zxid, write)
	}
	err := g.Mem.SaveSnapshot(ctx, zxid, func(w io.Writer) error {
		return write(&gatedWriter{w: w, g: g})
	})
	g.saved <- err
	return err
}

// armAndWrite arms the store and writes through c until the armed
// snapshot has started: the next one to be saved, due within SnapCount
// txns of the last, or, if one frozen before arming is still being written
// (slow on a loaded machine), as soon as that one ends. Bounded by ctx.
func (g *gatedStore) armAndWrite(ctx context.Context, t *testing.T, c *client.Conn) {
	t.Helper()
	g.armed.Store(true)
	for i := 0; ; i++ {
		select {
		case <-g.started:
			return
		default:
		}
		_, _, err := c.Create(ctx, fmt.Sprintf("/fill-%d", i), nil, client.ModePersistent, nil)
		require.NoError(t, err, "no armed snapshot started after %d writes", i)
	}
}

type gatedWriter struct {
	w      io.Writer
	g      *gatedStore
	writes int
}

func (w *gatedWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.writes == 2 {
		close(w.g.started)
		<-w.g.release
	}
	return w.w.Write(p)
}

// TestWritesProceedWhileSnapshotting: a snapshot of a 6,000-node tree is
// held in the middle of being written (its writer blocks); a write
// through the server still completes and is readable, so applying does
// not wait for the snapshot. Once released, the snapshot is the tree at
// its freeze: it loads, holds the nodes created before, and lacks the one
// written during it.
func TestWritesProceedWhileSnapshotting(t *testing.T) {
	gs := newGatedStore()
	tc := newCluster(t, 1, 0, false, func(c *Config) { c.Store, c.SnapCount = gs, 20 })
	t.Cleanup(gs.open) // runs before the cluster's cleanup: never leave the snapshot blocked
	c := dialClient(t, tc.connect())
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
	gs.armAndWrite(ctx, t, c)
	// The snapshot's writer is blocked; this write must not wait for it.
	_, _, err := c.Create(ctx, "/during", []byte("x"), client.ModePersistent, nil)
	require.NoError(t, err, "a write did not complete while a snapshot was being written")
	_, _, err = c.Get(ctx, "/during")
	require.NoError(t, err)
	select {
	case err := <-gs.saved:
		t.Fatalf("the snapshot finished while its writer was blocked: %v", err)
	default:
	}
	gs.open()
	require.NoError(t, <-gs.saved)

	meta, rc, err := gs.Mem.OpenSnapshot()
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
	require.True(t, hasNode(tc.servers[0], "/during"))
}

// TestCloseCancelsSnapshotInProgress: closing the server while a snapshot
// is being written cancels it (the encoder stops at its next batch), Close
// waits for its goroutine (goleak checks none is left) and reports no
// error, and no snapshot is stored.
func TestCloseCancelsSnapshotInProgress(t *testing.T) {
	gs := newGatedStore()
	tc := newCluster(t, 1, 0, false, func(c *Config) { c.Store, c.SnapCount = gs, 5 })
	t.Cleanup(gs.open)
	c := dialClient(t, tc.connect())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ops := make([]client.Op, 3000)
	for j := range ops {
		ops[j] = client.CreateOp{Path: fmt.Sprintf("/n%04d", j), Mode: client.ModePersistent}
	}
	_, err := c.Multi(ctx, ops...)
	require.NoError(t, err)
	before, err := gs.Mem.Snapshots()
	require.NoError(t, err)
	gs.armAndWrite(ctx, t, c)
	srv := tc.servers[0]
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	<-srv.life.Done() // Close has begun: the snapshot's context is cancelled
	gs.open()
	require.NoError(t, <-closed)
	tc.servers[0] = nil
	require.ErrorIs(t, <-gs.saved, context.Canceled)
	after, err := gs.Mem.Snapshots()
	require.NoError(t, err)
	require.Equal(t, before, after, "a cancelled snapshot was stored")
}

// TestSnapshotOutputStopsWhilePaused: while the server is paused (Pause
// is SIGSTOP), a snapshot's output waits: stopping the server ends the
// wait with ErrClosed and nothing written; after Resume it writes on.
func TestSnapshotOutputStopsWhilePaused(t *testing.T) {
	s := &Server{stop: make(chan struct{})}
	s.gate.init()
	var buf bytes.Buffer
	s.gate.pause()
	res := make(chan error, 1)
	go func() {
		_, err := pausable{w: &buf, s: s}.Write([]byte("x"))
		res <- err
	}()
	close(s.stop)
	require.ErrorIs(t, <-res, ErrClosed)
	require.Zero(t, buf.Len())

	s = &Server{stop: make(chan struct{})}
	s.gate.init()
	s.gate.pause()
	go func() {
		_, err := pausable{w: &buf, s: s}.Write([]byte("x"))
		res <- err
	}()
	s.gate.resume()
	require.NoError(t, <-res)
	require.Equal(t, "x", buf.String())
}
