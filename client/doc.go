// Package client is a ZooKeeper client: context-aware operations on one
// session, transparent reconnect, watches delivered on channels, and session
// states on a stream. It speaks the ZooKeeper wire protocol (package wire)
// and works with Apache ZooKeeper 3.x and with zabkit servers alike.
//
// # Connecting
//
//	c, err := client.Dial(ctx, "10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181/app",
//		client.WithSessionTimeout(10*time.Second))
//	if err != nil { ... }
//	defer c.Close(context.Background())
//
// Dial returns once a session is established. The servers are tried in a
// random order; after a connection breaks the client reconnects to the next
// server (spacing attempts with a backoff/v4 policy), presenting the
// session id and password and the last zxid it has seen, so it only ever
// resumes on a server at least as up to date as what it has read. Watches
// are re-registered with SetWatches/SetWatches2 from that zxid, so changes
// made while disconnected still fire them.
//
// # Options
//
// Every call that takes options takes the one Option type, built with the
// With functions: Dial (WithSessionTimeout, WithDigestAuth, WithReadOnly,
// ...), Retry and RetryValue (WithRetryBackOff, WithRetryIf), Create
// (WithParentContainers) and CreateProtected (WithParentContainers, and
// the retry options, which space its retries). One type rather than one
// per call keeps the API small and lets a retry policy be passed alike to
// Retry and to CreateProtected; in exchange an option could be handed to a call it does
// not configure, so each option's doc names the calls it applies to and
// any other call refuses it with ErrBadArguments instead of ignoring it:
//
//	err := client.Retry(ctx, op, client.WithRetryBackOff(policy)) // fine
//	err = client.Retry(ctx, op, client.WithSessionTimeout(time.Second)) // ErrBadArguments
//
// # Errors
//
// Every call takes a context first. Errors from the server are ZooKeeper's
// codes, wrapped with the operation and path and matched with errors.Is
// against the package's sentinels (ErrNoNode, ErrNodeExists, ErrBadVersion,
// ...), which are the wire.Code values themselves:
//
//	if errors.Is(err, client.ErrNoNode) { ... } // also errors.Is(err, wire.CodeNoNode)
//
// A request whose connection breaks before its reply arrives fails with
// ErrConnectionLoss: it may or may not have been applied. Requests issued
// while no connection is up wait (bounded by their ctx) for the next one.
// A call that returns because its ctx ended may still have been sent and
// applied (its outcome is unknown, as with ErrConnectionLoss); in any case
// the client no longer reads the data passed to it once the call returns.
// After the session ends, every call fails with ErrSessionExpired,
// ErrAuthFailed or ErrClosed. Retry runs an idempotent operation again
// after transient failures; CreateProtected makes a sequential ephemeral
// create safe to retry.
//
// # Watches
//
// GetW, ExistsW and ChildrenW return a channel with a one-shot watch: it
// receives exactly one Event and is closed, or is closed without an event
// when the session ends. Its capacity is one, so the client never blocks on
// it. AddWatch sets a persistent (optionally recursive) watch whose Events
// channel delivers every event until the watch is removed; events wait in
// an unbounded queue, so delivery never drops an event and never blocks the
// connection, however slow the consumer. Watches are registered by the
// receive loop before the reply is handed to the caller, so no event can
// slip between a read and its watch.
//
// # Session states
//
// States returns a stream of State values (Connecting, Connected,
// ConnectedReadOnly, Disconnected, and the terminal Expired, AuthFailed,
// Closed), also on an unbounded queue. Done is closed when the session is
// lost for good and Err says why.
//
// Close ends the session on the server, stops every goroutine of the Conn
// and returns once they have exited.
//
// # Performance
//
// BenchmarkGetData and BenchmarkSetData (128-byte znode, one Conn; "serial"
// waits for each reply, "parallel" keeps 16 requests in flight) run
// against the ensemble in ZABKIT_ZK_SERVERS. Medians of 5 interleaved runs
// on the project's loaded 2-core machine, November 2026, in requests per
// second (docs/benchmarks.md has the details and the commands):
//
//	                   in-memory ensemble   zabkit cluster   Apache ZooKeeper 3.8
//	getData serial                  10700            12400                   4200
//	getData parallel                67800            74700                  12900
//	setData serial                   8700             1200                    920
//	setData parallel                23300             4900                   3800
//
// The in-memory ensemble (ensemble.Start, no fsync) measures the code path;
// the two clusters are 3 processes on one machine that fsync every write
// (scripts/zabkit-cluster.sh, scripts/zk-ensemble.sh), so compare those two
// with each other. Reads are answered by the connected server; writes cost
// a quorum round trip and an fsync, which pipelining shares (group commit).
// Per request the client allocates 6 times (512 bytes) for a getData and 5
// times (392 bytes) for a setData, whatever the server.
package client
