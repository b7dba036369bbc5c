package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
)

// Mem is the in-memory Storage with the same behaviour as Disk, for the
// in-process ensemble and the ZAB simulator. It models what a crash keeps:
// Crash drops every entry appended since the last Sync (a truncation does
// not make the entries it keeps durable); epochs, snapshots, the removal
// done by a truncation and resets are durable when their call returns (as
// on Disk).
// It is safe for concurrent use.
type Mem struct {
	mu      sync.Mutex
	base    int64   // zxid before entries[0]
	entries []Entry // the whole log, durable prefix first
	synced  int     // entries[:synced] survive a crash
	epochs  Epochs
	snaps   []memSnap // ascending zxid
	closed  bool
	fsyncs  int64
}

type memSnap struct {
	meta SnapshotMeta
	data []byte
}

var _ Storage = (*Mem)(nil)

// NewMem returns an empty in-memory store.
func NewMem() *Mem { return &Mem{} }

// Crash simulates a power loss and restart: entries not covered by a
// completed Sync are lost and the store is open again (call Recover).
func (m *Mem) Crash() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = m.entries[:m.synced]
	m.closed = false
}

// CrashRandom is Crash where the disk happened to keep a random prefix of
// the unsynced entries, as a real one may.
func (m *Mem) CrashRandom(r *rand.Rand) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.crashKeepingLocked(r.IntN(len(m.entries) - m.synced + 1))
}

// crashKeepingLocked crashes keeping n of the unsynced entries.
func (m *Mem) crashKeepingLocked(n int) {
	keep := m.synced + n
	m.entries = m.entries[:keep]
	m.synced = keep
	m.closed = false
}

// Unsynced returns how many appended entries a crash would lose now.
func (m *Mem) Unsynced() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries) - m.synced
}

// Stats returns counters (Fsyncs counts Sync calls that made entries durable).
func (m *Mem) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Stats{Appended: int64(len(m.entries)), Fsyncs: m.fsyncs}
}

func (m *Mem) check() error {
	if m.closed {
		return ErrClosed
	}
	return nil
}

func (m *Mem) lastLocked() int64 {
	if len(m.entries) == 0 {
		return m.base
	}
	return m.entries[len(m.entries)-1].Zxid
}

// Append implements Log.
func (m *Mem) Append(entries ...Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	last := m.lastLocked()
	for _, e := range entries {
		if e.Zxid <= last {
			return fmt.Errorf("%w: %#x after %#x", ErrOutOfOrder, e.Zxid, last)
		}
		if len(e.Data) > DefaultMaxEntrySize {
			return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(e.Data))
		}
		last = e.Zxid
	}
	for _, e := range entries {
		m.entries = append(m.entries, Entry{Zxid: e.Zxid, Data: bytes.Clone(e.Data)})
	}
	return nil
}

// Sync implements Log.
func (m *Mem) Sync(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	if m.synced < len(m.entries) {
		m.fsyncs++
	}
	m.synced = len(m.entries)
	return nil
}

// TruncateAfter implements Log.
func (m *Mem) TruncateAfter(zxid int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	if zxid >= m.lastLocked() {
		return nil
	}
	if zxid < m.base {
		return fmt.Errorf("%w: truncate to %#x, log starts after %#x", ErrCompacted, zxid, m.base)
	}
	i, _ := slices.BinarySearchFunc(m.entries, zxid+1, func(e Entry, z int64) int { return cmpInt(e.Zxid, z) })
	m.entries = m.entries[:i]
	// The removal is durable; what it keeps is durable only if it was
	// synced before (a crash after it still loses the kept entries that
	// were never synced).
	m.synced = min(m.synced, i)
	return nil
}

// Entries implements Log.
func (m *Mem) Entries(from, to int64) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return nil, err
	}
	if from <= m.base && m.base > 0 {
		return nil, fmt.Errorf("%w: entries from %#x requested, log starts after %#x", ErrCompacted, from, m.base)
	}
	var out []Entry
	i, _ := slices.BinarySearchFunc(m.entries, from, func(e Entry, z int64) int { return cmpInt(e.Zxid, z) })
	for ; i < len(m.entries) && m.entries[i].Zxid <= to; i++ {
		out = append(out, Entry{Zxid: m.entries[i].Zxid, Data: bytes.Clone(m.entries[i].Data)})
	}
	return out, nil
}

// FirstZxid implements Log.
func (m *Mem) FirstZxid() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) == 0 {
		return 0
	}
	return m.entries[0].Zxid
}

// LastZxid implements Log.
func (m *Mem) LastZxid() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastLocked()
}

// Epochs implements StableStore.
func (m *Mem) Epochs() (Epochs, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.epochs, nil
}

// SetEpochs implements StableStore.
func (m *Mem) SetEpochs(e Epochs) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	if e.Accepted < 0 || e.Current < 0 {
		return fmt.Errorf("%w: epochs %+v", ErrInvalid, e)
	}
	m.epochs = e
	return nil
}

// SaveSnapshot implements SnapshotStore.
func (m *Mem) SaveSnapshot(ctx context.Context, zxid int64, write func(io.Writer) error) error {
	return m.save(ctx, zxid, false, write)
}

// InstallSnapshot implements SnapshotStore.
func (m *Mem) InstallSnapshot(ctx context.Context, zxid int64, write func(io.Writer) error) error {
	return m.save(ctx, zxid, true, write)
}

func (m *Mem) save(ctx context.Context, zxid int64, installed bool, write func(io.Writer) error) error {
	if zxid < 0 {
		return fmt.Errorf("%w: snapshot zxid %d", ErrInvalid, zxid)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return fmt.Errorf("storage: writing snapshot: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(); err != nil {
		return err
	}
	s := memSnap{meta: SnapshotMeta{Zxid: zxid, Size: int64(buf.Len()), Installed: installed}, data: buf.Bytes()}
	i, found := slices.BinarySearchFunc(m.snaps, zxid, func(s memSnap, z int64) int { return cmpInt(s.meta.Zxid, z) })
	if found {
		m.snaps[i] = s
	} else {
		m.snaps = slices.Insert(m.snaps, i, s)
	}
	if installed {
		m.resetLocked(zxid)
	}
	return nil
}

func (m *Mem) resetLocked(zxid int64) {
	m.entries, m.synced, m.base = nil, 0, zxid
}

// OpenSnapshot implements SnapshotStore.
func (m *Mem) OpenSnapshot() (SnapshotMeta, io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.snaps) == 0 {
		return SnapshotMeta{}, nil, ErrNoSnapshot
	}
	s := m.snaps[len(m.snaps)-1]
	return s.meta, io.NopCloser(bytes.NewReader(s.data)), nil
}

// Snapshots implements SnapshotStore.
func (m *Mem) Snapshots() ([]SnapshotMeta, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]SnapshotMeta, len(m.snaps))
	for i, s := range m.snaps {
		out[i] = s.meta
	}
	return out, nil
}

// Purge implements SnapshotStore. Mem drops exactly the entries at or below
// the oldest kept snapshot (Disk drops whole segments).
func (m *Mem) Purge(keep int) error {
	if keep < 1 {
		return fmt.Errorf("%w: purge must keep at least one snapshot, not %d", ErrInvalid, keep)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.snaps) == 0 {
		return nil
	}
	if len(m.snaps) > keep {
		m.snaps = slices.Clone(m.snaps[len(m.snaps)-keep:])
	}
	oldest := m.snaps[0].meta.Zxid
	i, _ := slices.BinarySearchFunc(m.entries, oldest+1, func(e Entry, z int64) int { return cmpInt(e.Zxid, z) })
	if i > 0 {
		m.base = m.entries[i-1].Zxid
		m.entries = slices.Clone(m.entries[i:])
		m.synced = max(m.synced-i, 0)
	}
	return nil
}

// Recover implements Storage with the same rules as Disk.Recover.
func (m *Mem) Recover(ctx context.Context, restore func(SnapshotMeta, io.Reader) error, apply func(Entry) error) (Recovered, error) {
	m.mu.Lock()
	rec := Recovered{Epochs: m.epochs}
	var snap *memSnap
	if n := len(m.snaps); n > 0 {
		snap = &m.snaps[n-1]
	}
	s := int64(0)
	if snap == nil {
		if m.base != 0 {
			m.mu.Unlock()
			return rec, fmt.Errorf("%w: no snapshot, and the log starts after %#x", ErrCorrupt, m.base)
		}
	} else {
		s = snap.meta.Zxid
		if err := m.joinLocked(snap.meta); err != nil {
			m.mu.Unlock()
			return rec, err
		}
	}
	var tail []Entry
	i, _ := slices.BinarySearchFunc(m.entries, s+1, func(e Entry, z int64) int { return cmpInt(e.Zxid, z) })
	for _, e := range m.entries[i:] {
		tail = append(tail, Entry{Zxid: e.Zxid, Data: bytes.Clone(e.Data)})
	}
	m.mu.Unlock()
	if snap != nil {
		if err := restore(snap.meta, bytes.NewReader(snap.data)); err != nil {
			return rec, err
		}
		rec.Snapshot = snap.meta
	}
	rec.LastZxid = s
	for _, e := range tail {
		if err := ctx.Err(); err != nil {
			return rec, err
		}
		if err := apply(e); err != nil {
			return rec, err
		}
		rec.Replayed++
		rec.LastZxid = e.Zxid
	}
	return rec, nil
}

func (m *Mem) joinLocked(meta SnapshotMeta) error {
	s := meta.Zxid
	if s == m.base {
		return nil
	}
	if s > m.lastLocked() {
		m.resetLocked(s)
		return nil
	}
	if s < m.base {
		return fmt.Errorf("%w: snapshot %#x is older than the log's start %#x", ErrCorrupt, s, m.base)
	}
	if _, found := slices.BinarySearchFunc(m.entries, s, func(e Entry, z int64) int { return cmpInt(e.Zxid, z) }); found {
		return nil
	}
	if meta.Installed {
		m.resetLocked(s)
		return nil
	}
	return fmt.Errorf("%w: the log does not contain the snapshot's zxid %#x", ErrCorrupt, s)
}

// Close implements Storage.
func (m *Mem) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
