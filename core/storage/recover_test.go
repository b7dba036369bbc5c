package storage

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// damageFixture is a closed store on a faultFS with three epochs of ten
// entries each, one segment per epoch (and more by size).
type damageFixture struct {
	fs      *faultFS
	entries []Entry
	logs    *bytes.Buffer
}

func newDamageFixture(t *testing.T) *damageFixture {
	t.Helper()
	f := &damageFixture{fs: newFaultFS(), logs: &bytes.Buffer{}}
	d, err := Open("/d", WithFS(f.fs), WithSegmentSize(1<<12))
	require.NoError(t, err)
	for ep := int64(1); ep <= 3; ep++ {
		for c := int64(1); c <= 10; c++ {
			e := entry(ep, c)
			f.entries = append(f.entries, e)
			require.NoError(t, d.Append(e))
		}
	}
	require.NoError(t, d.Sync(context.Background()))
	require.NoError(t, d.Close())
	return f
}

func (f *damageFixture) open() (*Disk, error) {
	return Open("/d", WithFS(f.fs), WithSegmentSize(1<<12), WithLogger(slog.New(slog.NewTextHandler(f.logs, nil))))
}

func (f *damageFixture) segPath(epochIndex int) string {
	prev := int64(0)
	if epochIndex > 0 {
		prev = zx(int64(epochIndex), 10)
	}
	return filepath.Join("/d", segName(prev))
}

// recordOffset is the offset of the i-th record of a segment holding
// entries es.
func recordOffset(es []Entry, i int) int {
	off := segHeaderSize
	for _, e := range es[:i] {
		off += recHeaderSize + len(e.Data)
	}
	return off
}

func (f *damageFixture) mutate(path string, fn func(b []byte)) {
	b := bytes.Clone(f.fs.bytesOf(path))
	fn(b)
	f.fs.setBytes(path, b)
}

func TestTornTailIsTruncatedWithWarning(t *testing.T) {
	f := newDamageFixture(t)
	last := f.segPath(2)
	es := f.entries[20:]
	// The last record is half written: its second half is garbage.
	f.mutate(last, func(b []byte) {
		off := recordOffset(es, 9) + recHeaderSize + len(es[9].Data)/2
		for i := off; i < recordOffset(es, 10); i++ {
			b[i] = 0xAB
		}
	})
	d, err := f.open()
	require.NoError(t, err)
	_, got := recoverAll(t, d)
	require.Equal(t, f.entries[:29], got)
	require.Contains(t, f.logs.String(), "truncating torn log tail")
	require.Contains(t, f.logs.String(), "record checksum mismatch")
	// The tail is zeroed, and appending continues where the log ends.
	require.NoError(t, d.Append(entry(3, 10)))
	require.NoError(t, d.Sync(context.Background()))
	require.NoError(t, d.Close())
	f.logs.Reset()
	d, err = f.open()
	require.NoError(t, err)
	defer d.Close()
	_, got = recoverAll(t, d)
	require.Equal(t, f.entries, got)
	require.Empty(t, f.logs.String(), "the repaired log reopens without warnings")
}

func TestShortTailIsTruncated(t *testing.T) {
	f := newDamageFixture(t)
	last := f.segPath(2)
	es := f.entries[20:]
	// Cut the file inside the last record (no preallocation left).
	f.mutate(last, func(b []byte) {})
	b := f.fs.bytesOf(last)
	f.fs.setBytes(last, b[:recordOffset(es, 9)+7])
	d, err := f.open()
	require.NoError(t, err)
	defer d.Close()
	_, got := recoverAll(t, d)
	require.Equal(t, f.entries[:29], got)
	require.Contains(t, f.logs.String(), "short record header")
}

func TestDamageBeforeTheTailRefusesToStart(t *testing.T) {
	cases := []struct {
		name   string
		damage func(f *damageFixture)
		want   string
	}{
		{"bit flip in a middle record of the last segment", func(f *damageFixture) {
			f.mutate(f.segPath(2), func(b []byte) { b[recordOffset(f.entries[20:], 4)+recHeaderSize+1] ^= 1 })
		}, "followed by a valid record"},
		{"zeroed middle record header in the last segment", func(f *damageFixture) {
			f.mutate(f.segPath(2), func(b []byte) {
				off := recordOffset(f.entries[20:], 3)
				clear(b[off : off+recHeaderSize])
			})
		}, "followed by a valid record"},
		{"bit flip in the last record of a sealed segment", func(f *damageFixture) {
			f.mutate(f.segPath(1), func(b []byte) { b[recordOffset(f.entries[10:], 9)+recHeaderSize] ^= 0x80 })
		}, "sealed segment"},
		{"missing middle segment", func(f *damageFixture) {
			require.NoError(t, f.fs.Remove(f.segPath(1)))
		}, "missing or damaged segment"},
		{"bad header of a sealed segment", func(f *damageFixture) {
			f.mutate(f.segPath(0), func(b []byte) { b[9] ^= 1 })
		}, "bad segment header"},
		{"damaged epochs file", func(f *damageFixture) {
			require.NoError(t, writeFileAtomic(f.fs, "/d", epochsName, []byte("garbage")))
		}, "epochs file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newDamageFixture(t)
			tc.damage(f)
			d, err := f.open()
			if err == nil {
				d.Close()
			}
			require.ErrorIs(t, err, ErrCorrupt)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestTornHeaderOfNewestSegmentIsRemoved(t *testing.T) {
	f := newDamageFixture(t)
	f.mutate(f.segPath(2), func(b []byte) { clear(b[10:segHeaderSize]) })
	d, err := f.open()
	require.NoError(t, err)
	defer d.Close()
	_, got := recoverAll(t, d)
	require.Equal(t, f.entries[:20], got)
	require.Contains(t, f.logs.String(), "torn header")
}

func TestSnapshotChecksumFailureFallsBack(t *testing.T) {
	f := newDamageFixture(t)
	d, err := f.open()
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, d.SaveSnapshot(ctx, zx(1, 5), writePayload(zx(1, 5))))
	require.NoError(t, d.SaveSnapshot(ctx, zx(2, 5), writePayload(zx(2, 5))))
	require.NoError(t, d.Close())
	f.mutate(filepath.Join("/d", snapName(zx(2, 5))), func(b []byte) { b[snapHeaderSize+3] ^= 1 })

	d, err = f.open()
	require.NoError(t, err)
	defer d.Close()
	var payload []byte
	var got []Entry
	rec, err := d.Recover(ctx, func(m SnapshotMeta, r io.Reader) error {
		payload, err = io.ReadAll(r)
		return err
	}, func(e Entry) error { got = append(got, e); return nil })
	require.NoError(t, err)
	require.Equal(t, zx(1, 5), rec.Snapshot.Zxid)
	require.Equal(t, snapPayload(zx(1, 5)), payload)
	require.Equal(t, f.entries[5:], got)
	require.Equal(t, 25, rec.Replayed)
	require.Equal(t, zx(3, 10), rec.LastZxid)
	require.Contains(t, f.logs.String(), "snapshot checksum mismatch")
}

func TestNoValidSnapshotAfterPurgeRefuses(t *testing.T) {
	f := newDamageFixture(t)
	d, err := f.open()
	require.NoError(t, err)
	require.NoError(t, d.SaveSnapshot(context.Background(), zx(3, 2), writePayload(1)))
	require.NoError(t, d.Purge(1))
	require.NoError(t, d.Close())
	f.mutate(filepath.Join("/d", snapName(zx(3, 2))), func(b []byte) { b[len(b)-1] ^= 1 })
	d, err = f.open()
	require.NoError(t, err)
	defer d.Close()
	_, err = d.Recover(context.Background(), nopRestore, func(Entry) error { return nil })
	require.ErrorIs(t, err, ErrCorrupt)
	require.Contains(t, err.Error(), "no valid snapshot")
}

func TestSnapshotMustJoinTheLog(t *testing.T) {
	f := newDamageFixture(t)
	d, err := f.open()
	require.NoError(t, err)
	defer d.Close()
	// zxid 1/11 was never logged: the snapshot does not come from this log.
	require.NoError(t, d.SaveSnapshot(context.Background(), zx(1, 11), writePayload(1)))
	_, err = d.Recover(context.Background(), nopRestore, func(Entry) error { return nil })
	require.ErrorIs(t, err, ErrCorrupt)
	require.Contains(t, err.Error(), "does not contain the snapshot's zxid")
}

func TestLogBehindSnapshotRestartsAfterIt(t *testing.T) {
	f := newDamageFixture(t)
	d, err := f.open()
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.SaveSnapshot(context.Background(), zx(4, 7), writePayload(1)))
	rec, got := recoverAll(t, d)
	require.Empty(t, got)
	require.Equal(t, zx(4, 7), rec.LastZxid)
	require.Equal(t, zx(4, 7), d.LastZxid())
	require.Contains(t, f.logs.String(), "log ends before the snapshot")
	require.ErrorIs(t, d.Append(entry(4, 7)), ErrOutOfOrder)
	require.NoError(t, d.Append(entry(4, 8)))
}

func TestInstallSnapshotResetsTheLog(t *testing.T) {
	f := newDamageFixture(t)
	d, err := f.open()
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, d.InstallSnapshot(ctx, zx(5, 3), writePayload(zx(5, 3))))
	require.Equal(t, zx(5, 3), d.LastZxid())
	require.Equal(t, int64(0), d.FirstZxid())
	require.NoError(t, d.Append(entry(5, 4)))
	require.NoError(t, d.Sync(ctx))
	require.NoError(t, d.Close())
	d, err = f.open()
	require.NoError(t, err)
	defer d.Close()
	rec, got := recoverAll(t, d)
	require.True(t, rec.Snapshot.Installed)
	snaps, err := d.Snapshots()
	require.NoError(t, err)
	require.Equal(t, []SnapshotMeta{rec.Snapshot}, snaps)
	require.Equal(t, []Entry{entry(5, 4)}, got)
	names, err := f.fs.ReadDir("/d")
	require.NoError(t, err)
	require.Equal(t, "log.0000000500000003,snap.0000000500000003", strings.Join(names, ","))
}

func TestOpenSnapshotNone(t *testing.T) {
	f := newDamageFixture(t)
	d, err := f.open()
	require.NoError(t, err)
	defer d.Close()
	_, _, err = d.OpenSnapshot()
	require.ErrorIs(t, err, ErrNoSnapshot)
	require.ErrorIs(t, d.SaveSnapshot(context.Background(), -1, writePayload(1)), ErrInvalid)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, d.SaveSnapshot(ctx, 5, writePayload(1)), context.Canceled)
	names, err := f.fs.ReadDir("/d")
	require.NoError(t, err)
	for _, n := range names {
		require.False(t, strings.HasSuffix(n, ".tmp"), "an aborted snapshot leaves no temp file")
	}
}
