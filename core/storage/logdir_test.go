package storage

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// This file tests WithLogDir: the log segments in a directory of their
// own, snapshots and epochs in the store's directory.

// dirFiles lists the regular files of dir by kind: "log", "snap",
// "epochs" or the name itself.
func dirFiles(t *testing.T, dir string) map[string][]string {
	t.Helper()
	names, err := OSFS{}.ReadDir(dir)
	require.NoError(t, err)
	out := map[string][]string{}
	for _, n := range names {
		kind := n
		if _, ok := parseSegName(n); ok {
			kind = "log"
		} else if _, ok := parseSnapName(n); ok {
			kind = "snap"
		}
		out[kind] = append(out[kind], n)
	}
	return out
}

func TestLogDirSeparate(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	data, logs := filepath.Join(root, "data"), filepath.Join(root, "txnlog", "nested") // created by Open
	opts := []Option{WithLogDir(logs), WithSegmentSize(512)}
	d := openTemp(t, data, opts...)
	require.Equal(t, data, d.Dir())
	require.Equal(t, logs, d.LogDir())
	require.NoError(t, d.SetEpochs(Epochs{Accepted: 2, Current: 2}))
	var all []Entry
	add := func(epoch, from, to int64) {
		for i := from; i <= to; i++ {
			e := entry(epoch, i)
			all = append(all, e)
			require.NoError(t, d.Append(e))
		}
		require.NoError(t, d.Sync(ctx))
	}
	add(1, 1, 20) // several size-based segments
	add(2, 1, 10) // a new epoch: a new segment
	require.NoError(t, d.SaveSnapshot(ctx, zx(2, 5), writePayload(zx(2, 5))))
	add(2, 11, 15)
	before := dirFiles(t, logs)["log"]
	require.NoError(t, d.SaveSnapshot(ctx, zx(2, 12), writePayload(zx(2, 12))))
	add(2, 16, 18)

	// Purge keeps the newest snapshot and removes, from the log directory,
	// every segment that only holds entries it covers.
	require.NoError(t, d.Purge(1))
	segs := dirFiles(t, logs)["log"]
	require.Less(t, len(segs), len(before), "purge removed no segment from the log dir (before %v, after %v)", before, segs)
	oldest, _ := parseSegName(segs[0])
	require.LessOrEqual(t, oldest, zx(2, 12), "purge removed a segment the kept snapshot needs: %v", segs)
	require.GreaterOrEqual(t, oldest, zx(2, 10), "a segment before the first snapshot's roll survived: %v", segs)
	es, err := d.Entries(zx(2, 13), zx(2, 18))
	require.NoError(t, err, "the log still holds what follows the kept snapshot")
	require.Equal(t, all[len(all)-6:], es)
	require.NoError(t, d.Close())

	// Nothing of the log in the data dir, nothing but the log in the log dir.
	df, lf := dirFiles(t, data), dirFiles(t, logs)
	require.Empty(t, df["log"], "segments in the data dir: %v", df)
	require.Len(t, df["snap"], 1, "data dir: %v", df)
	require.Len(t, df["epochs"], 1, "data dir: %v", df)
	require.Len(t, df, 2, "data dir holds other files: %v", df)
	require.NotEmpty(t, lf["log"])
	require.Len(t, lf, 1, "log dir holds other files: %v", lf)

	// A restart from the same directories resumes.
	var rec Recovered
	d = openTemp(t, data, opts...)
	defer d.Close()
	var snap []byte
	var got []Entry
	rec, err = d.Recover(ctx, func(m SnapshotMeta, r io.Reader) error {
		b, err := io.ReadAll(r)
		snap = b
		return err
	}, func(e Entry) error { got = append(got, e); return nil })
	require.NoError(t, err)
	require.Equal(t, Epochs{Accepted: 2, Current: 2}, rec.Epochs)
	require.Equal(t, zx(2, 12), rec.Snapshot.Zxid)
	require.Equal(t, snapPayload(zx(2, 12)), snap)
	require.Equal(t, all[len(all)-6:], got, "entries after the snapshot")
	require.Equal(t, zx(2, 18), rec.LastZxid)
}

// A store created without WithLogDir opens unchanged with the log
// directory set to its own directory.
func TestLogDirSameAsDir(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := openTemp(t, dir)
	require.NoError(t, d.Append(entry(1, 1), entry(1, 2)))
	require.NoError(t, d.Sync(ctx))
	require.NoError(t, d.SetEpochs(Epochs{Accepted: 1, Current: 1}))
	require.NoError(t, d.Close())
	for _, same := range []string{dir, dir + string(filepath.Separator), filepath.Join(dir, ".")} {
		d := openTemp(t, dir, WithLogDir(same))
		require.Equal(t, dir, d.LogDir())
		_, got := recoverAll(t, d)
		require.Equal(t, []Entry{entry(1, 1), entry(1, 2)}, got, "log dir %q", same)
		require.NoError(t, d.Close())
	}
	f := dirFiles(t, dir)
	require.Len(t, f["log"], 1)
	require.Len(t, f["epochs"], 1)
}

// Files of one directory found in the other mean the configuration changed
// or the directories were swapped: Open refuses rather than recover
// without them.
func TestLogDirMisconfigured(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()

	// A store kept in one directory, reopened with a separate log dir.
	one := filepath.Join(root, "one")
	d := openTemp(t, one)
	require.NoError(t, d.Append(entry(1, 1)))
	require.NoError(t, d.Sync(ctx))
	require.NoError(t, d.Close())
	other := filepath.Join(root, "newlog")
	_, err := Open(one, WithLogDir(other))
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "holds log segments")
	_, statErr := os.Stat(other)
	require.True(t, os.IsNotExist(statErr), "a refused Open created the log dir")

	// A store with a separate log dir, opened with the two swapped.
	data, logs := filepath.Join(root, "data"), filepath.Join(root, "log")
	d = openTemp(t, data, WithLogDir(logs))
	require.NoError(t, d.SetEpochs(Epochs{Accepted: 1, Current: 1}))
	require.NoError(t, d.Append(entry(1, 1)))
	require.NoError(t, d.Sync(ctx))
	require.NoError(t, d.SaveSnapshot(ctx, zx(1, 1), writePayload(zx(1, 1))))
	require.NoError(t, d.Close())
	_, err = Open(logs, WithLogDir(data))
	require.ErrorIs(t, err, ErrInvalid)

	// Snapshots or epochs in the log dir.
	for _, name := range []string{snapName(zx(1, 1)), epochsName} {
		stray := filepath.Join(logs, name)
		require.NoError(t, os.WriteFile(stray, []byte("x"), 0o644))
		_, err = Open(data, WithLogDir(logs))
		require.ErrorIs(t, err, ErrInvalid, name)
		require.True(t, strings.Contains(err.Error(), name) && strings.Contains(err.Error(), "belongs in the data directory"), "error: %v", err)
		require.NoError(t, os.Remove(stray))
	}

	// Put right, the store opens and recovers.
	d = openTemp(t, data, WithLogDir(logs))
	defer d.Close()
	rec, got := recoverAll(t, d)
	require.Equal(t, zx(1, 1), rec.Snapshot.Zxid)
	require.Empty(t, got)
	require.Equal(t, zx(1, 1), rec.LastZxid)
}

// syncDirFS records the directories an OSFS is asked to fsync.
type syncDirFS struct {
	OSFS
	synced []string
}

func (f *syncDirFS) SyncDir(dir string) error {
	f.synced = append(f.synced, dir)
	return f.OSFS.SyncDir(dir)
}

// Open creates missing directories (the data dir, the log dir and their
// parents) and fsyncs the parent of each, so that a crash cannot lose a new
// directory with the files synced in it; existing ones are left alone.
func TestOpenSyncsCreatedDirs(t *testing.T) {
	root := t.TempDir()
	data, logs := filepath.Join(root, "a", "data"), filepath.Join(root, "l", "log")
	fsys := &syncDirFS{}
	d := openTemp(t, data, WithFS(fsys), WithLogDir(logs))
	require.NoError(t, d.Close())
	for _, parent := range []string{root, filepath.Join(root, "a"), filepath.Join(root, "l")} {
		require.Contains(t, fsys.synced, parent, "parent of a created directory not synced")
	}
	require.Less(t, slices.Index(fsys.synced, root), slices.Index(fsys.synced, filepath.Join(root, "a")), "outermost first")

	fsys.synced = nil
	d = openTemp(t, data, WithFS(fsys), WithLogDir(logs))
	require.NoError(t, d.Close())
	for _, parent := range []string{root, filepath.Join(root, "a"), filepath.Join(root, "l")} {
		require.NotContains(t, fsys.synced, parent, "nothing created, nothing to sync")
	}
}
