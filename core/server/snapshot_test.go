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
)

// gatedStore wraps a server's store; its next snapshot, once armed, stops in
// the middle of being written (at its second Write: the header went out,
// the first batch of nodes is being written) until released.
type gatedStore struct {
	storage.Storage
	armed       atomic.Bool
	started     chan struct{} // closed when the armed snapshot is stopped
	release     chan struct{}
	releaseOnce sync.Once
	saved       chan error // the armed snapshot's SaveSnapshot result
}

func newGatedStore(inner storage.Storage) *gatedStore {
	return &gatedStore{Storage: inner, started: make(chan struct{}), release: make(chan struct{}),
		saved: make(chan error, 1)}
}

func (g *gatedStore) open() { g.releaseOnce.Do(func() { close(g.release) }) }

func (g *gatedStore) SaveSnapshot(ctx context.Context, zxid int64, write func(io.Writer) error) error {
	if !g.armed.CompareAndSwap(true, false) {
		return g.Storage.SaveSnapshot(ctx, zxid, write)
	}
	err := g.Storage.SaveSnapshot(ctx, zxid, func(w io.Writer) error {
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

// TestCloseCancelsSnapshotInProgress: closing the server while a snapshot
// is being written cancels it (the encoder stops at its next batch), Close
// waits for its goroutine (goleak checks none is left) and reports no
// error, and no snapshot is stored.
func TestCloseCancelsSnapshotInProgress(t *testing.T) {
	gs := newGatedStore(storage.NewMem())
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
	before, err := gs.Snapshots()
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
	after, err := gs.Snapshots()
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
