package ensemble

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/core/storage"
)

// TestMemHandleSeveredReachesTheStoreNoMore: once Kill severs a killed
// server's handle, none of its calls reaches the store, so nothing it
// does after the crash is kept; a new handle (a restart) works on what
// the store kept.
func TestMemHandleSeveredReachesTheStoreNoMore(t *testing.T) {
	ctx := context.Background()
	m := storage.NewMem()
	h := newMemHandle(m)
	require.NoError(t, h.Append(storage.Entry{Zxid: 1<<32 | 1, Data: []byte("a")}))
	require.NoError(t, h.Sync(ctx))
	require.NoError(t, h.Append(storage.Entry{Zxid: 1<<32 | 2, Data: []byte("b")}))
	h.sever()
	m.Crash()
	require.ErrorIs(t, h.Sync(ctx), storage.ErrClosed, "the abandoned fsync")
	require.ErrorIs(t, h.Append(storage.Entry{Zxid: 1<<32 | 3}), storage.ErrClosed)
	require.ErrorIs(t, h.SetEpochs(storage.Epochs{Accepted: 2, Current: 2}), storage.ErrClosed)
	require.ErrorIs(t, h.TruncateAfter(0), storage.ErrClosed)
	require.ErrorIs(t, h.SaveSnapshot(ctx, 1<<32|1, func(w io.Writer) error { return nil }), storage.ErrClosed)

	r := newMemHandle(m)
	require.Equal(t, int64(1<<32|1), r.LastZxid(), "the crash kept only the synced entry")
	ep, err := r.Epochs()
	require.NoError(t, err)
	require.Equal(t, storage.Epochs{}, ep)
	require.NoError(t, r.Append(storage.Entry{Zxid: 1<<32 | 2, Data: []byte("c")}))
}
