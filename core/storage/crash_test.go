package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// This file enumerates every crash point of a workload that exercises log
// append, sync, segment rolls, truncation, epoch writes, snapshot saves,
// snapshot installs and purges, and checks after each that recovery
// returns a synced prefix: nothing synced is lost, nothing corrupt or out
// of order is replayed.
//
// What "synced prefix" means depends on the restart image:
//
//   - In the image that keeps exactly what the file system made durable
//     (loseUnsynced: every write, truncate and namespace change not covered
//     by a completed fsync is lost), recovery must return exactly the
//     entries after the snapshot whose records the fault fs made durable,
//     byte for byte, in durably named log segments (durableEntries, read
//     from the fs's bookkeeping, not from the image). That is every entry
//     whose Sync returned, plus durable ones the model does not count as
//     synced: entries an fsync covered before the Sync that would
//     acknowledge them returned (a roll during Append or a snapshot
//     fdatasyncs the segment it seals), and old entries a crash-interrupted
//     TruncateAfter or InstallSnapshot had not yet durably removed. Nothing
//     durable is lost and nothing else is replayed. (The model's synced
//     count alone is not exact: at the roll in "append 4 entries from
//     1/5" the unsynced 1/4 is already durable.)
//   - In images where the disk also kept unsynced writes, a record that
//     reached the disk whole (length, CRC and data intact) cannot be told
//     from a synced one, so recovery replays it; only a prefix holding
//     every synced entry is required. This is harmless for ZAB: a replica
//     acknowledges an entry (ACK of a proposal, or of NEWLEADER) only after
//     Sync returned, so an unsynced entry never counted toward a quorum,
//     and having it survive is the state a crash just after its Sync would
//     leave; the new leader's DIFF, TRUNC or SNAP settles it like any other
//     uncommitted proposal. Torn or garbage records are never replayed
//     (entries are compared byte for byte).

const (
	crashDir    = "/data"
	crashLogDir = "/txnlog"
)

// crashLayout is where a crash test keeps its files: logDir "" keeps the
// log with the snapshots in crashDir, as without WithLogDir.
type crashLayout struct {
	name   string
	logDir string
}

var crashLayouts = []crashLayout{{"one dir", ""}, {"separate log dir", crashLogDir}}

func zx(epoch, counter int64) int64 { return epoch<<32 | counter }

func entry(epoch, counter int64) Entry {
	z := zx(epoch, counter)
	// Sizes vary so records straddle segment boundaries differently.
	n := int(z%97) + 5
	d := make([]byte, n)
	for i := range d {
		d[i] = byte(z>>uint(i%8*8)) ^ byte(i)
	}
	return Entry{Zxid: z, Data: d}
}

func snapPayload(zxid int64) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("snapshot-%x|", zxid)), 40)
}

// model is what the workload has done, as the store must reflect it.
type model struct {
	log     []Entry // entries since the last install, oldest first
	durable int     // log[:durable] were synced
	epochs  Epochs
	snaps   map[int64][]byte // durable snapshots by zxid
	newest  int64            // newest durable snapshot, -1 if none
}

func (m model) clone() model {
	c := m
	c.log = slices.Clone(m.log)
	c.snaps = map[int64][]byte{}
	for k, v := range m.snaps {
		c.snaps[k] = v
	}
	return c
}

type crashStep struct {
	name string
	run  func(ctx context.Context, d *Disk) error
	// model updates m to the step's final state and returns the states a
	// crash during the step may leave, including the final one.
	model func(m *model) []model
}

func appendStep(sync bool, es ...Entry) crashStep {
	return crashStep{
		name: fmt.Sprintf("append %d entries from %#x (sync %v)", len(es), es[0].Zxid, sync),
		run: func(ctx context.Context, d *Disk) error {
			for _, e := range es {
				if err := d.Append(e); err != nil {
					return err
				}
			}
			if sync {
				return d.Sync(ctx)
			}
			return nil
		},
		model: func(m *model) []model {
			m.log = append(m.log, es...)
			mid := m.clone()
			if sync {
				m.durable = len(m.log)
			}
			return []model{mid, m.clone()}
		},
	}
}

func epochStep(a, c int64) crashStep {
	return crashStep{
		name:  fmt.Sprintf("set epochs %d/%d", a, c),
		run:   func(_ context.Context, d *Disk) error { return d.SetEpochs(Epochs{a, c}) },
		model: func(m *model) []model { m.epochs = Epochs{a, c}; return []model{m.clone()} },
	}
}

func truncStep(z int64) crashStep {
	return crashStep{
		name: fmt.Sprintf("truncate after %#x", z),
		run:  func(_ context.Context, d *Disk) error { return d.TruncateAfter(z) },
		model: func(m *model) []model {
			i := 0
			for i < len(m.log) && m.log[i].Zxid <= z {
				i++
			}
			// Midway, the old log may be cut anywhere after z.
			mid := m.clone()
			mid.durable = min(mid.durable, i)
			m.log = m.log[:i]
			m.durable = i
			return []model{mid, m.clone()}
		},
	}
}

func writePayload(z int64) func(io.Writer) error {
	return func(w io.Writer) error {
		p := snapPayload(z)
		// Several writes, like an encoder would do.
		for len(p) > 0 {
			n := min(len(p), 100)
			if _, err := w.Write(p[:n]); err != nil {
				return err
			}
			p = p[n:]
		}
		return nil
	}
}

func snapStep(z int64) crashStep {
	return crashStep{
		name: fmt.Sprintf("save snapshot %#x", z),
		run:  func(ctx context.Context, d *Disk) error { return d.SaveSnapshot(ctx, z, writePayload(z)) },
		model: func(m *model) []model {
			m.snaps[z] = snapPayload(z)
			m.newest = max(m.newest, z)
			return []model{m.clone()}
		},
	}
}

func installStep(z int64) crashStep {
	return crashStep{
		name: fmt.Sprintf("install snapshot %#x", z),
		run:  func(ctx context.Context, d *Disk) error { return d.InstallSnapshot(ctx, z, writePayload(z)) },
		model: func(m *model) []model {
			m.snaps[z] = snapPayload(z)
			m.newest = max(m.newest, z)
			// Snapshot durable, old log being discarded: any prefix of it.
			mid := m.clone()
			mid.durable = 0
			m.log, m.durable = nil, 0
			return []model{mid, m.clone()}
		},
	}
}

func purgeStep(keep int) crashStep {
	return crashStep{
		name:  fmt.Sprintf("purge keep %d", keep),
		run:   func(_ context.Context, d *Disk) error { return d.Purge(keep) },
		model: func(m *model) []model { return []model{m.clone()} },
	}
}

func crashWorkload() []crashStep {
	return []crashStep{
		epochStep(1, 0),
		appendStep(true, entry(1, 1), entry(1, 2), entry(1, 3)),
		appendStep(false, entry(1, 4)),
		epochStep(1, 1),
		appendStep(true, entry(1, 5), entry(1, 6), entry(1, 7), entry(1, 8)),
		snapStep(zx(1, 6)),
		appendStep(true, entry(2, 1), entry(2, 2)), // new epoch: new segment
		truncStep(zx(2, 1)),
		appendStep(false, entry(2, 3)),
		appendStep(true, entry(2, 4)),
		truncStep(zx(1, 7)), // across segments
		epochStep(3, 3),
		appendStep(true, entry(3, 1), entry(3, 2), entry(3, 3)),
		snapStep(zx(3, 2)),
		purgeStep(1),
		appendStep(true, entry(3, 4)),
		installStep(zx(3, 10)),
		appendStep(true, entry(3, 11), entry(3, 12)),
		snapStep(zx(3, 11)),
		purgeStep(2),
		appendStep(false, entry(3, 13)),
	}
}

const crashSegSize = 300 // small: size-based rolls happen too

func openCrashDisk(fsys FS, lay crashLayout) (*Disk, error) {
	return Open(crashDir, WithFS(fsys), WithLogDir(lay.logDir), WithSegmentSize(crashSegSize), WithMaxEntrySize(1<<10))
}

// runCrashWorkload runs the workload on fsys until it completes or a step
// fails; it returns the states recovery may find: the model before the
// failing step and those the step passes through. After a complete run it
// is the final model.
func runCrashWorkload(t *testing.T, fsys *faultFS, lay crashLayout) (ok []model, failed string) {
	t.Helper()
	ctx := context.Background()
	m := model{snaps: map[int64][]byte{}, newest: -1}
	d, err := openCrashDisk(fsys, lay)
	if err != nil {
		if !errors.Is(err, errCrashed) {
			t.Fatalf("open: %v", err)
		}
		return []model{m}, "open"
	}
	defer d.Close()
	for _, s := range crashWorkload() {
		pre := m.clone()
		states := s.model(&m)
		if err := s.run(ctx, d); err != nil {
			if !errors.Is(err, errCrashed) {
				t.Fatalf("%s: %v", s.name, err)
			}
			return append([]model{pre}, states...), s.name
		}
	}
	return []model{m}, ""
}

// checkRecovery opens the crashed image and checks that what Recover
// returns matches one of the acceptable states. If durable is not nil (the
// image lost everything unsynced), the entries must be exactly those the
// fs made durable.
func checkRecovery(fsys FS, lay crashLayout, states []model, durable func(Entry) bool) error {
	d, err := openCrashDisk(fsys, lay)
	if err != nil {
		return fmt.Errorf("open after crash: %w", err)
	}
	defer d.Close()
	var snapData []byte
	var got []Entry
	rec, err := d.Recover(context.Background(), func(meta SnapshotMeta, r io.Reader) error {
		b, err := io.ReadAll(r)
		snapData = b
		return err
	}, func(e Entry) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	s := rec.Snapshot.Zxid
	var reasons []string
	for i, m := range states {
		if err := matchState(rec.Epochs, snapData, s, got, m, durable); err != nil {
			reasons = append(reasons, fmt.Sprintf("state %d: %v", i, err))
			continue
		}
		return checkContinues(d, got, s)
	}
	return fmt.Errorf("recovered epochs %+v, snapshot %#x (present %v), entries %s; matches no acceptable state: %s",
		rec.Epochs, s, snapData != nil, zxids(got), strings.Join(reasons, "; "))
}

func matchState(ep Epochs, snapData []byte, s int64, got []Entry, m model, durable func(Entry) bool) error {
	if ep != m.epochs {
		return fmt.Errorf("epochs %+v, want %+v", ep, m.epochs)
	}
	if snapData == nil {
		if m.newest != -1 {
			return fmt.Errorf("no snapshot, want %#x", m.newest)
		}
		s = 0
	} else {
		if s != m.newest {
			return fmt.Errorf("snapshot %#x, want %#x", s, m.newest)
		}
		if !bytes.Equal(snapData, m.snaps[s]) {
			return fmt.Errorf("snapshot %#x payload differs from what was saved", s)
		}
	}
	if err := checkPrefix(got, s, m); err != nil {
		return err
	}
	if durable != nil {
		return checkExact(got, s, m, durable)
	}
	return nil
}

// entriesAfter returns the model's entries after zxid s and how many
// precede them.
func entriesAfter(m model, s int64) ([]Entry, int) {
	j := 0
	for j < len(m.log) && m.log[j].Zxid <= s {
		j++
	}
	return m.log[j:], j
}

// checkPrefix: got must be a prefix of the model's entries after s, and
// hold every synced one.
func checkPrefix(got []Entry, s int64, m model) error {
	after, j := entriesAfter(m, s)
	if len(got) > len(after) {
		return fmt.Errorf("more entries than ever appended (model %s)", zxids(after))
	}
	for i, e := range got {
		if e.Zxid != after[i].Zxid || !bytes.Equal(e.Data, after[i].Data) {
			return fmt.Errorf("entry %d is %#x, want %#x (model %s)", i, e.Zxid, after[i].Zxid, zxids(after))
		}
	}
	if need := m.durable - j; len(got) < need {
		return fmt.Errorf("lost synced entries: got %d, %d were synced (model %s)", len(got), need, zxids(after))
	}
	return nil
}

// checkExact, for an image that lost everything unsynced: got must be
// exactly the model's entries after s that the fs made durable. With
// checkPrefix (got is a prefix holding every synced entry) this says the
// durable ones form a prefix, recovery returned all of them, and nothing
// the fs never made durable.
func checkExact(got []Entry, s int64, m model, durable func(Entry) bool) error {
	after, j := entriesAfter(m, s)
	var want []Entry
	for _, e := range after {
		if durable(e) {
			want = append(want, e)
		}
	}
	if zxids(got) != zxids(want) {
		return fmt.Errorf("image without unsynced data: recovered %s, but the fs made exactly %s durable (%d synced per the model; appended %s)",
			zxids(got), zxids(want), max(0, m.durable-j), zxids(after))
	}
	return nil
}

// durableEntries reports which entries the crashed f made durable: their
// encoded record lies, byte for byte, in the durable content of a durably
// named log segment. It reads f's bookkeeping (what completed fsyncs
// covered), so it does not depend on how crashImage builds the image.
func durableEntries(f *faultFS, lay crashLayout) func(Entry) bool {
	dir := lay.logDir
	if dir == "" {
		dir = crashDir
	}
	var segs [][]byte
	for name, b := range f.durableContent(dir) {
		if _, ok := parseSegName(name); ok {
			segs = append(segs, b)
		}
	}
	return func(e Entry) bool {
		rec := appendRecord(nil, e)
		for _, b := range segs {
			if bytes.Contains(b, rec) {
				return true
			}
		}
		return false
	}
}

// loseUnsynced is the crash image that keeps exactly what the fs made
// durable: no unsynced operation survives.
func loseUnsynced(*inode, string, int) crashChoice { return crashChoice{keep: 0} }

// checkContinues appends after recovery, syncs, and checks the log reads
// back whole: the repaired store works.
func checkContinues(d *Disk, got []Entry, s int64) error {
	last := s
	if len(got) > 0 {
		last = got[len(got)-1].Zxid
	}
	if d.LastZxid() != last {
		return fmt.Errorf("LastZxid %#x after recovery, want %#x", d.LastZxid(), last)
	}
	next := Entry{Zxid: zx(9, 1), Data: []byte("after recovery")}
	if err := d.Append(next); err != nil {
		return fmt.Errorf("append after recovery: %w", err)
	}
	if err := d.Sync(context.Background()); err != nil {
		return fmt.Errorf("sync after recovery: %w", err)
	}
	es, err := d.Entries(s+1, next.Zxid)
	if err != nil {
		return fmt.Errorf("entries after recovery: %w", err)
	}
	want := append(slices.Clone(got), next)
	if zxids(es) != zxids(want) {
		return fmt.Errorf("entries after recovery %s, want %s", zxids(es), zxids(want))
	}
	return nil
}

func zxids(es []Entry) string {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, e := range es {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d/%d", e.Zxid>>32, e.Zxid&0xffffffff)
	}
	b.WriteByte(']')
	return b.String()
}

// crashOutcomes lists the crash images to check for one crash point:
// everything unsynced lost (always first: outs[0] is loseUnsynced),
// everything kept, each single file (or the directory) keeping each prefix
// of its pending operations with the next one torn in half (zeros and
// garbage), and random combinations.
func crashOutcomes(f *faultFS, rnd *rand.Rand, random int) []crashChooser {
	var outs []crashChooser
	outs = append(outs,
		loseUnsynced,
		func(_ *inode, _ string, n int) crashChoice { return crashChoice{keep: n} })
	type target struct {
		ino *inode
		dir string // ino == nil: this directory's namespace changes
		n   int
	}
	var targets []target
	for _, d := range f.dirsPending() {
		targets = append(targets, target{nil, d.dir, d.n})
	}
	for _, ino := range f.pendingInodes() {
		targets = append(targets, target{ino, "", len(ino.pending)})
	}
	for _, tg := range targets {
		for k := 0; k <= tg.n; k++ {
			for _, garbage := range []bool{false, true} {
				if tg.ino == nil && garbage {
					continue
				}
				tearAt := 0
				if tg.ino != nil && k < tg.n && !tg.ino.pending[k].truncate {
					tearAt = len(tg.ino.pending[k].data) / 2
				} else if garbage {
					continue
				}
				tg, k, tearAt, garbage := tg, k, tearAt, garbage
				outs = append(outs, func(ino *inode, dir string, n int) crashChoice {
					if ino == tg.ino && dir == tg.dir {
						return crashChoice{keep: k, tearAt: tearAt, garbage: garbage}
					}
					if tg.ino == nil { // directory target: files and other directories keep everything
						return crashChoice{keep: n}
					}
					return crashChoice{keep: 0}
				})
			}
		}
	}
	for range random {
		r := rand.New(rand.NewPCG(rnd.Uint64(), rnd.Uint64()))
		outs = append(outs, func(ino *inode, _ string, n int) crashChoice {
			c := crashChoice{keep: r.IntN(n + 1)}
			if ino != nil && c.keep < n && !ino.pending[c.keep].truncate && len(ino.pending[c.keep].data) > 1 {
				c.tearAt = 1 + r.IntN(len(ino.pending[c.keep].data)-1)
				c.garbage = r.IntN(2) == 0
			}
			return c
		})
	}
	return outs
}

// TestDurableEntriesOracle checks the exactness oracle itself: a record
// written to its segment but whose fdatasync the crash prevented is not
// durable, though the file's current content holds it; the image that
// loses everything unsynced recovers without it, the one that keeps
// everything with it.
func TestDurableEntriesOracle(t *testing.T) {
	for _, lay := range crashLayouts {
		t.Run(lay.name, func(t *testing.T) {
			fsys := newFaultFS()
			d, err := openCrashDisk(fsys, lay)
			require.NoError(t, err)
			e1, e2 := entry(1, 1), entry(1, 2)
			require.NoError(t, d.Append(e1))
			require.NoError(t, d.Sync(context.Background()))
			require.NoError(t, d.Append(e2))
			fsys.syncHook = func() { // crash at the fdatasync, after the write
				fsys.mu.Lock()
				fsys.crashAt = fsys.ops
				fsys.mu.Unlock()
			}
			require.ErrorIs(t, d.Sync(context.Background()), errCrashed)
			d.Close()

			durable := durableEntries(fsys, lay)
			require.True(t, durable(e1), "synced entry not durable")
			require.False(t, durable(e2), "entry whose fdatasync never ran counted durable")
			dir := lay.logDir
			if dir == "" {
				dir = crashDir
			}
			written := false
			for _, n := range fsys.filesIn(dir) {
				if _, ok := parseSegName(n); ok && bytes.Contains(fsys.bytesOf(dir+"/"+n), appendRecord(nil, e2)) {
					written = true
				}
			}
			require.True(t, written, "the unsynced record was never written: the check above proves nothing")

			one := []model{{log: []Entry{e1, e2}, durable: 1, snaps: map[int64][]byte{}, newest: -1}}
			require.NoError(t, checkRecovery(fsys.crashImage(loseUnsynced, nil), lay, one, durable))
			keepAll := fsys.crashImage(func(_ *inode, _ string, n int) crashChoice { return crashChoice{keep: n} }, nil)
			err = checkRecovery(keepAll, lay, one, durable)
			require.ErrorContains(t, err, "but the fs made exactly [1/1] durable", "an image holding the unsynced record must fail the exact check")
		})
	}
}

// TestCrashAtEveryPoint runs the enumeration with the log beside the
// snapshots and with the log in a separate directory (WithLogDir), where
// each directory's namespace changes are durable only once that directory
// is synced.
func TestCrashAtEveryPoint(t *testing.T) {
	seed := testSeed(t)
	for li, lay := range crashLayouts {
		t.Run(lay.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(seed, uint64(li)))
			random := 8
			if testing.Short() {
				random = 2
			}
			// Count the workload's mutating operations.
			full := newFaultFS()
			runCrashWorkload(t, full, lay)
			total := full.ops
			if lay.logDir != "" { // each kind of file in its own directory
				for _, n := range full.filesIn(crashDir) {
					_, isSeg := parseSegName(n)
					require.False(t, isSeg, "segment %s in the data dir", n)
				}
				logFiles := full.filesIn(lay.logDir)
				require.NotEmpty(t, logFiles)
				for _, n := range logFiles {
					_, isSeg := parseSegName(n)
					require.True(t, isSeg, "%s in the log dir", n)
				}
			}
			t.Logf("workload has %d crash points", total)
			checked := 0
			for point := 0; point <= total; point++ {
				fsys := newFaultFS()
				fsys.crashAt = point
				states, step := runCrashWorkload(t, fsys, lay)
				for oi, choose := range crashOutcomes(fsys, rnd, random) {
					img := fsys.crashImage(choose, rnd)
					var durable func(Entry) bool
					if oi == 0 { // loseUnsynced: exactly what the fs made durable
						durable = durableEntries(fsys, lay)
					}
					if err := checkRecovery(img, lay, states, durable); err != nil {
						t.Fatalf("crash point %d (during %q), outcome %d: %v\ntrace: %s", point, step, oi, err, fsys.traceString())
					}
					// Crash again at every point of the recovery itself.
					recoverCrashes(t, img, lay, states, func(err error) {
						t.Fatalf("crash point %d (during %q), outcome %d, then a crash during recovery: %v\ntrace: %s", point, step, oi, err, fsys.traceString())
					})
					checked++
				}
			}
			t.Logf("checked %d crash images", checked)
		})
	}
}

// recoverCrashes crashes at each mutating operation recovery performs on
// img (losing everything unsynced) and checks recovery again, exactly: the
// entries must be those durable after the interrupted recovery (img's
// content is durable on that fs, unsynced bytes the first crash kept
// included).
func recoverCrashes(t *testing.T, img *faultFS, lay crashLayout, states []model, fail func(error)) {
	t.Helper()
	for point := 0; ; point++ {
		fsys := img.crashImage(func(_ *inode, _ string, n int) crashChoice { return crashChoice{keep: n} }, nil)
		fsys.crashAt = point
		d, err := openCrashDisk(fsys, lay)
		if err == nil {
			_, err = d.Recover(context.Background(), func(SnapshotMeta, io.Reader) error { return nil }, func(Entry) error { return nil })
			d.Close()
		}
		if err != nil && !errors.Is(err, errCrashed) {
			fail(err)
			return
		}
		if !fsys.crashed {
			return // recovery needed fewer operations
		}
		again := fsys.crashImage(loseUnsynced, nil)
		if err := checkRecovery(again, lay, states, durableEntries(fsys, lay)); err != nil {
			fail(err)
			return
		}
	}
}

// TestCrashDuringConcurrentGroupCommit crashes at random points while
// several goroutines append and sync concurrently (with segment rolls):
// every entry whose Sync returned before the crash survives, and the
// recovered log is a prefix of the append order.
func TestCrashDuringConcurrentGroupCommit(t *testing.T) {
	seed := testSeed(t)
	rnd := rand.New(rand.NewPCG(seed, 7))
	rounds := 60
	if testing.Short() {
		rounds = 15
	}
	for round := range rounds {
		fsys := newFaultFS()
		fsys.crashAt = 5 + rnd.IntN(150)
		d, err := Open("/g", WithFS(fsys), WithSegmentSize(400))
		if err != nil {
			require.ErrorIs(t, err, errCrashed)
			continue
		}
		var mu sync.Mutex
		var appended []Entry
		synced := map[int64]bool{}
		next := int64(0)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 30 {
					mu.Lock()
					next++
					e := entry(1+next/10, next%10+1)
					err := d.Append(e)
					if err == nil {
						appended = append(appended, e)
					}
					mu.Unlock()
					if err == nil {
						err = d.Sync(context.Background())
					}
					if err != nil {
						return // crashed
					}
					mu.Lock()
					synced[e.Zxid] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		d.Close()
		r := rand.New(rand.NewPCG(rnd.Uint64(), 0))
		img := fsys.crashImage(func(ino *inode, _ string, n int) crashChoice {
			c := crashChoice{keep: r.IntN(n + 1)}
			if ino != nil && c.keep < n && !ino.pending[c.keep].truncate && len(ino.pending[c.keep].data) > 1 {
				c.tearAt = 1 + r.IntN(len(ino.pending[c.keep].data)-1)
				c.garbage = r.IntN(2) == 0
			}
			return c
		}, r)
		d2, err := Open("/g", WithFS(img), WithSegmentSize(400))
		require.NoError(t, err, "round %d", round)
		var got []Entry
		_, err = d2.Recover(context.Background(), nopRestore, func(e Entry) error { got = append(got, e); return nil })
		require.NoError(t, err, "round %d", round)
		d2.Close()
		require.LessOrEqual(t, len(got), len(appended), "round %d", round)
		for i, e := range got {
			require.Equal(t, appended[i], e, "round %d: recovered log is not a prefix of the appends", round)
		}
		for _, e := range appended[len(got):] {
			require.False(t, synced[e.Zxid], "round %d: synced entry %#x lost (recovered %s)\ntrace: %s", round, e.Zxid, zxids(got), fsys.traceString())
		}
	}
}
