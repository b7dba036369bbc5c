package storage

import (
	"context"
	"errors"
	"io"
)

// Entry is one transaction of the log: its zxid (epoch<<32 | counter) and
// its opaque bytes. Zxids in a log are strictly increasing and positive.
type Entry struct {
	Zxid int64
	Data []byte
}

// Epochs is ZAB's durable pair: the epoch this peer last accepted in
// discovery and the epoch of the last NEWLEADER it acknowledged.
type Epochs struct {
	Accepted int64
	Current  int64
}

// SnapshotMeta describes a stored snapshot.
type SnapshotMeta struct {
	// Zxid is the last transaction the snapshot covers.
	Zxid int64
	// Size is the length of the snapshot's payload in bytes.
	Size int64
	// Installed is true for a snapshot received from a leader
	// (InstallSnapshot) rather than taken from the local log.
	Installed bool
}

// Log is the transaction log.
type Log interface {
	// Append adds entries after the last one (copying their data). They
	// are not durable until Sync returns; a new epoch starts a new segment. Zxids must be strictly increasing (ErrOutOfOrder) and
	// the log must not be closed or failed.
	Append(entries ...Entry) error
	// Sync returns once every entry appended before the call is durable.
	// Concurrent callers share fsyncs (group commit). ctx bounds the wait;
	// an fsync that already started is not interrupted.
	Sync(ctx context.Context) error
	// TruncateAfter durably removes every entry with a zxid greater than
	// zxid (ZAB's TRUNC). The entries it keeps are durable only once a
	// Sync covers them (Disk's truncation happens to fsync them, Mem
	// does not). Truncating below the first entry the log still holds
	// (see FirstZxid) fails with ErrCompacted.
	TruncateAfter(zxid int64) error
	// Entries returns the entries with from <= zxid <= to, in order (ZAB's
	// DIFF). ErrCompacted if from is below what the log still holds.
	Entries(from, to int64) ([]Entry, error)
	// FirstZxid is the zxid of the oldest entry held, 0 if the log is empty.
	FirstZxid() int64
	// LastZxid is the zxid of the newest entry, or the zxid the log was
	// last reset to (a snapshot's) if it holds none.
	LastZxid() int64
}

// StableStore holds the ZAB epochs. SetEpochs is atomic and durable when it
// returns: after a crash either the old or the new pair is read back.
type StableStore interface {
	Epochs() (Epochs, error)
	SetEpochs(Epochs) error
}

// SnapshotStore holds opaque snapshots of the state machine.
type SnapshotStore interface {
	// SaveSnapshot durably stores the snapshot written by write as covering
	// every transaction up to zxid, and starts a new log segment. Appends
	// and syncs continue while write runs. The caller either captures a
	// consistent state at zxid (copy-on-write), or, as ZooKeeper does,
	// writes a fuzzy snapshot of a tree still being applied to, labelled
	// with the last zxid applied before it started: recovery replays every
	// entry after zxid, so that needs idempotent transactions.
	SaveSnapshot(ctx context.Context, zxid int64, write func(io.Writer) error) error
	// InstallSnapshot stores a snapshot received from the leader (ZAB's
	// SNAP) and then discards the whole log: the next append must have a
	// zxid above zxid. A crash in between is repaired by Recover.
	InstallSnapshot(ctx context.Context, zxid int64, write func(io.Writer) error) error
	// OpenSnapshot returns the newest snapshot that passes its checksum
	// (falling back to older ones) and a reader of its payload, which the
	// caller closes. ErrNoSnapshot if there is none.
	OpenSnapshot() (SnapshotMeta, io.ReadCloser, error)
	// Snapshots lists stored snapshots, oldest first, without verifying
	// their checksums (Size and Installed are as the files claim).
	Snapshots() ([]SnapshotMeta, error)
	// Purge keeps the newest keep snapshots (at least 1) and deletes older
	// ones and every log segment no kept snapshot needs.
	Purge(keep int) error
}

// Recovered summarises what Recover found.
type Recovered struct {
	// Epochs are the durable epochs (zero on a fresh store).
	Epochs Epochs
	// Snapshot is the snapshot restore was called with; zero (Zxid 0) if
	// there was none and the state starts empty.
	Snapshot SnapshotMeta
	// Replayed is the number of log entries passed to apply.
	Replayed int
	// LastZxid is the zxid of the last entry replayed (or the snapshot's).
	LastZxid int64
}

// Storage is everything a ZAB peer persists. Disk and Mem implement it.
type Storage interface {
	Log
	StableStore
	SnapshotStore
	// Recover rebuilds state after a start or crash: it calls restore with
	// the newest valid snapshot (not at all if there is none), then apply
	// with every log entry after it, in order. It also repairs a torn log
	// tail left by a crash. Errors from restore or apply are returned.
	// restore and apply must not call TruncateAfter, SaveSnapshot,
	// InstallSnapshot, Purge, Recover or Close.
	Recover(ctx context.Context, restore func(meta SnapshotMeta, r io.Reader) error, apply func(Entry) error) (Recovered, error)
	// Close releases files. It does not sync: unsynced appends may be lost.
	Close() error
}

// Errors. Use errors.Is.
var (
	// ErrCorrupt: stored data is damaged where a crash cannot have damaged
	// it (before the log's tail, a sealed segment, the epochs file, a gap
	// between the snapshot and the log). The store refuses to start rather
	// than skip committed transactions.
	ErrCorrupt = errors.New("storage: corrupt data")
	// ErrOutOfOrder: an appended zxid is not above the last one.
	ErrOutOfOrder = errors.New("storage: zxid not above the last entry")
	// ErrCompacted: the requested entries were purged or are covered by a
	// snapshot.
	ErrCompacted = errors.New("storage: entries no longer in the log")
	// ErrNoSnapshot: no valid snapshot is stored.
	ErrNoSnapshot = errors.New("storage: no snapshot")
	// ErrClosed: the store is closed.
	ErrClosed = errors.New("storage: closed")
	// ErrFailed: an earlier write or fsync failed; the log's durable state
	// is unknown and the store must be reopened (and recovered).
	ErrFailed = errors.New("storage: failed after an I/O error")
	// ErrTooLarge: an entry exceeds the configured maximum size.
	ErrTooLarge = errors.New("storage: entry too large")
	// ErrInvalid: an argument is out of range.
	ErrInvalid = errors.New("storage: invalid argument")
)
