// Package storage is zabkit's durable state: the transaction log, the ZAB
// epochs and snapshots, with crash recovery, and an in-memory twin.
//
// Everything it stores is opaque: a log entry is a zxid (epoch<<32 |
// counter) and bytes, a snapshot is whatever the caller's encoder writes.
// The server glues it to core/zab (which asks for epochs, appends,
// truncations and snapshot installs) and core/znode (which encodes the tree
// to an io.Writer and decodes it from an io.Reader).
//
//	d, err := storage.Open(dir, storage.WithLogger(logger), storage.WithAutoPurge(3))
//	rec, err := d.Recover(ctx, tree.Restore, tree.Apply) // newest valid snapshot, then the log after it
//	...
//	d.Append(storage.Entry{Zxid: z, Data: txn}) // from the ZAB driver's Ready
//	d.Sync(ctx)                                   // group commit; ack only after it returns
//
// Disk and Mem implement Storage; Mem.Crash drops what was not synced.
package storage
