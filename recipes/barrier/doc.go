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
// A session that expires while in a DoubleBarrier makes Enter or Leave
// return ErrSessionLost: its participant node is gone.
package barrier
