// Package server is one zabkit node: it drives the ZAB state machine
// (core/zab) with goroutines, persists through core/storage, applies
// committed txns to the znode tree (core/znode), and serves the ZooKeeper
// client protocol (wire) on a TCP listener.
//
// # Usage
//
//	cfg := server.DefaultConfig(1)
//	cfg.Peers = []server.Peer{{ID: 1, PeerAddr: "127.0.0.1:2888"}, ...}
//	cfg.ClientAddr = ":2181"     // ":0" picks a port: see ClientAddr
//	cfg.Dir = "/var/lib/zabkit"  // or cfg.Store = storage.NewMem()
//	s, err := server.New(cfg)    // validates, opens and recovers storage
//	err = s.Start(ctx)
//	defer s.Close()              // graceful, idempotent, waits for goroutines
//
// Tests and the in-process ensemble use an in-memory network and store:
//
//	nw := server.NewMemNetwork(seed)
//	cfg.Network, cfg.Store = nw, storage.NewMem()
//	nw.Partition(1, 2); nw.SetDrop(1, 3, 0.1); nw.SetDelay(2, 3, 5*time.Millisecond); nw.Heal()
//	s.Kill()   // abrupt: Mem loses what was not synced; New(cfg)+Start restarts
//	s.Pause(); s.Resume()
//
// # Exported API (stable, for ensemble/ and cmd/zabkit)
//
// Config (DefaultConfig, Validate), Peer, New, (*Server).Start, Close,
// Kill, Pause, Resume, DropClientConnections, ExpireSession, State
// (StateInfo: LOOKING/FOLLOWING/LEADING/OBSERVING, epoch, leader,
// serving), Digest, ClientAddr, ID, Stats (Stats). Network, Transport,
// Inbound, MemNetwork, NewTCPNetwork.
//
// # Design
//
// One driver goroutine owns the zab.Node: ticks, peer messages and
// commands from client connections all run there, and after each the
// driver fulfils the node's Ready in order (install snapshot, truncate,
// append, fsync, persist epochs, send, apply, answer read barriers,
// provide snapshots, prepare and propose forwarded requests). The fsync
// and the epochs run on a goroutine beside the driver, which meanwhile
// keeps stepping messages and ticks (zab allows that while a Ready is
// outstanding); one Sync covers every entry of the Ready (group commit).
// An established leader sends its proposals before its own fsync
// returns; everyone else sends only after it (acks leave only once
// durable).
//
// Both transports keep each peer's messages FIFO across reconnects, as
// core/zab requires: a replaced TCP connection's reader finishes and its
// break (Inbound.Down, which the driver turns into ReportUnreachable) is
// queued before the new connection's first message; MemNetwork gives each
// link direction a generation, advanced by a partition, a heal or the
// re-attachment or close of either end, and drops what an older
// generation still had in flight.
//
// TCP: as in ZooKeeper, the larger id dials. The dialer backs off (20ms
// doubling up to 1s) after a refused dial and after a connection that
// closed before the peer sent a message (a proxy in front of a cut-off
// peer accepts and closes at once); only a connection the peer used
// starts the backoff over. Before issue 19 every accepted connection
// reset it, and such a peer was redialed about 50 times a second.
//
// Writes go, in the order the client sent them, to the leader (through
// zab's Forward), which checks the session (SessionExpired,
// SessionMoved), runs znode's Prep and proposes the txn, error txns
// included, so that every request is answered through the log in order.
// A log entry is the origin (server id, connection id) followed by the txn
// as ZooKeeper logs it; the origin server answers the client once it has
// applied the entry. Reads are answered from the local tree, in order
// behind the same connection's pending writes and syncs. Watch events are
// queued while the tree's write lock is held during Apply, so they precede
// every later reply on that connection. sync waits for a zab read barrier
// (a quorum round on the leader) and for this server to apply up to the
// leader's commit point: it is linearizable.
//
// Sessions: createSession and closeSession are txns. The leader keeps
// ZooKeeper's bucketed expiry queue; the other servers relay the sessions
// their clients touched once per tick. A reconnecting client claims its
// session's ownership through the leader, in FIFO order with its writes;
// writes from the older connection then fail with SessionMoved. A client
// whose last seen zxid is ahead of this server is refused. When a server
// leaves the broadcast phase it closes its client connections (as a
// ZooKeeper learner does); clients reconnect and retry.
//
// exists checks READ on an existing node, as Apache ZooKeeper 3.8.4 and
// core/znode do (3.8.0 to 3.8.3 checked nothing); srvr reports the
// version as 3.8.4-zabkit accordingly.
//
// Logs (slog, Config.Logger) carry one Info line per significant event:
// "elected" (leader), "following" or "observing", then "synced" with
// mode=DIFF, TRUNC or SNAP (a learner, inferred from the Ready of its
// synchronization: a snapshot to install is SNAP, a truncation TRUNC,
// otherwise DIFF), "session expired", "snapshot taken"; everything else is
// Debug or a warning.
//
// The wchc and wchp four-letter words list watches per session and per
// path from core/znode's WatchesByWatcher and WatchesByPath snapshots.
//
// # Tests
//
// The conformance suite (internal/conformance) runs against three voters on
// the in-memory network and on TCP; -server.long adds a standalone run.
// Fault tests kill, pause and partition servers; TestLinearizableUnderFaults
// checks histories with porcupine (-lin.seed N reproduces a run).
//
// Containers and TTL nodes are reaped by the leader every
// ContainerCheckInterval through deleteContainer txns. Snapshots are taken
// after SnapCount/2 plus a random part below SnapCount/2 applied txns
// (storage.SnapTrigger, as ZooKeeper, so replicas do not snapshot
// together) without stopping writes: the driver freezes
// the tree (copy-on-write, znode.Tree.BeginSnapshot, O(1)) between two
// applies, and one background goroutine encodes the frozen tree into the
// store, holding the tree's read lock only per batch of nodes; a trigger
// while it runs waits for it. Once the snapshot is durable the driver
// compacts zab's log to it and, if PurgeInterval is set, purges old
// snapshots and log segments. Installing a snapshot from the leader and
// shutdown cancel a snapshot in progress. The snapshot a leader sends a
// learner (SNAP) is taken the same way, encoded into memory beside the
// driver, and handed to zab when done (zab then sends the log after it;
// compaction waits until no learner snapshot is being encoded).
package server
