// Package zab implements the ZooKeeper Atomic Broadcast protocol (Zab 1.0,
// as Apache ZooKeeper 3.8 implements it) as a pure, deterministic state
// machine, in the style of etcd's raft package: no goroutines, no clock, no
// I/O. It replicates opaque []byte transactions among voters and observers.
//
// # Phases
//
// A peer starts LOOKING and runs fast leader election: notifications carry
// a vote (proposed leader, its last zxid, its currentEpoch) plus the
// election epoch and the sender's state; votes are ordered by (peer epoch,
// zxid, server id); a peer decides once a quorum agrees and no better vote
// arrives within Config.FinalizeWait ticks, or at once when a quorum
// agrees counting peers of the same round that already decided
// (FOLLOWING/LEADING), or once a quorum of voters reports FOLLOWING/LEADING
// the same leader and that leader says LEADING (ZooKeeper's checkLeader:
// if the leader named is this peer, the round must be its own).
// Observers never vote and never count.
//
// A learner sends FOLLOWERINFO (OBSERVERINFO) every tick until LEADERINFO
// arrives: the leader may not have ended its own election yet when the
// first one arrives (ZooKeeper's learner retries its connection quickly).
//
// The elected leader runs discovery (FOLLOWERINFO with each voter's
// acceptedEpoch; LEADERINFO with max+1; ACKEPOCH with currentEpoch and last
// zxid from a quorum, refusing leadership if a learner is more recent),
// then synchronization (per learner DIFF, TRUNC or SNAP, the missing
// proposals, NEWLEADER; the learner persists the history, then its
// currentEpoch, then acks; a quorum of acks establishes the leader, which
// commits its whole initial history and sends UPTODATE), then broadcast
// (zxid = epoch<<32 | counter; cumulative ACKs; commit, strictly in zxid
// order, once a quorum of voters holds a proposal durably: the leader's own
// durable copy counts as one of them but is not required, so synced
// followers alone can commit while the leader's fsync runs; committed
// transactions reach observers as INFORM). A learner that joins
// an established leader is synced the same way while proposals continue.
// A leader that hears from no quorum for SyncLimit ticks, or that is not
// established within InitLimit ticks, goes back to LOOKING; so does a
// learner that loses its leader. A leader steps down before its zxid
// counter overflows (Config.MaxCounter) so that a new epoch starts.
//
// A LOOKING peer re-sends its notification every NotifyInterval ticks,
// doubling up to MaxNotifyInterval; in addition, to each voter whose link
// broke (ReportUnreachable) it re-sends its vote every tick until it hears
// from that voter again, so that it rejoins within ticks of a heal
// (ZooKeeper re-sends its last notification on a new connection). Before
// issue 19 a follower whose links were cut for a few seconds waited for
// its next back-off re-send after the heal, up to MaxNotifyInterval ticks.
//
// A learner session ends explicitly, as ZooKeeper's does when the leader
// closes the learner's socket (LearnerHandler) and the learner, reading
// from it, goes back to LOOKING. A peer that receives a learner message
// (FOLLOWERINFO, ACKEPOCH, ACKNEWLEADER, ACK, PINGRESP, REQUEST,
// READREQUEST) for which it has no learner session, because it is not
// leading, leads another epoch, or dropped that learner, answers it with
// NOSESSION, echoing the message's epoch and election round; and a leader
// that drops a learner (SyncLimit, InitLimit, link lost, learner ahead)
// or stops leading sends each learner concerned a NOSESSION naming its
// session by the round of its FOLLOWERINFO. A learner goes back to LOOKING
// at once on a NOSESSION from its leader that names its session: the
// round it decided in (the clock only grows, and each learner session
// starts in a new round), or, after LEADERINFO, the session's epoch for a
// refused message; an earlier session's arrives before the LEADERINFO of
// the current one (FIFO) and is ignored. A NOSESSION is never answered, so
// two peers cannot bounce them. One exception keeps elections quiet: a
// LOOKING peer that votes for itself does not answer a FOLLOWERINFO sent
// in its own round by a voter whose vote for it it holds (the voter saw
// the quorum first; this peer decides within FinalizeWait, and the
// FOLLOWERINFO is repeated every tick). Before issue 19 these messages
// were refused without a word and the learner waited out InitLimit or
// SyncLimit (a follower behind a TCP proxy stayed out for about 14s).
// A leader that steps down because a voter promised a later epoch also
// accepts that epoch itself, so that its next leadership proposes one
// above the promise.
//
// # Driving a Node
//
// The driver owns time, storage, network and the state machine:
//
//	n, err := zab.New(cfg) // cfg.Storage holds what was durable at start
//	for {
//		select {
//		case <-ticker.C:
//			n.Tick()
//		case m := <-recv: // decoded with Message.Unmarshal
//			_ = n.Step(m) // errors: log and drop; the node stays consistent
//		case req := <-clientWrites:
//			n.Forward(req) // reaches the leader's Ready.Requests
//		}
//		if n.HasReady() {
//			rd, _ := n.Ready()
//			early, late := rd.SplitMessages() // early: may leave now
//			// 1. install rd.Snapshot, 2. truncate, append rd.Entries,
//			// 3. persist rd.HardState, fsync; 4. send late;
//			// 5. apply rd.CommittedEntries; 6. answer rd.ReadStates;
//			// 7. rd.SnapshotRequests -> n.ProvideSnapshot(to, snap);
//			// 8. rd.Requests (leader) -> validate, n.Propose(txn)
//			//    or answer with n.Reply(from, data);
//			// 9. rd.Replies (learner) -> the leader's answers.
//			n.Advance(rd)
//		}
//	}
//
// Which messages may leave before the Ready is persisted is decided in
// one place, Ready.SplitMessages: an established leader's messages to its
// learners (its PROPOSALs go out while it logs them, as ZooKeeper's do),
// never anything else; the server's driver and the simulator both send by
// it. (The driver used to send every message of an established leader's
// Ready early, a notification answering a LOOKING peer included.) A Ready
// owns its Entries and CommittedEntries: they are copies, so a TRUNC or
// SNAP stepped while it is outstanding cannot clear or overwrite them
// (they used to alias the node's log; TestReadyOwnsItsEntries).
//
// Client writes: a follower never proposes. Forward sends the request to
// the leader, whose driver receives it in Ready.Requests, turns it into a
// transaction (ZooKeeper's PrepRequestProcessor) and calls Propose. A
// forwarded request that needs an answer rather than a transaction (a
// server revalidating a reconnecting client's session, as ZooKeeper's
// REVALIDATE) is answered with Reply(from, data): a REPLY message, after
// everything the leader sent that learner before, which the learner's
// driver receives in Ready.Replies. Requests and replies are opaque to zab.
//
// Read barriers: ReadBarrier(id) on any peer in an established session asks
// the leader to confirm its leadership with one heartbeat round answered by
// a quorum (Raft's ReadIndex); the barrier completes in Ready.ReadStates
// with the commit point, once this peer has handed out every committed
// entry up to it. A server builds a linearizable sync on it.
//
// # Messages
//
// Message is one packet; Marshal/Unmarshal give a deterministic binary
// encoding for TCP transports (Unmarshal never panics; it is fuzzed). The
// driver delivers messages FIFO per peer pair and calls ReportUnreachable
// when a connection breaks. FIFO holds across reconnects too: once a
// message of a new connection from a peer has been stepped, no message of
// an older connection from that peer may be (finish or discard the old
// reader first); the node refuses the late packets it can recognize (an
// older epoch, a stale ACKEPOCH), not all. Messages from an unknown peer,
// from a peer outside the current session, or inconsistent with the log
// return an error wrapping ErrUnexpectedMessage and never corrupt the node
// (a learner message without a session is also answered with NOSESSION).
//
// # Testing
//
// The package tests include a seeded simulator (sim_test.go) that drives
// 1 to 7 voters (even ensembles too) plus observers through broken links,
// partitions, links frozen while time passes (late packets), crashes that
// lose unacknowledged writes (often the leader's), restarts, slow disks,
// late snapshots and client traffic, checking after every step that committed sequences are prefixes
// of one another, that nothing committed is lost, that each epoch has at
// most one established leader, that logs are contiguous, and that read
// barriers cover every earlier commit; and that a healed cluster commits
// again within a bounded number of ticks, with each peer's timer at a
// fixed phase and messages arriving between ticks (often with the last
// leader kept down). sim_liveness_test.go kills the leader of a calm
// cluster again and again: the survivors must establish a new leader
// within SyncLimit+2*InitLimit ticks, and the restarted peer must rejoin. Run more seeds with
// go test ./core/zab -run TestSimSeeds -seeds 100000, or one with -seed N -v.
// The scenarios of ZooKeeper bugs (TestZK*) also record a readable event
// log that must match testdata/traces/<test>.trace; regenerate those with
// go test ./core/zab -run TestZK -rewrite and review the diff.
// The simulator also compares every protocol decision with what the
// simulated disks hold (sim_durable_test.go): durable epochs never go
// back, an acknowledgement leaves only once what it acknowledges is
// durable, a leader leaves discovery or gets established only once a
// quorum durably accepted or entered its epoch, and every commit point is
// durable on a quorum of voters.
//
// mutation_test.go keeps a table of deliberate bugs (a learner accepting
// a lower epoch, a leader counting its own undurable writes, off-by-one
// quorums, committing before the NEWLEADER quorum, applying uncommitted
// entries, skipping epoch persistence, stale heartbeats confirming a read
// barrier, ...) with the test that catches each;
// go test ./core/zab -run TestMutants -mutants all checks that every one
// is still caught.
package zab
