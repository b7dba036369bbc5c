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
//	nw, mem := server.NewMemNetwork(seed), storage.NewMem()
//	cfg.Network, cfg.Store = nw, mem
//	nw.Partition(1, 2); nw.SetDrop(1, 3, 0.1); nw.SetDelay(2, 3, 5*time.Millisecond); nw.Heal()
//	s.Kill()    // abrupt: an fsync in flight is abandoned
//	mem.Crash() // the store's owner simulates the power loss; New(cfg)+Start restarts
//	s.Pause(); s.Resume()
//
// Config (from DefaultConfig, checked by Validate) holds ZooKeeper's
// zoo.cfg settings; package zoocfg builds one from a zoo.cfg file. New
// makes a Server, Start starts it, and Close (graceful) or Kill (abrupt)
// stops it. The methods beside them serve operators and fault tests: the role and
// epoch (State), the replicated state's digest (Digest), counters (Stats),
// and faults a test injects (Pause, DropClientConnections,
// ExpireSession). Peers talk through a Network: TCP between processes
// (NewTCPNetwork, the default) or MemNetwork inside one process.
//
// # Driver
//
// One driver goroutine owns the zab.Node: ticks, peer messages and
// commands from client connections all run there (a pause is honoured in
// one place, before an event is handled), and after each the driver
// fulfils the node's Ready in order (install snapshot, truncate, append,
// fsync, persist epochs, send, apply, answer read barriers, provide
// snapshots, prepare and propose forwarded requests, hand the leader's
// replies to the connections waiting for them). driver.go is that loop;
// what a Ready's parts lead to lives beside it, each file saying in its
// first comment what it owns: apply.go, barriers.go, forward.go,
// sessions.go, expiry.go, role.go and snapshot.go. Client connections are
// conn.go and requests.go.
//
// The fsync and the epochs run on a goroutine beside the driver, which
// meanwhile keeps stepping messages and ticks (zab allows that while a
// Ready is outstanding); one Sync covers every entry of the Ready (group
// commit). zab decides which of a Ready's messages may leave before its
// fsync (Ready.SplitMessages: an established leader's messages to its
// learners, such as PROPOSAL, COMMIT and PING) and the driver sends those
// at once; every
// other message, acknowledgements included, leaves only once the Ready is
// durable.
//
// Kill is kill -9 for the goroutines only: it abandons a persist in flight
// (the Sync's wait ends with the server's life, its outcome is ignored)
// instead of waiting for it. It leaves an injected Config.Store as it is:
// whoever owns the store simulates the power loss (the ensemble crashes
// its in-memory store before it kills the server). zab.Entry and
// storage.Entry stay two types (core/zab imports nothing of the project,
// core/storage imports neither zab nor znode); entries.go holds the only
// conversions between them.
//
// # Peer transports
//
// Both transports keep each peer's messages FIFO across reconnects, as
// core/zab requires: a replaced TCP connection's reader finishes and its
// break (Inbound.Down, which the driver turns into ReportUnreachable) is
// queued before the new connection's first message; MemNetwork gives each
// link direction a generation, advanced by a partition, a heal or the
// re-attachment or close of either end, and drops what an older
// generation still had in flight.
//
// Over TCP, as in ZooKeeper, the larger id dials. The dialer backs off
// (20ms doubling up to 1s) after a refused dial and after a connection
// that closed before the peer sent a message (a proxy in front of a
// cut-off peer accepts and closes at once); only a connection the peer
// used starts the backoff over.
//
// # Requests
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
// exists checks READ on an existing node, as Apache ZooKeeper 3.8.4 and
// core/znode do (3.8.0 to 3.8.3 checked nothing); srvr reports the
// version as 3.8.4-zabkit accordingly. The wchc and wchp four-letter
// words list watches per session and per path from core/znode's
// WatchesByWatcher and WatchesByPath snapshots.
//
// # Sessions
//
// createSession and closeSession are txns. One session tracker
// (sessions.go) owns the rest: the leader keeps ZooKeeper's bucketed
// expiry queue (expiry.go); the other servers relay the sessions their
// clients touched once per tick.
//
// A client reconnecting with a session is revalidated by the leader, as
// ZooKeeper's learners do (REVALIDATE): the server checks the password,
// then asks the leader (a revalidation forwarded in FIFO order with the
// connection's earlier writes; the leader answers with zab's Reply) and
// answers the client only with the leader's verdict: connected if the
// session is alive, which makes this connection its owner (writes from the
// older connection then fail with SessionMoved), SessionExpired if it
// expired or is being closed. A server without a leader (or cut off from
// it) gives no verdict: the connection waits and is closed when the server
// stops serving, so a stale replica never tells a client its expired
// session is connected. A client whose last seen zxid is ahead of this
// server is refused, and so is every client while the server does not
// serve.
//
// A leader that stood still (a GC pause, SIGSTOP) does not charge the
// stall to its sessions: a tick more than two tick intervals after the
// previous one moves every deadline by the gap before expiry is decided,
// because the touches the learners relayed during the stall are queued
// behind that tick; so a stall longer than a session timeout does not
// expire sessions whose clients pinged throughout. When a server leaves
// the broadcast phase it closes its client connections (as a ZooKeeper
// learner does); clients reconnect and retry.
//
// # Snapshots and reaping
//
// Containers and TTL nodes are reaped by the leader every
// ContainerCheckInterval through deleteContainer txns. Snapshots are taken
// after SnapCount/2 plus a random part below SnapCount/2 applied txns, or
// the same rule on logged bytes (storage.SnapTrigger, as ZooKeeper, so
// replicas do not snapshot together), without stopping writes: the driver freezes the tree
// (copy-on-write, znode.Tree.BeginSnapshot, O(1)) between two applies, and
// one background goroutine encodes the frozen tree into the store, holding
// the tree's read lock only per batch of nodes; a trigger while it runs
// waits for it. Once the snapshot is durable the driver compacts zab's log
// to it and, if PurgeInterval is set, purges old snapshots and log
// segments. Installing a snapshot from the leader and shutdown cancel a
// snapshot in progress. The snapshot a leader sends a learner (SNAP) is
// taken the same way, encoded into memory beside the driver, and handed to
// zab when done (zab then sends the log after it; compaction waits until
// no learner snapshot is being encoded).
//
// # Logs
//
// Logs (slog, Config.Logger) report role changes at Info: "elected" on a
// leader; "following" or "observing", then "synced" with mode=DIFF, TRUNC
// or SNAP on a learner (inferred from the Ready of its synchronization: a
// snapshot to install is SNAP, a truncation TRUNC, otherwise DIFF). Other
// Info lines mark events an operator may look for (recovery, "session
// expired", "snapshot taken", a snapshot installed or the log truncated
// from the leader, client and peer connections closed or refused); the
// rest is Debug or a warning.
//
// # Testing
//
// The conformance suite (internal/conformance) runs against servers on the
// in-memory network and on TCP. Fault tests kill, pause and partition
// servers and check the clients' histories for linearizability with
// porcupine.
package server
