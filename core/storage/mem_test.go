package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMemCrashDropsUnsynced(t *testing.T) {
	m := NewMem()
	ctx := context.Background()
	require.NoError(t, m.SetEpochs(Epochs{Accepted: 2, Current: 1}))
	require.NoError(t, m.Append(entry(1, 1), entry(1, 2)))
	require.NoError(t, m.Sync(ctx))
	require.NoError(t, m.Append(entry(1, 3)))
	require.Equal(t, 1, m.Unsynced())
	m.Crash()
	rec, got := recoverAll(t, m)
	require.Equal(t, []Entry{entry(1, 1), entry(1, 2)}, got)
	require.Equal(t, Epochs{Accepted: 2, Current: 1}, rec.Epochs)
	require.Equal(t, zx(1, 2), m.LastZxid())

	// A truncation is durable, with what it keeps.
	require.NoError(t, m.Append(entry(1, 3)))
	require.NoError(t, m.TruncateAfter(zx(1, 1)))
	m.Crash()
	_, got = recoverAll(t, m)
	require.Equal(t, []Entry{entry(1, 1)}, got)
}

// TestMemTruncateKeepsUnsyncedUnsynced: append, truncate above what was
// synced, crash: the entries the truncation kept were never synced and
// are lost (TruncateAfter made them count as synced).
func TestMemTruncateKeepsUnsyncedUnsynced(t *testing.T) {
	m := NewMem()
	require.NoError(t, m.Append(entry(1, 1)))
	require.NoError(t, m.Sync(context.Background()))
	require.NoError(t, m.Append(entry(1, 2), entry(1, 3), entry(1, 4)))
	require.NoError(t, m.TruncateAfter(zx(1, 3)))
	require.Equal(t, 2, m.Unsynced(), "1:2 and 1:3 were kept but never synced")
	m.Crash()
	_, got := recoverAll(t, m)
	require.Equal(t, []Entry{entry(1, 1)}, got)
}

func TestMemCrashRandomKeepsAPrefix(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 1))
	for range 50 {
		m := NewMem()
		require.NoError(t, m.Append(entry(1, 1)))
		require.NoError(t, m.Sync(context.Background()))
		require.NoError(t, m.Append(entry(1, 2), entry(1, 3), entry(1, 4)))
		m.CrashRandom(r)
		_, got := recoverAll(t, m)
		require.GreaterOrEqual(t, len(got), 1)
		require.Equal(t, []Entry{entry(1, 1), entry(1, 2), entry(1, 3), entry(1, 4)}[:len(got)], got)
	}
}

func TestMemCopiesData(t *testing.T) {
	m := NewMem()
	d := []byte("abc")
	require.NoError(t, m.Append(Entry{Zxid: 1, Data: d}))
	d[0] = 'x'
	es, err := m.Entries(1, 1)
	require.NoError(t, err)
	require.Equal(t, "abc", string(es[0].Data))
	es[0].Data[0] = 'y'
	es, _ = m.Entries(1, 1)
	require.Equal(t, "abc", string(es[0].Data))
}

func TestMemPurge(t *testing.T) {
	m := NewMem()
	ctx := context.Background()
	for c := int64(1); c <= 10; c++ {
		require.NoError(t, m.Append(entry(1, c)))
	}
	require.NoError(t, m.SaveSnapshot(ctx, zx(1, 4), writePayload(1)))
	require.NoError(t, m.SaveSnapshot(ctx, zx(1, 8), writePayload(2)))
	require.NoError(t, m.Purge(1))
	require.Equal(t, zx(1, 9), m.FirstZxid())
	_, err := m.Entries(zx(1, 1), zx(1, 10))
	require.ErrorIs(t, err, ErrCompacted)
	rec, got := recoverAll(t, m)
	require.Equal(t, zx(1, 8), rec.Snapshot.Zxid)
	require.Equal(t, []Entry{entry(1, 9), entry(1, 10)}, got)
}

// TestMemBehavesLikeDisk runs one random sequence of operations and crashes
// on Mem and on Disk (whose crashes lose everything unsynced) and compares
// everything they return.
func TestMemBehavesLikeDisk(t *testing.T) {
	seed := testSeed(t)
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	for round := range rounds {
		r := rand.New(rand.NewPCG(seed, uint64(round)))
		compareTwins(t, r, fmt.Sprintf("round %d", round))
	}
}

func compareTwins(t *testing.T, r *rand.Rand, label string) {
	ctx := context.Background()
	mem := NewMem()
	fsys := newFaultFS()
	open := func(fsys FS) *Disk {
		d, err := Open("/t", WithFS(fsys), WithSegmentSize(512))
		require.NoError(t, err, label)
		return d
	}
	disk := open(fsys)
	defer func() { disk.Close() }()
	epoch, counter := int64(1), int64(0)
	newestSnap := int64(0)
	var history []string
	check := func(what string) {
		history = append(history, what)
		msg := fmt.Sprintf("%s after %v", label, history)
		require.Equal(t, mem.LastZxid(), disk.LastZxid(), msg)
		me, merr := mem.Entries(newestSnap+1, 1<<62)
		de, derr := disk.Entries(newestSnap+1, 1<<62)
		require.Equal(t, merr == nil, derr == nil, "%s: %v / %v", msg, merr, derr)
		require.Equal(t, zxids(me), zxids(de), msg)
	}
	for range 60 {
		switch op := r.IntN(10); {
		case op < 4:
			if r.IntN(5) == 0 {
				epoch, counter = epoch+1, 0
			}
			var es []Entry
			for range 1 + r.IntN(3) {
				counter++
				es = append(es, entry(epoch, counter))
			}
			require.NoError(t, mem.Append(es...))
			require.NoError(t, disk.Append(es...))
			check(fmt.Sprintf("append %s", zxids(es)))
		case op < 6:
			require.NoError(t, mem.Sync(ctx))
			require.NoError(t, disk.Sync(ctx))
			check("sync")
		case op == 6:
			last := mem.LastZxid()
			if last <= newestSnap {
				continue
			}
			z := newestSnap + r.Int64N(last-newestSnap+1)
			require.NoError(t, mem.TruncateAfter(z))
			require.NoError(t, disk.TruncateAfter(z))
			check(fmt.Sprintf("truncate %#x", z))
		case op == 7:
			ep := Epochs{Accepted: epoch, Current: epoch - int64(r.IntN(2))}
			require.NoError(t, mem.SetEpochs(ep))
			require.NoError(t, disk.SetEpochs(ep))
			check("epochs")
		case op == 8:
			if r.IntN(3) == 0 {
				epoch, counter = epoch+1, 5
				z := zx(epoch, counter)
				require.NoError(t, mem.InstallSnapshot(ctx, z, writePayload(z)))
				require.NoError(t, disk.InstallSnapshot(ctx, z, writePayload(z)))
				newestSnap = z
				check(fmt.Sprintf("install %#x", z))
			} else {
				z := mem.LastZxid()
				if z < newestSnap {
					continue
				}
				require.NoError(t, mem.SaveSnapshot(ctx, z, writePayload(z)))
				require.NoError(t, disk.SaveSnapshot(ctx, z, writePayload(z)))
				newestSnap = z
				check(fmt.Sprintf("snapshot %#x", z))
			}
		default:
			// Disk loses everything unsynced, except what a segment roll
			// happened to fsync; Mem is told to keep as many.
			require.NoError(t, disk.Close())
			fsys = fsys.crashImage(func(*inode, string, int) crashChoice { return crashChoice{} }, nil)
			disk = open(fsys)
			var mp, dp []byte
			var mg, dg []Entry
			var err error
			drec, err := disk.Recover(ctx, func(_ SnapshotMeta, rd io.Reader) error { dp, err = io.ReadAll(rd); return err },
				func(e Entry) error { dg = append(dg, e); return nil })
			require.NoError(t, err, label)
			kept := disk.LastZxid()
			mem.mu.Lock()
			n := 0
			for _, e := range mem.entries[mem.synced:] {
				if e.Zxid <= kept {
					n++
				}
			}
			mem.crashKeepingLocked(n)
			mem.mu.Unlock()
			mrec, err := mem.Recover(ctx, func(_ SnapshotMeta, rd io.Reader) error { mp, err = io.ReadAll(rd); return err },
				func(e Entry) error { mg = append(mg, e); return nil })
			require.NoError(t, err, label)
			drec.Snapshot.Size = mrec.Snapshot.Size
			require.Equal(t, mrec, drec, "%s after %v", label, history)
			require.True(t, bytes.Equal(mp, dp), label)
			require.Equal(t, mg, dg, label)
			if z := mem.LastZxid(); z>>32 > epoch || z>>32 == epoch && z&0xffffffff > counter {
				epoch, counter = z>>32, z&0xffffffff
			}
			check("crash")
		}
	}
}

func TestSnapTriggerIsRandomizedWithinBounds(t *testing.T) {
	seed := testSeed(t)
	seen := map[int]bool{}
	for i := range 20 {
		tr := NewSnapTrigger(100, 0, rand.New(rand.NewPCG(seed, uint64(i))))
		for range 5 {
			n := 1
			for !tr.Add(10) {
				n++
			}
			require.Greater(t, n, 50)
			require.LessOrEqual(t, n, 100)
			seen[n] = true
		}
	}
	require.Greater(t, len(seen), 1, "replicas must not snapshot in lockstep")

	tr := NewSnapTrigger(1_000_000, 1000, rand.New(rand.NewPCG(seed, 99)))
	total := 0
	for {
		total += 100
		if tr.Add(100) {
			break
		}
	}
	require.Greater(t, total, 500)
	require.LessOrEqual(t, total, 1100)
}
