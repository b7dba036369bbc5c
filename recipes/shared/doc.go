// Package shared provides values and counters shared through one
// ZooKeeper node, in Apache Curator's layouts so Go and Java processes
// share them: Value (Curator's SharedValue), Count (SharedCount) and
// AtomicLong (DistributedAtomicLong); and Atomically, a transaction over
// several nodes (etcd concurrency's STM): read, compute, commit with
// version checks in one multi, run again on conflict.
//
//	count := shared.NewCount(conn, "/app/workers", 4)
//	v, err := count.Get(ctx)              // {Value: 4, Version: 0, ...}
//	v, err = count.TrySet(ctx, v, v.Value+1) // ErrConflict if someone else wrote first
//	for v := range count.Watch(ctx) { ... } // the latest value, never a stale one last
//
//	hits := shared.NewAtomicLong(conn, "/app/hits")
//	r, err := hits.Increment(ctx)          // r.Pre, r.Post: the values before and after
//
// # Layout
//
// Each value is one persistent node; its missing parents are created as
// container nodes. A Value holds raw bytes and is created with its seed
// by the first participant that reads, writes or watches it (as Curator's
// start does). A Count holds an int32 as 4 bytes, big-endian. An
// AtomicLong holds an int64 as 8 bytes, big-endian; a missing node or
// empty data reads as 0 and the first change creates the node. The
// promoted lock of an AtomicLong (WithPromotedLock) is a lock.Mutex, the
// layout of Curator's InterProcessMutex.
//
// # Consistency
//
// Every conditional change is a compare-and-set on the node's version:
// TrySet writes only if the node is still at the version read, and an
// AtomicLong change reads, computes and writes at the version read,
// retrying (WithTries, then the promoted lock) when another change came
// first; Atomically checks the version of every node it read in the
// multi that applies its writes. Changes from Go and from Curator on the
// same node therefore never overwrite each other. A Result carries the
// values before and after the change. Reads are served by the server the session is connected to and
// may lag writes made through other servers (call the Conn's Sync on the
// path first to read every write completed before); a compare-and-set on
// a lagging read simply fails and is retried.
//
// # Connection loss and session expiry
//
// Nothing here is tied to a session: the nodes are persistent, so they
// and their values survive connection loss and session expiry. Reads and
// unconditional writes (Get, Set, ForceSet) are retried across a
// connection loss within ctx. A conditional write (TrySet, Add, Increment,
// CompareAndSet, Atomically's commit) whose connection breaks while it is
// in flight is not retried: it fails with ErrUnknownOutcome, because the
// change may or may not have been applied and a blind retry could apply
// it twice (Curator's retry loop does retry, and can). The caller reads
// the value to decide.
// A Watch stream re-reads after a connection loss and, with
// client.WithSessionRenewal, after the session is replaced, so it delivers
// the latest value once the client is connected again; it is closed when
// ctx ends or the Conn is finished. A promoted lock held when the session
// expires is released with it; the compare-and-set still decides.
package shared
