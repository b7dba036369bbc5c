// Package znode is zabkit's data tree: the znodes of one replica with
// Apache ZooKeeper 3.8's semantics, the leader's request preparation, the
// deterministic application of replicated txns, the watch registry, and
// snapshots.
//
// # Pipeline
//
// A write request goes through the tree twice. On the leader, Prep turns
// it into a txn (ZooKeeper's PrepRequestProcessor): it validates the path
// (BadArguments), the create mode and TTL, ACLs (InvalidACL, NoAuth),
// versions (BadVersion), existence (NoNode, NodeExists, NotEmpty), names
// sequential nodes from the parent's cversion (%010d), and expands the
// "auth" ACL scheme. Prep reads through an overlay of the changes of txns
// it prepared but that are not applied yet (ZooKeeper's outstanding
// ChangeRecords), so pipelined requests see each other. Once the txn is
// committed, every replica calls Apply, which is deterministic: same tree,
// same txn, same result, same digest.
//
//	tree := znode.New(znode.Config{ExtendedTypes: true})
//	txn, err := tree.Prep(znode.Request{Session: sid, Op: wire.OpCreate,
//		Record: &wire.CreateRequest{Path: "/app", ACL: znode.OpenACLUnsafe}, Auth: auth}, zxid, nowMillis)
//	// replicate znode.MarshalTxn(txn); then, on every replica, in zxid order:
//	res, err := tree.Apply(txn) // res.Path, res.Stat, res.Err, res.Multi, res.Events
//
// Reads (GetData, Exists, Children, GetACL, AllChildrenNumber, Ephemerals)
// answer with ZooKeeper's errors and ACL checks and can leave a watch.
//
// # Concurrency
//
// A Tree is mutated by one goroutine at a time: the server holds a
// sync.RWMutex, takes the write lock for Prep, Apply, ResetPending and
// ReadSnapshot, and the read lock for the read methods, Digest and
// WriteSnapshot. The watch registry has its own mutex, so reads that set
// watches can run in parallel under the read lock.
//
// # Watches
//
// Watchers are opaque comparable handles the server supplies (typically
// its connection). The registry follows ZooKeeper 3.8's two
// WatchManagers: getData/exists set one-shot data watches, getChildren
// one-shot child watches, addWatch persistent or persistent-recursive
// watches on both. Apply reports each triggered event with its watchers in
// ZooKeeper's order (create: NodeCreated then the parent's
// NodeChildrenChanged; delete: NodeDeleted then the parent's
// NodeChildrenChanged; setData: NodeDataChanged); delivering them, before
// the reply to the request that caused them, is the server's job.
//
// # Sessions and ephemerals
//
// createSession and closeSession are txns: the tree keeps the sessions
// with their timeouts (they are part of snapshots and of the digest) and a
// per-session index of ephemeral nodes; closeSession deletes the session's
// ephemerals in byte order of their paths. ReapCandidates lists the empty
// containers and expired TTL nodes the leader should delete with
// OpDeleteContainer requests.
//
// # Quotas
//
// As ZooKeeper's DataTree, the tree keeps quota statistics: once
// /zookeeper/quota/P/zookeeper_limits exists, creates, deletes and setData
// below P update the count and bytes in /zookeeper/quota/P/zookeeper_stats
// (without version change or watch event). Quotas are not enforced, as
// ZooKeeper does by default.
//
// # Null and empty data
//
// As in ZooKeeper, a node's data is either null or a byte string, and the
// empty string is not null: a node created or set with nil data holds nil,
// one created or set with empty data a non-nil empty slice, and GetData
// returns them as they are (the wire encodes length -1 and 0;
// stat.dataLength is 0 for both). Prep copies the request's data into the
// txn untouched, the txn records keep the distinction in the log, Apply
// (create, create2, createContainer, createTTL, setData, and the same ops
// inside a multi) stores it, the digest tells the two apart and snapshots
// keep it. The reserved nodes (/, /zookeeper, /zookeeper/quota,
// /zookeeper/config) hold empty data, as ZooKeeper's DataTree makes them.
//
// Snapshots keep the distinction too (format ZKSNAP02, where null data is
// the length 0xffffffff). A ZKSNAP01 snapshot, from before the tree told
// the two apart, still loads: its zero-length data reads as null, the only
// zero-length value those trees held, and its reserved nodes as empty.
// Nodes with null or non-empty data hash as before, so the digests stored
// in old snapshots still verify.
//
// # Snapshots and digests
//
// WriteSnapshot and ReadSnapshot save and restore the whole replicated
// state (nodes, ACL cache, sessions, last zxid) with a checksum; Digest is
// a 64-bit digest of the same state, maintained incrementally, for
// replicas to compare.
//
// WriteSnapshot needs the tree unchanged for its whole run. To write a
// snapshot while txns keep being applied, freeze the tree under the write
// lock and encode it under the read lock in batches (copy-on-write: until
// Close, Apply saves a node's fields the first time it changes it, and
// logs changes to a frozen node's children set):
//
//	mu.Lock()
//	snap := tree.BeginSnapshot() // O(1) in the number of nodes
//	mu.Unlock()
//	err := snap.Encode(ctx, w, mu.RLocker()) // w.Write runs with mu released
//	mu.Lock()
//	snap.Close()
//	mu.Unlock()
//
// The bytes are exactly those WriteSnapshot would have written at the
// freeze. WriteSnapshot holds the read lock for its whole run, so Apply
// would wait for all of it; with BeginSnapshot and Encode, Apply waits
// only for the freeze or for one batch.
//
// # Conformance
//
// The tree's replies are checked against Apache ZooKeeper 3.8's: every
// error the tree returns, Stat bookkeeping and watch events, with two
// sessions per case, compared byte for byte with replies recorded from a
// ZooKeeper 3.8 server. Where Debian's 3.8.0 and the 3.8.4 sources differ,
// the tree follows 3.8.4: exists checks READ, a create2 op in a multi stays
// create2, and Event.ACL lets the server drop events a watcher may not
// READ. Deliberate differences: closeSession deletes in byte order
// (ZooKeeper: HashSet order); checkWatches looks only at the caller's own
// watches on the path; unparsable quota statistics are left alone
// (ZooKeeper's server stops); a createTTL with a non-TTL mode is always
// BadArguments; a closing session's prepared ephemerals are counted out of
// their parents at once.
//
// # Memory and speed
//
// A node takes a small fixed struct plus its name (stored once, as the key
// in its parent's children map) and its share of that map; leaves have no
// map, and ACL lists live once in a reference-counted cache, which nodes
// hold as a 4-byte reference. An empty znode takes at most 250 bytes of
// live heap (a test enforces the bound). The package's benchmarks measure
// memory per znode, create, getData, setData, getChildren and snapshots on
// a 1,000,000-znode tree; their figures are in docs/benchmarks.md.
package znode
