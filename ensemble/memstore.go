package ensemble

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/zabkit/zabkit/core/storage"
)

// memHandle is one server incarnation's access to its in-memory store:
// the "file descriptors" of a process. Kill cuts it before it crashes the
// store, so the killed server reaches the store no more (its calls fail
// with storage.ErrClosed) and no write of it lands after the crash: an
// fsync still in flight is lost with the rest, as on kill -9 or a power
// cut. A restarted server gets a new handle on the same store.
type memHandle struct {
	mem *storage.Mem

	mu  sync.RWMutex // held shared by every call, exclusively by cut
	cut bool
}

var _ storage.Storage = (*memHandle)(nil)

func newMemHandle(m *storage.Mem) *memHandle { return &memHandle{mem: m} }

// sever cuts the handle once every call in progress has returned.
func (h *memHandle) sever() {
	h.mu.Lock()
	h.cut = true
	h.mu.Unlock()
}

// use runs f unless the handle is cut.
func (h *memHandle) use(f func() error) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.cut {
		return fmt.Errorf("%w: the server was killed", storage.ErrClosed)
	}
	return f()
}

func (h *memHandle) Append(entries ...storage.Entry) error {
	return h.use(func() error { return h.mem.Append(entries...) })
}

func (h *memHandle) Sync(ctx context.Context) error {
	return h.use(func() error { return h.mem.Sync(ctx) })
}

func (h *memHandle) TruncateAfter(zxid int64) error {
	return h.use(func() error { return h.mem.TruncateAfter(zxid) })
}

func (h *memHandle) Entries(from, to int64) (es []storage.Entry, err error) {
	err = h.use(func() error { es, err = h.mem.Entries(from, to); return err })
	return es, err
}

func (h *memHandle) FirstZxid() (z int64) {
	_ = h.use(func() error { z = h.mem.FirstZxid(); return nil })
	return z
}

func (h *memHandle) LastZxid() (z int64) {
	_ = h.use(func() error { z = h.mem.LastZxid(); return nil })
	return z
}

func (h *memHandle) Epochs() (e storage.Epochs, err error) {
	err = h.use(func() error { e, err = h.mem.Epochs(); return err })
	return e, err
}

func (h *memHandle) SetEpochs(e storage.Epochs) error {
	return h.use(func() error { return h.mem.SetEpochs(e) })
}

// SaveSnapshot runs write outside the handle's lock (a snapshot may take
// long; Kill must not wait for it) and stores the result only if the
// handle is still whole by then.
func (h *memHandle) SaveSnapshot(ctx context.Context, zxid int64, write func(io.Writer) error) error {
	return h.save(ctx, zxid, write, h.mem.SaveSnapshot)
}

// InstallSnapshot is SaveSnapshot's twin for a snapshot from the leader.
func (h *memHandle) InstallSnapshot(ctx context.Context, zxid int64, write func(io.Writer) error) error {
	return h.save(ctx, zxid, write, h.mem.InstallSnapshot)
}

func (h *memHandle) save(ctx context.Context, zxid int64, write func(io.Writer) error,
	store func(context.Context, int64, func(io.Writer) error) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return fmt.Errorf("ensemble: writing snapshot: %w", err)
	}
	return h.use(func() error {
		return store(ctx, zxid, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err })
	})
}

func (h *memHandle) OpenSnapshot() (meta storage.SnapshotMeta, r io.ReadCloser, err error) {
	err = h.use(func() error { meta, r, err = h.mem.OpenSnapshot(); return err })
	return meta, r, err
}

func (h *memHandle) Snapshots() (ms []storage.SnapshotMeta, err error) {
	err = h.use(func() error { ms, err = h.mem.Snapshots(); return err })
	return ms, err
}

func (h *memHandle) Purge(keep int) error {
	return h.use(func() error { return h.mem.Purge(keep) })
}

func (h *memHandle) Recover(ctx context.Context, restore func(storage.SnapshotMeta, io.Reader) error,
	apply func(storage.Entry) error) (rec storage.Recovered, err error) {
	err = h.use(func() error { rec, err = h.mem.Recover(ctx, restore, apply); return err })
	return rec, err
}

// Close cuts the handle; the store itself stays open for a restart.
func (h *memHandle) Close() error {
	h.sever()
	return nil
}
