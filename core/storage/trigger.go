package storage

import "math/rand/v2"

// SnapTrigger says when to take a snapshot, as ZooKeeper's
// SyncRequestProcessor does: after more than snapCount/2 + r entries, r
// drawn uniformly from [0, snapCount/2), or after more than
// snapBytes/2 + s bytes of entries, s drawn from [0, snapBytes/2). The
// randomness keeps the replicas of an ensemble from snapshotting together.
// A SnapTrigger is not safe for concurrent use.
type SnapTrigger struct {
	snapCount int64
	snapBytes int64
	rnd       *rand.Rand

	count, bytes int64
	roll, rollSz int64
}

// NewSnapTrigger returns a trigger; snapCount must be at least 2
// (ZooKeeper's default is 100000), snapBytes <= 0 disables the size rule
// (ZooKeeper's default is 4 GiB). rnd may be nil for a randomly seeded one;
// pass a seeded one for reproducible simulations.
func NewSnapTrigger(snapCount int, snapBytes int64, rnd *rand.Rand) *SnapTrigger {
	if rnd == nil {
		rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	t := &SnapTrigger{snapCount: int64(max(snapCount, 2)), snapBytes: snapBytes, rnd: rnd}
	t.Reset()
	return t
}

// Add records one logged entry of n bytes and reports whether a snapshot
// is due now; when it is, the counters restart with fresh random offsets.
func (t *SnapTrigger) Add(n int) bool {
	t.count++
	t.bytes += int64(n)
	due := t.count > t.snapCount/2+t.roll || (t.snapBytes > 0 && t.bytes > t.snapBytes/2+t.rollSz)
	if due {
		t.Reset()
	}
	return due
}

// Reset restarts the counters (for example after a snapshot taken for
// another reason) and draws new random offsets.
func (t *SnapTrigger) Reset() {
	t.count, t.bytes = 0, 0
	t.roll = t.rnd.Int64N(max(t.snapCount/2, 1))
	t.rollSz = 0
	if t.snapBytes > 1 {
		t.rollSz = t.rnd.Int64N(t.snapBytes / 2)
	}
}
