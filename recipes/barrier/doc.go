// Package barrier provides ZooKeeper barriers with Apache Curator's
// layouts.
//
// Barrier (Curator's DistributedBarrier) is a single node: while it exists,
// Wait blocks; Remove lets every waiter through.
//
// DoubleBarrier (Curator's DistributedDoubleBarrier) synchronises N
// participants at the start and the end of a computation: each
// participant is an ephemeral node dir/<uuid>; Enter returns once N
// participants are present (the N-th creates dir/ready), Leave returns once
// every participant has left. Because participants are ephemeral, one that
// crashes or whose session expires stops counting and does not block the
// others forever in Leave. Every wake-up re-reads the barrier's nodes, so
// a reconnect (or any spurious wake-up) never lets a participant through
// before its condition holds.
//
//	b := barrier.NewDoubleBarrier(conn, "/app/barriers/batch-42", 3)
//	if err := b.Enter(ctx); err != nil { ... }
//	compute()
//	if err := b.Leave(ctx); err != nil { ... }
//
// # Connection loss and session expiry
//
// Connection loss (suspension) changes nothing: every call waits for the
// connection and re-reads the nodes, and a participant's ephemeral node
// lives as long as its session.
//
// Session expiry, with the Conn's session renewal on (client.Dial's
// default):
//   - Barrier is a persistent node: nothing of it goes with a session. Set,
//     Remove and Wait go on on the Conn's new session (a call that was in
//     flight is retried).
//   - DoubleBarrier, waiting in Enter: the participant's node went with
//     the session, so it stopped counting; Enter joins again on the new
//     session (a node of a new name) and goes on waiting.
//   - DoubleBarrier, entered (between Enter and Leave, or in Leave): the
//     others count the participant as gone (crashed) and may pass Leave
//     without it; its participation is over and never resumed. Leave
//     returns ErrSessionLost, after which the same value may Enter again.
//
// Session expiry with client.WithSessionRenewal(false): the Conn ends;
// Enter, Leave, Wait and Remove return ErrSessionLost, Set the Conn's
// error (client.ErrSessionExpired).
package barrier
