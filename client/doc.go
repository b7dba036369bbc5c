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
// After the Conn is finished, every call fails with ErrSessionExpired,
// ErrAuthFailed or ErrClosed (by default an expiry does not finish the
// Conn: see Session expiry). Retry runs an idempotent operation again
// after transient failures; CreateProtected makes a sequential ephemeral
// create safe to retry.
//
// # Watches
//
// GetW, ExistsW and ChildrenW return a channel with a one-shot watch: it
// receives exactly one Event and is closed, or is closed without an event
// when the session ends (the watch is lost: read and watch again). Its capacity is one, so the client never blocks on
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
// Closed, each of which ends a session), also on an unbounded queue. The
// stream ends with the state that finishes the Conn. Done is closed when
// the Conn is finished for good and Err says why: Close, an authentication
// failure, or an expiry with WithSessionRenewal(false).
//
// # Session expiry
//
// A session expires when the servers hear nothing from it for its timeout
// (a long pause, a network cut); the servers then delete its ephemeral
// nodes and forget its watches, and the client learns it when it
// reconnects. What the Conn does then is chosen at Dial:
//
//   - By default (WithSessionRenewal(true)), as Curator's framework does,
//     the Conn establishes a new session by itself, spacing attempts with
//     the reconnect backoff (WithReconnectBackOff) until one succeeds or
//     Close. The state stream goes on: Expired, then Connecting and
//     Connected for the new session. Done and Err keep meaning that the
//     Conn is finished for good (Close, or an authentication failure).
//     The recipes in package recipes carry on on the new session (each
//     package doc says what a holder may assume).
//   - WithSessionRenewal(false): the Conn ends. Expired is the last state
//     on the stream, Done is closed, and Err and every later call return
//     ErrSessionExpired. Code that dials a new Conn when Done is closed
//     asks for this.
//
// Each session has a handle, returned by Conn.Session: its ID, its
// Generation (1 for the first session of the Conn, one more for each
// replacement), and Done, closed when that session ends (Err says why).
// A recipe holds the Session under which it created its ephemeral nodes,
// treats that Session's Done as the loss of everything bound to it, and
// compares generations (or an ephemeral's Stat.EphemeralOwner with ID) so
// that it never acts on an ephemeral node of an older session. A consumer
// of the state stream that sees Connected after Expired already gets the
// new session from Session; WaitSession waits for a live session.
//
// With renewal, across an expiry:
//
//   - Requests sent on a link that broke failed then with
//     ErrConnectionLoss, as always. Requests issued before the expiry was
//     learnt and still waiting for a link fail with ErrSessionExpired: they
//     were meant for the session that is gone (an ephemeral create must not
//     land in another session unnoticed). Requests issued after it (once
//     the old Session's Done is closed or Expired is on the stream) wait,
//     bounded by their ctx, for the new session, as requests issued while
//     disconnected wait for the next link: between sessions calls wait,
//     they do not fail fast.
//   - Every identity given with WithAuth or WithDigestAuth, or accepted by
//     AddAuth, is sent again on the new session before any request.
//   - Persistent and persistent recursive watches (AddWatch) are re-added
//     on the new session before any request (SetWatches2), and their Events
//     channels go on. Changes made between the expiry and the re-adding are
//     not reported (no watch existed on the servers): a consumer that
//     mirrors data reads it again once it sees the new session. Connected
//     is reported when the server accepts the new session, before it has
//     read the re-adding; a request issued after Connected is ordered after
//     it, so once that request is answered the watches are in place (a
//     read of the mirrored data serves both ends).
//   - One-shot watches (GetW, ExistsW, ChildrenW) cannot be re-added: the
//     servers' view of what they watched is gone and a change may have been
//     missed. Their channels are closed without an event when the expiry is
//     learnt, as when the Conn ends, so no waiter hangs: a channel closed
//     without an event means the watch is lost (read and watch again). The
//     Java client likewise hands its watchers the Expired state and drops
//     them.
//   - Ephemeral nodes of the expired session are deleted by the servers and
//     not recreated by the client: that is the job of the recipes, on the
//     new session. The servers delete them with a transaction of their own,
//     which may not be applied yet when the new session starts: a recipe
//     that creates one again at the same path may meet ErrNodeExists for a
//     moment, and tells the old node from its own by Stat.EphemeralOwner.
//
// With WithReadOnly, a session made by a read-only server is replaced on
// the first read-write server, renewal or not; that too starts a new
// Session (its generation is one more, the old one's Done is closed).
//
// Close ends the session on the server, stops every goroutine of the Conn
// and returns once they have exited.
//
// # Performance
//
// Reads are answered by the connected server; writes cost a quorum round
// trip and an fsync, which writes in flight together share (group commit),
// so pipelining requests on one Conn raises throughput. The package's benchmarks measure getData and setData on one
// Conn, one request at a time and pipelined, against an in-memory
// ensemble, a zabkit cluster and Apache ZooKeeper; the figures and the
// client's allocations per request are in docs/benchmarks.md.
package client
