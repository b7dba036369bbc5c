// Package storage is zabkit's durable state: the transaction log, the ZAB
// epochs and the snapshots, with crash recovery, and an in-memory twin.
//
// Everything it stores is opaque: a log entry is a zxid (epoch<<32 |
// counter) and bytes, a snapshot is whatever the caller's encoder writes.
// The server glues it to core/zab (which asks for epochs, appends,
// truncations and snapshot installs) and core/znode (which encodes the tree
// to an io.Writer and decodes it from an io.Reader); this package imports
// neither.
//
//	d, err := storage.Open(dir, storage.WithLogger(logger), storage.WithAutoPurge(3))
//	rec, err := d.Recover(ctx, restoreTree, applyTxn) // newest valid snapshot, then the log after it
//	...
//	err = d.SetEpochs(storage.Epochs{Accepted: e, Current: c}) // durable on return
//	err = d.Append(storage.Entry{Zxid: z, Data: txn})          // buffered
//	err = d.Sync(ctx)                                           // group commit: ack only after this
//	err = d.TruncateAfter(z)                                    // TRUNC, durable on return
//	es, err := d.Entries(from, to)                              // DIFF
//	err = d.SaveSnapshot(ctx, z, tree.Encode)                   // appends go on meanwhile
//	err = d.InstallSnapshot(ctx, z, writeReceived)              // SNAP: snapshot, then an empty log after z
//
// Disk and Mem both implement Storage (Log, StableStore, SnapshotStore,
// Recover, Close). Mem keeps everything in memory and models what a crash
// keeps: Mem.Crash drops the entries appended since the last Sync,
// Mem.CrashRandom keeps a random prefix of them (a truncation removes
// durably but does not make what it keeps durable); everything else is
// durable when its call returns, as on Disk.
//
// # Durability
//
// Append only buffers. Sync returns once everything appended before the
// call is on disk. Sync is a group commit: one caller at a time writes the
// buffered records and runs one fdatasync; callers arriving meanwhile wait,
// and when that fsync ends one of them runs the next round, which covers
// every record appended while the previous fsync ran. SetEpochs,
// TruncateAfter, SaveSnapshot, InstallSnapshot and Purge are durable when
// they return. An fsync or write error makes the log fail (ErrFailed) until
// it is reopened: after a failed fsync nobody knows what is on disk.
//
// # Files
//
// One directory holds:
//
//	log.<prev zxid, 16 hex>   log segments
//	snap.<zxid, 16 hex>       snapshots
//	epochs                    acceptedEpoch and currentEpoch
//
// or, with WithLogDir (ZooKeeper's dataLogDir), the log segments live in a
// directory of their own and the snapshots and epochs in the other. Each
// directory's changes are made durable by an fsync of that directory: a
// segment created, removed or discarded fsyncs the log directory; a
// snapshot or epochs rename, or a snapshot purged, fsyncs the data
// directory; a directory Open creates is made durable by an fsync of its
// parent. Open refuses (ErrInvalid) log segments in the data directory
// or snapshots and epochs in the log directory, which a changed or swapped
// configuration leaves, rather than recover without them.
//
// A segment starts with a header (magic, version, the zxid of the entry
// before its first one, CRC32C) followed by records: length u32, CRC32C u32
// (over length, zxid and data), zxid i64, data. Zxids strictly increase. A
// new segment starts on each new epoch, on each snapshot and when a segment
// reaches the segment size (64 MiB by default); before a segment is sealed
// it is fsynced, and the new one's creation is made durable with a
// directory fsync. Segments are preallocated with real zeros 4 MiB ahead of
// their data (a zero-filled block makes the per-commit fdatasync cheaper
// than a sparse hole), and an all-zero record header marks the end of the
// data. The header's previous zxid chains the segments: a missing segment
// is detected.
//
// A snapshot file is a header (magic, version, zxid, flags, CRC32C), the
// payload and a trailer (payload length, CRC32C of the payload). It is
// written as snap.<zxid>.tmp, fsynced, renamed and the directory fsynced.
// The epochs file is replaced the same way. Leftover .tmp files are deleted
// on Open.
//
// # Recovery
//
// Open reads every segment. In the last segment, a record that is short,
// fails its CRC, has an impossible length or a non-increasing zxid ends the
// log: if non-zero bytes follow (a torn write) they are zeroed and a
// warning is logged. But if a valid record with a higher zxid lies after
// the damage, the damage is not a tail: Open refuses with ErrCorrupt rather
// than drop committed transactions. Any damage in a sealed segment, a broken
// chain, a damaged header of a segment other than the newest (the newest is
// removed: a crash while creating it), or a damaged epochs file is
// ErrCorrupt too.
//
// Recover then takes the newest snapshot that passes its checksum (falling
// back to older ones with a warning) and replays the log after it. The log
// must join the snapshot (its zxid is the log's start or one of its
// entries). A log that ends before the snapshot is restarted after it; a
// log left behind by an InstallSnapshot that a crash interrupted is
// discarded; anything else (a gap, a snapshot zxid the log never had) is
// ErrCorrupt. With no valid snapshot, the log must start at the beginning.
// restore and apply must not call TruncateAfter, SaveSnapshot,
// InstallSnapshot, Purge, Recover or Close, which wait for Recover to end.
//
// # Crash model and tests
//
// Every file operation goes through FS (OSFS in production). The tests use
// a fault-injecting FS that counts every write, truncate, fsync, create,
// rename, remove and directory fsync, and crash at each of them during a
// workload of appends, syncs, rolls, truncations (within and across
// segments), epoch writes, snapshot saves, installs and purges. For each
// crash point they build restart images where unsynced file data is lost,
// kept, or kept up to any operation with the next one torn (old bytes or
// garbage after the tear), and each directory's unsynced changes keep any
// prefix, independently of the other directory's (the enumeration runs
// with the log beside the snapshots and with WithLogDir); recovery (and a
// second crash at every point of recovery itself) must return a prefix of
// what was appended that holds every synced entry, intact, with the right
// epochs and snapshot. From the image that loses everything unsynced it
// must return exactly the entries whose records the file system made
// durable: nothing lost, nothing replayed that no completed fsync covered.
// The model assumes writes to one file reach the disk in order. If a disk
// reordered unsynced writes so that a later record survived an earlier
// lost one, Open would refuse with ErrCorrupt (a false alarm that needs an
// operator) rather than lose data.
//
// Only Sync promises anything, and an entry can be durable before its Sync
// returns: a roll fdatasyncs the segment it seals during Append or a
// snapshot, and a crash can interrupt a Sync after its fdatasync. An entry
// appended but not yet synced is also replayed if the disk happened to keep
// its record (and those before it) whole: a record with a valid CRC cannot
// be told from a synced one, as on every log-based system. For ZAB this is
// harmless: a replica acknowledges an entry only after Sync returned, so an
// unacknowledged entry never counted toward a quorum; its surviving is the
// state a crash just after its Sync would leave, and the leader's DIFF,
// TRUNC or SNAP settles it like any uncommitted proposal.
//
// Mem.Crash is the worst case of that model: it keeps nothing a Sync did
// not cover. A truncation does not make the entries it keeps durable: an
// entry appended, kept by a TruncateAfter above it and never synced is
// lost in a crash.
//
// # Snapshot trigger and purge
//
// SnapTrigger says when to snapshot as ZooKeeper does: after snapCount/2
// plus a random share of snapCount/2 entries (or the same rule on bytes), so
// replicas do not snapshot together. Purge(n) keeps the newest n snapshots
// and deletes older ones and every segment whose entries all precede the
// oldest kept snapshot; WithAutoPurge(n) runs it after every snapshot.
//
// # Benchmarks
//
// The package's benchmarks measure a raw 4 KiB write + fdatasync, group
// commit with 1 to 64 appenders, recovery of a 1,000,000-txn log and a
// snapshot of 1,000,000 records; the figures, the machine and the commands
// are in docs/benchmarks.md.
package storage
