// Package cache keeps a local copy of a znode and the nodes below it
// current, and reports every change in order: Apache Curator's
// CuratorCache for Go. It reads plain nodes, so it caches whatever any
// ZooKeeper client wrote.
//
//	c, err := cache.New(ctx, conn, "/app", cache.WithDepth(1)) // the node and its children
//	defer c.Close()
//	n, ok := c.Get("/app/db")                 // local reads
//	for ev := range c.Listen(ctx) {           // created, changed, deleted, initialized, ...
//		...
//	}
//
// The cache holds the node at its path (when it exists) and, with
// WithDepth, its children or (the default) its whole subtree. New returns
// once the first snapshot is read. Get, Children, Walk and Len answer from
// the copy without a request.
//
// # Watches
//
// On servers with persistent watches (ZooKeeper 3.6 and later, zabkit)
// one persistent recursive watch on the path follows the whole subtree;
// events below the depth limit are ignored. A created or changed node is
// read again, so the copy may jump ahead of the event being followed
// (later events then change nothing). On older servers, which answer
// AddWatch with ErrUnimplemented, or WithOneShotWatches, the cache sets a
// one-shot data watch on every cached node and a child watch on every
// cached node above the depth limit, and sets each again when it fires.
//
// # Events
//
// Listen returns a stream that starts with the current snapshot (an
// EventCreated per node, parents first, then EventInitialized) and goes
// on with every change, in the order the cache applies them, on an
// unbounded queue: nothing is dropped or coalesced, whatever the reader's
// pace. Applying a stream's events in order to an empty map always yields
// the copy as it was when the last event was sent.
//
// # Connection loss and session expiry
//
// While the Conn has no connection the copy may fall behind: the cache
// reports EventStale and Stale returns true; reads keep answering from the
// copy. The servers do not replay what a persistent watch missed, and a
// one-shot watch does not outlive its session, so once the Conn is
// connected again, on the same session (a reconnect) or on a new one (the
// session expired and the Conn has WithSessionRenewal), the cache reads
// the cached part of the tree again, reports every difference from its
// copy as created, changed and deleted events (nodes deleted meanwhile,
// deepest first, then new and changed ones, parents first), then
// EventSynced; Stale is false again. An ephemeral node of an expired
// session is reported deleted once the servers have deleted it.
//
// A Conn without renewal is finished by an expiry: the cache reports
// EventStale, stops following the tree (Err matches ErrStopped and the
// Conn's error, such as client.ErrSessionExpired), closes its Listen
// streams after the events queued before, and keeps its last copy for
// reads. Make a new cache on a new Conn to follow the tree again.
//
// # Performance
//
// Memory per cached node and event latency for 100,000 cached nodes are
// in docs/benchmarks.md.
// An event costs one read of the changed node, whatever the cache's size;
// a reconnect costs a read of every cached node.
package cache
