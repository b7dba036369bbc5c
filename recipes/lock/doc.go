// Package lock provides distributed locks on ZooKeeper: Mutex (exclusive),
// RWMutex (shared readers, exclusive writers, no writer starvation) and
// Semaphore (N leases).
//
// The node layout is Apache Curator's, so Go and Java processes can contend
// for the same lock: each contender creates a protected
// ephemeral-sequential node dir/_c_<uuid>-lock-NNNNNNNNNN (InterProcessMutex),
// dir/_c_<uuid>-__READ__NNNNNNNNNN / -__WRIT__NNNNNNNNNN
// (InterProcessReadWriteLock) or dir/_c_<uuid>-lease-NNNNNNNNNN; contenders
// are ordered on the sequence suffix; the directory and its missing parents
// are created as container nodes, which the server removes once empty.
//
//	m := lock.NewMutex(conn, "/app/locks/orders")
//	if err := m.Lock(ctx); err != nil { ... }
//	defer m.Unlock(context.Background())
//	token := m.Token() // pass to the storage you write to (fencing)
//	select {
//	case <-m.Lost(): // stop writing: another process may hold the lock now
//	...
//	}
//
// # Guarantees and faults
//
// A waiter watches only the node that must go before it (no herd effect);
// a waiter whose ctx ends deletes its node. A create whose reply is lost is
// found again by its uuid, so a retried create never leaves an orphan that
// would block everyone. Ownership is granted only after checking that the
// node's ephemeralOwner is the current session (the Curator double-holder
// bugs CURATOR-206/604).
//
// Every holding carries a fencing token: the lock node's czxid, which
// grows with every holding of the same lock across sessions, servers and
// leader changes (unlike the sequence suffix, which restarts when the
// container directory is reaped and created again).
//
// While the lock is held, Lost is closed as soon as ownership may have been
// lost: when the session expires or is closed, or when the client has had
// no connection for longer than the grace period (WithSuspendGrace; by
// default at once, as Curator's standard error policy treats SUSPENDED).
// After Lost is closed the holder must stop acting as owner and call
// Unlock, which removes the node if the session survived. Unlock retries
// until the node is really gone or the session is gone.
//
// A Mutex value is one contender: use one per goroutine (Lock on a Mutex
// that already holds returns ErrHeld).
//
// # Connection loss and session expiry
//
// Connection loss (the client is suspended, the session may live on): a
// waiter keeps waiting and keeps its place; a holding ends at once, or
// once the connection has stayed lost for longer than WithSuspendGrace
// (Lost closes, the cause wraps ErrLost). Unlock then deletes the node if
// the session survived, so the next contender can have the lock.
//
// Session expiry, with the Conn's session renewal on (client.Dial's
// default): the servers delete the contender's node with the session.
//   - Holding: the holding is over (Lost closes with ErrLost, if it had
//     not already at the connection loss before). It is never resumed:
//     Unlock returns nil and sends nothing on the new session (no node of
//     an older session is ever touched), and Lock on the same value takes the lock again on the
//     Conn's new session, as a new contender at the end of the queue, with
//     a greater token.
//   - Waiting: Lock, TryLock or Acquire does not fail: the contender
//     joins the queue again on the new session, at its end, and goes on
//     waiting (bounded by ctx).
//   - Idle: nothing to do; the next Lock runs on the new session.
//
// Session expiry with client.WithSessionRenewal(false): the Conn ends
// with its session. A holding ends as above (Unlock returns nil); a waiter
// and every later Lock fail with ErrSessionLost; a new Conn is needed.
//
// # Performance
//
// Each contender watches only its predecessor, so a hand-over costs one
// watch notification and a few requests, whatever the number of
// contenders. Lock+Unlock cycles per second are measured against Apache
// ZooKeeper in docs/benchmarks.md.
//
// A cycle is two writes through the leader (create and delete of the
// contender's node) and a read of the lock directory, so on disk it costs
// about two fsync round trips; with more contenders each cycle is also a
// hand-over (a watch notification to the next waiter).
package lock
