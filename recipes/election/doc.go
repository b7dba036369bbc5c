// Package election provides leader election on ZooKeeper, interoperable
// with Apache Curator's LeaderLatch: every candidate creates a protected
// ephemeral-sequential node dir/_c_<uuid>-latch-NNNNNNNNNN holding its
// value (Curator's participant id), and the candidate with the lowest
// sequence number leads. The directory and its missing parents are created
// as container nodes.
//
//	e := election.New(conn, "/app/election/scheduler")
//	err := e.Run(ctx, "host-a:8080", func(ctx context.Context) error {
//		// lead until ctx is cancelled
//		<-ctx.Done()
//		return nil
//	})
//
// Campaign blocks until the candidate leads; each candidate watches only
// the candidate just before it. Resign gives leadership (or the place in
// the queue) up. Leader and Observe tell anyone who leads. Run works like
// Curator's LeaderSelector with auto-requeue: it campaigns, calls fn with a
// context that is cancelled as soon as leadership may have been lost,
// resigns when fn returns, and campaigns again until its ctx ends. It does
// so on LeaderLatch's nodes (latch-), not on LeaderSelector's
// (InterProcessMutex lock- nodes): Run shares an election with Java
// LeaderLatch candidates, not with Java LeaderSelectors on the same path.
//
// # Faults
//
// A leader learns that it may no longer lead through Lost / Context: the
// session expired or was closed, or the client stayed without a connection
// for longer than the grace period (WithSuspendGrace, default zero: at
// once). Leadership is never granted on a node that is not an ephemeral of
// the current session (CURATOR-696). The Token of a term (its node's
// czxid) increases from each leader to the next, so storage can fence off
// a deposed leader.
//
// Connection loss (suspension): a waiting candidate keeps its place; a
// leader's Context ends once the connection has stayed lost for longer
// than the grace (at once by default), and Run then calls fn again only
// after campaigning anew. Observe goes on.
//
// Session expiry with the Conn's session renewal on (client.Dial's
// default), as Curator's LeaderLatch and LeaderSelector requeue: the
// candidate's node goes with the session. A leader's term is over (its
// Context ends with ErrLost and is never resumed; Resign returns nil and
// sends nothing on the new session); Run resigns when fn returns and campaigns again on
// the Conn's new session, at the end of the queue, and a later term has a
// greater token. A waiting Campaign (or Run) joins the election again on
// the new session and goes on waiting. Campaign on an idle Election runs
// on the new session. Observe keeps observing and reports the leaders
// elected meanwhile (only the latest is guaranteed).
//
// Session expiry with client.WithSessionRenewal(false): the Conn ends.
// Campaign and Run return ErrSessionLost, Observe's channel closes, and
// the caller dials a new Conn to campaign again.
//
// # Performance
//
// The next candidate watches only the leader's node, so a hand-over is
// one watch notification and one read once the leader's session has ended
// on the servers. In production the session timeout comes first: a leader
// that dies silently is replaced about one session timeout later (a leader
// that closes its session or resigns, at once). The hand-over time is
// measured against Apache ZooKeeper in docs/benchmarks.md.
package election
