package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func nopRestore(SnapshotMeta, io.Reader) error { return nil }

// recoverAll runs Recover and returns the replayed entries.
func recoverAll(t *testing.T, s Storage) (Recovered, []Entry) {
	t.Helper()
	var got []Entry
	rec, err := s.Recover(context.Background(), nopRestore, func(e Entry) error {
		got = append(got, e)
		return nil
	})
	require.NoError(t, err)
	return rec, got
}

func openTemp(t *testing.T, dir string, opts ...Option) *Disk {
	t.Helper()
	d, err := Open(dir, opts...)
	require.NoError(t, err)
	return d
}

func TestLogAppendSyncReopen(t *testing.T) {
	dir := t.TempDir()
	d := openTemp(t, dir, WithSegmentSize(4096))
	var want []Entry
	for i := int64(1); i <= 100; i++ {
		e := entry(1, i)
		want = append(want, e)
		require.NoError(t, d.Append(e))
	}
	require.NoError(t, d.Sync(context.Background()))
	require.Equal(t, zx(1, 1), d.FirstZxid())
	require.Equal(t, zx(1, 100), d.LastZxid())
	got, err := d.Entries(zx(1, 10), zx(1, 20))
	require.NoError(t, err)
	require.Equal(t, want[9:20], got)
	require.NoError(t, d.Close())

	// The segments are preallocated to the segment size, and reading them
	// back treats the zero tail as the end of the log, without a warning.
	names, err := OSFS{}.ReadDir(dir)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(names), 2, "4 KiB segments roll by size")
	for _, n := range names {
		st, err := os.Stat(filepath.Join(dir, n))
		require.NoError(t, err)
		require.GreaterOrEqual(t, st.Size(), int64(4096), n)
	}
	var logs bytes.Buffer
	d = openTemp(t, dir, WithSegmentSize(4096), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	defer d.Close()
	_, all := recoverAll(t, d)
	require.Equal(t, want, all)
	require.Empty(t, logs.String())
}

func TestLogRejectsBadAppends(t *testing.T) {
	d := openTemp(t, t.TempDir(), WithMaxEntrySize(10), WithSegmentSize(1<<16))
	defer d.Close()
	require.NoError(t, d.Append(Entry{Zxid: zx(1, 2), Data: []byte("a")}))
	require.ErrorIs(t, d.Append(Entry{Zxid: zx(1, 2)}), ErrOutOfOrder)
	require.ErrorIs(t, d.Append(Entry{Zxid: zx(1, 3)}, Entry{Zxid: zx(1, 1)}), ErrOutOfOrder)
	require.ErrorIs(t, d.Append(Entry{Zxid: zx(1, 3), Data: make([]byte, 11)}), ErrTooLarge)
	require.Equal(t, zx(1, 2), d.LastZxid(), "a refused batch appends nothing")
}

func TestLogNewSegmentPerEpochAndSnapshot(t *testing.T) {
	dir := t.TempDir()
	d := openTemp(t, dir, WithSegmentSize(1<<16))
	defer d.Close()
	ctx := context.Background()
	segs := func() []string {
		names, err := OSFS{}.ReadDir(dir)
		require.NoError(t, err)
		var out []string
		for _, n := range names {
			if strings.HasPrefix(n, "log.") {
				out = append(out, n)
			}
		}
		return out
	}
	require.NoError(t, d.Append(entry(1, 1), entry(1, 2)))
	require.Equal(t, []string{segName(0)}, segs())
	require.NoError(t, d.Append(entry(2, 1)))
	require.Equal(t, []string{segName(0), segName(zx(1, 2))}, segs())
	require.NoError(t, d.SaveSnapshot(ctx, zx(2, 1), writePayload(1)))
	require.Equal(t, []string{segName(0), segName(zx(1, 2)), segName(zx(2, 1))}, segs())
	// An empty active segment is not rolled again.
	require.NoError(t, d.SaveSnapshot(ctx, zx(2, 1), writePayload(1)))
	require.Len(t, segs(), 3)
	require.NoError(t, d.Sync(ctx))
}

func TestLogTruncateAfter(t *testing.T) {
	dir := t.TempDir()
	d := openTemp(t, dir, WithSegmentSize(512))
	ctx := context.Background()
	var all []Entry
	for ep := int64(1); ep <= 3; ep++ {
		for c := int64(1); c <= 10; c++ {
			all = append(all, entry(ep, c))
		}
	}
	require.NoError(t, d.Append(all...))
	require.NoError(t, d.Sync(ctx))

	require.NoError(t, d.TruncateAfter(zx(2, 4)))
	require.Equal(t, zx(2, 4), d.LastZxid())
	got, err := d.Entries(0, zx(9, 0))
	require.NoError(t, err)
	require.Equal(t, all[:14], got)
	// Truncating at or after the end is a no-op.
	require.NoError(t, d.TruncateAfter(zx(5, 0)))
	require.Equal(t, zx(2, 4), d.LastZxid())
	// A zxid between entries keeps the ones below it.
	require.NoError(t, d.TruncateAfter(zx(2, 0)))
	require.Equal(t, zx(1, 10), d.LastZxid())
	require.NoError(t, d.Append(entry(4, 1)))
	require.NoError(t, d.Sync(ctx))
	require.NoError(t, d.Close())

	d = openTemp(t, dir, WithSegmentSize(512))
	defer d.Close()
	_, got = recoverAll(t, d)
	require.Equal(t, append(slices.Clone(all[:10]), entry(4, 1)), got)
	require.NoError(t, d.TruncateAfter(0))
	require.Equal(t, int64(0), d.LastZxid())
	require.Equal(t, int64(0), d.FirstZxid())
}

func TestEntriesAfterPurgeIsCompacted(t *testing.T) {
	d := openTemp(t, t.TempDir(), WithSegmentSize(256))
	defer d.Close()
	ctx := context.Background()
	for c := int64(1); c <= 40; c++ {
		require.NoError(t, d.Append(entry(1, c)))
	}
	require.NoError(t, d.SaveSnapshot(ctx, zx(1, 20), writePayload(1)))
	require.NoError(t, d.SaveSnapshot(ctx, zx(1, 30), writePayload(2)))
	require.NoError(t, d.Purge(1))
	snaps, err := d.Snapshots()
	require.NoError(t, err)
	require.Equal(t, []SnapshotMeta{{Zxid: zx(1, 30), Size: int64(len(snapPayload(2)))}}, snaps)
	first := d.FirstZxid()
	require.Greater(t, first, zx(1, 1), "old segments purged")
	require.LessOrEqual(t, first, zx(1, 31), "the log after the kept snapshot stays")
	_, err = d.Entries(zx(1, 1), zx(1, 40))
	require.ErrorIs(t, err, ErrCompacted)
	require.ErrorIs(t, d.TruncateAfter(zx(1, 0)), ErrCompacted)
	got, err := d.Entries(zx(1, 31), zx(1, 40))
	require.NoError(t, err)
	require.Len(t, got, 10)
	require.ErrorIs(t, d.Purge(0), ErrInvalid)
}

func TestAutoPurge(t *testing.T) {
	dir := t.TempDir()
	d := openTemp(t, dir, WithSegmentSize(256), WithAutoPurge(2))
	ctx := context.Background()
	for c := int64(1); c <= 50; c++ {
		require.NoError(t, d.Append(entry(1, c)))
		if c%10 == 0 {
			require.NoError(t, d.SaveSnapshot(ctx, zx(1, c), writePayload(zx(1, c))))
		}
	}
	snaps, err := d.Snapshots()
	require.NoError(t, err)
	require.Equal(t, []SnapshotMeta{
		{Zxid: zx(1, 40), Size: int64(len(snapPayload(zx(1, 40))))},
		{Zxid: zx(1, 50), Size: int64(len(snapPayload(zx(1, 50))))},
	}, snaps)
	require.NoError(t, d.Sync(ctx))
	require.NoError(t, d.Close())
	d = openTemp(t, dir, WithSegmentSize(256))
	defer d.Close()
	var payload []byte
	rec, err := d.Recover(ctx, func(m SnapshotMeta, r io.Reader) error {
		payload, err = io.ReadAll(r)
		return err
	}, func(Entry) error { return nil })
	require.NoError(t, err)
	require.Equal(t, zx(1, 50), rec.Snapshot.Zxid)
	require.Equal(t, snapPayload(zx(1, 50)), payload)
}

func TestGroupCommitCoversEverythingAppendedDuringAnFsync(t *testing.T) {
	fsys := newFaultFS()
	d, err := Open("/g", WithFS(fsys), WithSegmentSize(1<<16))
	require.NoError(t, err)
	defer d.Close()
	ctx := context.Background()

	// The first fsync blocks until released.
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	fsys.mu.Lock()
	fsys.syncHook = func() {
		once.Do(func() {
			close(entered)
			<-release
		})
	}
	fsys.mu.Unlock()
	require.NoError(t, d.Append(entry(1, 1)))
	before := d.Stats().Fsyncs
	first := make(chan error, 1)
	go func() { first <- d.Sync(ctx) }()
	<-entered
	// While it runs, 50 more records arrive.
	const n = 50
	for i := int64(2); i <= n+1; i++ {
		require.NoError(t, d.Append(entry(1, i)))
	}
	close(release)
	require.NoError(t, <-first)
	// Their 50 Sync calls share a single fsync.
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() { errs <- d.Sync(ctx) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int64(2), d.Stats().Fsyncs-before)

	// And they are durable: a crash that loses everything unsynced keeps them.
	img := fsys.crashImage(func(*inode, string, int) crashChoice { return crashChoice{} }, nil)
	d2, err := Open("/g", WithFS(img), WithSegmentSize(1<<16))
	require.NoError(t, err)
	defer d2.Close()
	_, got := recoverAll(t, d2)
	require.Len(t, got, n+1)
}

func TestConcurrentAppendersSyncedSurviveCrash(t *testing.T) {
	fsys := newFaultFS()
	d, err := Open("/c", WithFS(fsys), WithSegmentSize(2048))
	require.NoError(t, err)
	ctx := context.Background()
	var mu sync.Mutex // appends need increasing zxids: a shared counter
	next := int64(0)
	synced := map[int64]bool{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for range 40 {
				mu.Lock()
				next++
				e := Entry{Zxid: zx(1, next), Data: []byte(fmt.Sprintf("w%d-%d", w, next))}
				err := d.Append(e)
				mu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
				if err := d.Sync(ctx); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				synced[e.Zxid] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	st := d.Stats()
	require.Equal(t, int64(320), st.Appended)
	require.NoError(t, d.Close())
	img := fsys.crashImage(func(*inode, string, int) crashChoice { return crashChoice{} }, nil)
	d2, err := Open("/c", WithFS(img), WithSegmentSize(2048))
	require.NoError(t, err)
	defer d2.Close()
	_, got := recoverAll(t, d2)
	require.Len(t, got, 320)
	for i, e := range got {
		require.Equal(t, zx(1, int64(i+1)), e.Zxid)
		require.True(t, synced[e.Zxid])
	}
}

func TestSyncHonoursContextWhileWaiting(t *testing.T) {
	fsys := newFaultFS()
	d, err := Open("/x", WithFS(fsys), WithSegmentSize(1<<16))
	require.NoError(t, err)
	defer d.Close()
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	fsys.mu.Lock()
	fsys.syncHook = func() { once.Do(func() { close(entered); <-release }) }
	fsys.mu.Unlock()
	require.NoError(t, d.Append(entry(1, 1)))
	first := make(chan error, 1)
	go func() { first <- d.Sync(context.Background()) }()
	<-entered
	require.NoError(t, d.Append(entry(1, 2)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, d.Sync(ctx), context.Canceled)
	close(release)
	require.NoError(t, <-first)
	require.NoError(t, d.Sync(context.Background()))
}

func TestFsyncFailureIsSticky(t *testing.T) {
	fsys := newFaultFS()
	d, err := Open("/f", WithFS(fsys), WithSegmentSize(1<<16))
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Append(entry(1, 1)))
	fsys.mu.Lock()
	fsys.failAt = fsys.ops + 1 // the write succeeds, the fsync fails
	fsys.mu.Unlock()
	err = d.Sync(context.Background())
	require.ErrorIs(t, err, ErrFailed)
	require.ErrorIs(t, err, errInjected)
	require.ErrorIs(t, d.Append(entry(1, 2)), ErrFailed)
	require.ErrorIs(t, d.Sync(context.Background()), ErrFailed)
	require.ErrorIs(t, d.TruncateAfter(0), ErrFailed)
}

func TestClosedStore(t *testing.T) {
	d := openTemp(t, t.TempDir(), WithSegmentSize(1<<16))
	require.NoError(t, d.Close())
	require.ErrorIs(t, d.Append(entry(1, 1)), ErrClosed)
	require.ErrorIs(t, d.Sync(context.Background()), ErrClosed)
	_, err := d.Entries(0, 1)
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, d.Close(), "Close is idempotent")
}

func TestEpochsDurable(t *testing.T) {
	dir := t.TempDir()
	d := openTemp(t, dir, WithSegmentSize(1<<16))
	ep, err := d.Epochs()
	require.NoError(t, err)
	require.Equal(t, Epochs{}, ep)
	require.NoError(t, d.SetEpochs(Epochs{Accepted: 5, Current: 4}))
	require.ErrorIs(t, d.SetEpochs(Epochs{Accepted: -1}), ErrInvalid)
	require.NoError(t, d.Close())
	d = openTemp(t, dir, WithSegmentSize(1<<16))
	defer d.Close()
	ep, err = d.Epochs()
	require.NoError(t, err)
	require.Equal(t, Epochs{Accepted: 5, Current: 4}, ep)
	_, err = os.Stat(filepath.Join(dir, "epochs.tmp"))
	require.True(t, errors.Is(err, os.ErrNotExist))
}

func TestAppendsContinueWhileASnapshotIsWritten(t *testing.T) {
	d := openTemp(t, t.TempDir(), WithSegmentSize(1<<16))
	defer d.Close()
	ctx := context.Background()
	require.NoError(t, d.Append(entry(1, 1)))
	inWrite, proceed := make(chan struct{}), make(chan struct{})
	saved := make(chan error, 1)
	go func() {
		saved <- d.SaveSnapshot(ctx, zx(1, 1), func(w io.Writer) error {
			close(inWrite)
			<-proceed
			_, err := w.Write([]byte("tree at 1/1"))
			return err
		})
	}()
	<-inWrite
	// The snapshot is being written: the log still takes appends and syncs.
	require.NoError(t, d.Append(entry(1, 2), entry(1, 3)))
	require.NoError(t, d.Sync(ctx))
	close(proceed)
	require.NoError(t, <-saved)
	_, got := recoverAll(t, d)
	require.Equal(t, []Entry{entry(1, 2), entry(1, 3)}, got)
}

func TestEntriesRandomRanges(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 3))
	dir := t.TempDir()
	d := openTemp(t, dir, WithSegmentSize(1<<20))
	var all []Entry
	for ep := int64(1); ep <= 3; ep++ {
		for c := int64(1); c <= 3000; c++ {
			e := Entry{Zxid: zx(ep, 2*c), Data: make([]byte, r.IntN(200))} // odd zxids are gaps
			all = append(all, e)
		}
	}
	require.NoError(t, d.Append(all...))
	check := func(label string, d *Disk, all []Entry) {
		for range 50 {
			i, j := r.IntN(len(all)), r.IntN(len(all))
			if i > j {
				i, j = j, i
			}
			from, to := all[i].Zxid, all[j].Zxid
			if r.IntN(2) == 0 {
				from-- // a gap
			}
			got, err := d.Entries(from, to)
			require.NoError(t, err, label)
			want := all[i : j+1]
			if zxids(want) != zxids(got) {
				k := 0
				for k < len(want) && k < len(got) && want[k].Zxid == got[k].Zxid {
					k++
				}
				t.Fatalf("%s: [%#x, %#x]: got %d entries, want %d; first difference at %d", label, from, to, len(got), len(want), k)
			}
		}
	}
	check("buffered", d, all)
	require.NoError(t, d.Sync(context.Background()))
	require.NoError(t, d.TruncateAfter(zx(2, 3000)))
	all = all[:4500]
	check("truncated", d, all)
	require.NoError(t, d.Close())
	d = openTemp(t, dir, WithSegmentSize(1<<20))
	defer d.Close()
	check("reopened", d, all)
}

func TestAppendsContinueDuringARangeRead(t *testing.T) {
	d := openTemp(t, t.TempDir(), WithSegmentSize(1<<16))
	defer d.Close()
	ctx := context.Background()
	for c := int64(1); c <= 100; c++ {
		require.NoError(t, d.Append(entry(1, c)))
	}
	require.NoError(t, d.Sync(ctx))
	next := int64(101)
	n := 0
	// The log is read without its lock: appending and syncing from inside
	// the read does not deadlock, and the read sees only what existed.
	err := d.log.scan(zx(1, 1), zx(1, 1000), func(e Entry) error {
		n++
		if next <= 110 {
			if err := d.Append(entry(1, next)); err != nil {
				return err
			}
			next++
			return d.Sync(ctx)
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 100, n)
	require.Equal(t, zx(1, 110), d.LastZxid())
	require.NoError(t, d.TruncateAfter(zx(1, 105)), "truncation after the read ends")
}
