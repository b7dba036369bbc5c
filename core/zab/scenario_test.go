package zab

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// A txn logged only on an old leader that crashed is truncated when that
// peer rejoins, and never becomes visible (ZOOKEEPER-1154, ZOOKEEPER-1156).
func TestZK1154OrphanTxnOnOldLeaderIsTruncated(t *testing.T) {
	s := newScenario(t, 3, 0)
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3) }), "initial election")
	old := s.leader()
	z1 := s.write(t, "committed-1")
	require.True(t, s.runUntil(20, func() bool { return s.appliedAll(z1, 1, 2, 3) }))

	// The leader is cut off, logs one more txn durably, and crashes.
	s.isolate(old.id)
	orphan := s.write(t, "orphan")
	s.fairRound()
	require.True(t, old.n.log.has(orphan), "orphan logged on the old leader")
	s.crash(old, false)

	// The others elect a new leader and commit new txns in a new epoch.
	others := []uint64{}
	for _, id := range s.ids {
		if id != old.id {
			others = append(others, id)
		}
	}
	s.heal()
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(others...) }), "re-election")
	z2 := s.write(t, "committed-2")
	require.True(t, s.runUntil(20, func() bool { return s.appliedAll(z2, others...) }))

	// The old leader restarts: it must be told to TRUNC its orphan.
	s.start(old)
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3) && s.appliedAll(z2, 1, 2, 3) }))
	s.mustOK(t)
	require.Positive(t, s.delivered[[2]uint64{old.id, uint64(MsgTrunc)}], "old leader got TRUNC")
	require.False(t, old.n.log.has(orphan), "orphan truncated")
	for _, id := range s.ids {
		require.False(t, s.applied(id, orphan), "orphan applied on %d", id)
	}
	require.NotContains(t, zxids(s.global), orphan.String())
}

// The whole quorum crashes right after UPTODATE, losing every write its
// disks had not acknowledged: every committed txn survives (ZOOKEEPER-3911).
func TestZK3911QuorumCrashRightAfterUpToDate(t *testing.T) {
	for variant := 0; variant < 3; variant++ {
		t.Run(fmt.Sprint("variant", variant), func(t *testing.T) {
			s := newScenario(t, 3, 0)
			require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3) }))
			var last Zxid
			for i := 0; i < 5; i++ {
				last = s.write(t, fmt.Sprintf("tx%d", i))
			}
			require.True(t, s.runUntil(20, func() bool { return s.appliedAll(last, 1, 2, 3) }))

			// Depose the leader so that a new one syncs the others.
			ld := s.leader()
			s.crash(ld, true)
			var rest []uint64
			for _, id := range s.ids {
				if id != ld.id {
					rest = append(rest, id)
				}
			}
			// Stall the disks of the survivors from the moment the new
			// leader sends UPTODATE, then crash everyone.
			sawUpToDate := func() bool {
				for _, id := range rest {
					if s.delivered[[2]uint64{id, uint64(MsgUpToDate)}] > 0 {
						return true
					}
				}
				return false
			}
			require.True(t, s.runUntil(100, sawUpToDate))
			for _, id := range rest {
				if variant > 0 {
					s.nodes[id].hold = durableWrites
				}
			}
			if variant == 2 {
				// a few more writes that may or may not survive
				if s.leader() != nil {
					s.write(t, "maybe")
					s.fairRound()
				}
			}
			for _, id := range rest {
				s.crash(s.nodes[id], false)
			}
			for _, id := range s.ids {
				s.nodes[id].hold = nil
				s.start(s.nodes[id])
			}
			require.True(t, s.runUntil(200, func() bool { return s.allFollow(1, 2, 3) }))
			z := s.write(t, "after")
			require.True(t, s.runUntil(50, func() bool { return s.appliedAll(z, 1, 2, 3) }))
			s.mustOK(t)
			for _, g := range s.global {
				require.True(t, s.appliedAll(g.Zxid, 1, 2, 3), "committed %s lost", g.Zxid)
			}
		})
	}
}

// A follower persisted the new epoch but not the synced txns, crashed, and
// then wins the election: nothing committed may be truncated
// (ZOOKEEPER-4643).
//
// ZooKeeper's failure: voters A, B, C; A lags and C holds every committed
// txn. C is cut off; B leads a new epoch e with A only, sends A a DIFF and
// NEWLEADER; A writes currentEpoch e before the txns reach its disk (3.8's
// Learner.syncWithLeader calls setCurrentEpoch, then hands the txns to the
// asynchronous log) and crashes, B goes down too. A and C elect: votes
// compare by (peerEpoch, zxid, id), so A's currentEpoch e beats C's e-1
// whatever their zxids, A leads without the txns and TRUNCs the committed
// ones off C.
//
// Here A = lagger = 1 (lowest id, so that the epoch is its only way to
// win), C = holder = 2, B = 3 (leader of epochs 1 and 2, kept down after
// the crash). The lagger's disk stalls on its sync writes of epoch 2 and
// completes only the first k, in Ready order, before the crash; there are
// five: the four txns of the DIFF, then currentEpoch 2.
//   - k < 5: its durable currentEpoch is still 1, so both votes carry
//     peerEpoch 1, the holder's zxid is at least the lagger's (ties go to
//     the higher id), and the holder wins and DIFFs the lagger;
//   - k >= 5: its durable currentEpoch is 2 > 1 and the lagger wins, as
//     in ZOOKEEPER-4643. It is safe only because Ready puts Entries before
//     HardState and the driver (sim.persist) honours that order, so a
//     durable currentEpoch 2 implies a durable epoch-2 history holding
//     every committed txn: the new leader has them (checkLeaderHasCommitted)
//     and the holder gets a DIFF, never a TRUNC. The mutant
//     driver-persists-epoch-before-txns (mutation_test.go) writes
//     ZooKeeper 3.8's order instead, and this test fails.
func TestZK4643EpochPersistedBeforeTxnsThenWins(t *testing.T) {
	const lagger, holder, old = 1, 2, 3
	wins := map[int]bool{} // crash point -> the lagger won
	for k := 0; k <= 6; k++ {
		t.Run(fmt.Sprint("crash-after-write-", k), func(t *testing.T) {
			s := newScenario(t, 3, 0)
			t.Logf("seed %d", s.seed)
			require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3) }))
			require.Equal(t, uint64(old), s.leader().id, "equal votes: the highest id leads epoch 1")
			z0 := s.write(t, "before")
			require.True(t, s.runUntil(20, func() bool { return s.appliedAll(z0, 1, 2, 3) }))

			// Epoch 1 commits four txns without the lagger.
			s.isolate(lagger)
			var last Zxid
			for i := 0; i < 4; i++ {
				last = s.write(t, fmt.Sprintf("tx%d", i))
			}
			require.True(t, s.runUntil(20, func() bool { return s.appliedAll(last, holder, old) }))

			// The holder is cut off too: the old leader loses its quorum,
			// steps down, and leads epoch 2 with the lagger alone (its
			// (1, last) beats the lagger's (1, z0)).
			s.isolate(holder)
			require.True(t, s.runUntil(50, func() bool { return s.nodes[old].n.Status().State == StateLooking }))
			ln := s.nodes[lagger]
			// The lagger's disk stalls on every write of the epoch-2 sync.
			ln.hold = func(rd *Ready) bool {
				return durableWrites(rd) && ln.n.ln != nil && ln.n.ln.epoch == 2 && ln.n.ln.phase >= lpSyncing
			}
			delete(s.cut, [2]uint64{lagger, old})
			s.logf("heal link %d-%d", lagger, old)
			require.True(t, s.runUntil(60, func() bool {
				return ln.n.ln != nil && ln.n.ln.phase >= lpWaitUpToDate
			}), "lagger got NEWLEADER")
			require.Equal(t, uint64(old), ln.n.ln.leader)
			require.Equal(t, uint32(2), ln.n.ln.epoch)

			// Let the disk complete k writes in order, then crash both.
			budget := k
			for ln.rd != nil {
				rd := ln.rd
				ops := len(rd.Entries)
				if rd.Snapshot != nil {
					ops++
				}
				if rd.Truncate {
					ops++
				}
				if rd.HardState != nil {
					ops++
				}
				if budget < ops {
					s.persist(ln, rd, budget)
					break
				}
				budget -= ops
				s.finishReady(ln)
				s.pump()
			}
			ln.rd = nil
			epochDurable := ln.disk.hs.CurrentEpoch == 2
			hasTxns := diskHas(&ln.disk, last)
			t.Logf("lagger's disk: %+v, log %v", ln.disk.hs, zxids(ln.disk.log))
			s.crash(ln, false)
			s.crash(s.nodes[old], false) // kept down: the lagger and the holder decide
			require.Empty(t, s.leaders[2], "epoch 2 never got established")

			ln.hold = nil
			truncs := 0 // TRUNCs that reach the holder, accepted or not
			s.before = func(m Message) bool {
				if m.To == holder && m.Type == MsgTrunc {
					truncs++
				}
				return false
			}
			s.heal()
			s.start(ln)
			elected := s.runUntil(200, func() bool { return s.allFollow(lagger, holder) })
			require.Zero(t, truncs, "the new leader lacks committed txns and truncates the holder")
			require.True(t, elected, "re-election")
			ld := s.leader()
			wins[k] = ld.id == lagger
			if epochDurable {
				require.Equal(t, uint64(lagger), ld.id, "peerEpoch 2 beats 1: the lagger wins")
			} else {
				require.Equal(t, uint64(holder), ld.id, "same peerEpoch: the holder's zxid (or id) wins")
			}
			require.Equal(t, uint32(3), ld.n.ld.epoch)
			z := s.write(t, "after")
			require.True(t, s.runUntil(50, func() bool { return s.appliedAll(z, lagger, holder) }))

			// The old leader rejoins; every replica ends with the whole
			// committed history, each a prefix of it along the way.
			s.start(s.nodes[old])
			require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3) && s.appliedAll(z, 1, 2, 3) }))
			s.mustOK(t)
			require.Equal(t, z, s.global[len(s.global)-1].Zxid)
			for _, id := range s.ids {
				require.Equal(t, zxids(s.global), zxids(s.nodes[id].sm), "node %d", id)
			}
			for _, want := range []Zxid{z0, last} {
				require.Contains(t, zxids(s.global), want.String())
			}
			require.Zero(t, truncs, "TRUNC sent to the holder")
			require.True(t, !epochDurable || hasTxns, "currentEpoch 2 durable before the synced txns")
		})
	}
	// The lagger wins exactly when its durable currentEpoch is 2.
	require.Equal(t, map[int]bool{0: false, 1: false, 2: false, 3: false, 4: false, 5: true, 6: true}, wins)
}

// Arrival order DIFF, PROPOSAL, COMMIT, PROPOSAL, NEWLEADER, COMMIT,
// UPTODATE: each committed txn is applied exactly once (ZOOKEEPER-4394).
func TestZK4394CommitsInterleavedWithSync(t *testing.T) {
	f := newFollowerOf(t, 3, 3)
	e := f.epoch
	p1 := Entry{Zxid: MakeZxid(e, 1), Data: []byte("p1")}
	p2 := Entry{Zxid: MakeZxid(e, 2), Data: []byte("p2")}
	f.step(Message{Type: MsgDiff, Zxid: 0})
	f.step(Message{Type: MsgProposal, Zxid: p1.Zxid, Prev: 0, Data: p1.Data})
	f.step(Message{Type: MsgCommit, Zxid: p1.Zxid})
	f.step(Message{Type: MsgProposal, Zxid: p2.Zxid, Prev: p1.Zxid, Data: p2.Data})
	f.step(Message{Type: MsgNewLeader, Zxid: p2.Zxid, Commit: p1.Zxid})
	f.step(Message{Type: MsgCommit, Zxid: p2.Zxid})
	f.step(Message{Type: MsgUpToDate, Commit: p2.Zxid})
	f.drain()
	require.Equal(t, []Entry{p1, p2}, f.applied)
	require.Equal(t, []Entry{p1, p2}, f.logged)
	// ACKNEWLEADER covers both proposals; no per-proposal ACK before it.
	require.Equal(t, []MsgType{MsgAckEpoch, MsgAckNewLeader}, f.sentTypes())
	require.Equal(t, p2.Zxid, f.sent[1].Zxid)
	// Duplicates are tolerated: a repeated PROPOSAL or COMMIT changes nothing.
	f.step(Message{Type: MsgProposal, Zxid: p2.Zxid, Prev: p1.Zxid, Data: p2.Data})
	f.step(Message{Type: MsgCommit, Zxid: p1.Zxid})
	f.drain()
	require.Equal(t, []Entry{p1, p2}, f.applied)
	require.Equal(t, []Entry{p1, p2}, f.logged)
	require.Equal(t, StateFollowing, f.n.Status().State)
	// A proposal that contradicts the log is not a duplicate.
	require.ErrorIs(t, f.try(Message{Type: MsgProposal, Zxid: p2.Zxid, Prev: p1.Zxid, Data: []byte("other")}), ErrUnexpectedMessage)
	st := f.n.Status()
	require.Equal(t, StateLooking, st.State)
	require.Equal(t, p2.Zxid, st.Commit)
}

// A learner acks a proposal before acking NEWLEADER: the leader ignores
// the early ACK (it must not count toward a quorum), does not step down,
// and no new election starts (ZOOKEEPER-4685).
func TestZK4685AckBeforeNewLeaderAck(t *testing.T) {
	l := newEstablishedLeader(t, 3)
	e := l.n.ld.epoch
	// Peer 3 joins late and is being synced.
	l.step(Message{Type: MsgFollowerInfo, From: 3, Epoch: 0})
	l.step(Message{Type: MsgAckEpoch, From: 3, Epoch: e, PeerEpoch: 0, Zxid: 0})
	l.drain()
	require.Equal(t, hsSyncing, l.n.ld.learners[3].state)
	z, err := l.n.Propose([]byte("x"))
	require.NoError(t, err)
	l.drain()
	// Early ACK from 3.
	err = l.n.Step(Message{Type: MsgAck, From: 3, To: 1, Epoch: e, Zxid: z})
	require.ErrorIs(t, err, ErrUnexpectedMessage)
	st := l.n.Status()
	require.Equal(t, StateLeading, st.State)
	require.True(t, st.Established)
	require.Less(t, st.Commit, z, "an ACK before ACKNEWLEADER must not commit")
	// 3 acks NEWLEADER (covering the proposal): now it commits.
	l.step(Message{Type: MsgAckNewLeader, From: 3, Epoch: e, Zxid: z})
	l.drain()
	require.Equal(t, z, l.n.Status().Commit)
	require.Equal(t, StateLeading, l.n.Status().State)
	for i := 0; i < 3; i++ {
		l.n.Tick()
		l.step(Message{Type: MsgPingResp, From: 2, Epoch: e})
		l.step(Message{Type: MsgPingResp, From: 3, Epoch: e})
	}
	require.Equal(t, StateLeading, l.n.Status().State, "no step-down, no election")
}

// Five peers with mixed epochs and zxids converge on the one leader with
// the greatest (currentEpoch, zxid, id) (ZOOKEEPER-1419).
func TestZK1419MixedEpochsConverge(t *testing.T) {
	s := newScenario(t, 5, 0)
	hist := []Entry{{MakeZxid(1, 1), []byte("a")}, {MakeZxid(1, 2), []byte("b")}, {MakeZxid(2, 1), []byte("c")},
		{MakeZxid(2, 2), []byte("d")}, {MakeZxid(3, 1), []byte("e")}}
	for _, id := range s.ids {
		s.crash(s.nodes[id], false)
	}
	s.preload(1, HardState{AcceptedEpoch: 3, CurrentEpoch: 2}, hist[:4])
	s.preload(2, HardState{AcceptedEpoch: 3, CurrentEpoch: 3}, hist[:5])
	s.preload(3, HardState{AcceptedEpoch: 3, CurrentEpoch: 3}, hist[:2])
	s.preload(4, HardState{AcceptedEpoch: 2, CurrentEpoch: 2}, hist[:4])
	s.preload(5, HardState{AcceptedEpoch: 1, CurrentEpoch: 1}, hist[:2])
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3, 4, 5) }))
	require.Equal(t, uint64(2), s.leader().id, "(3, 3:1) is the best vote")
	require.Len(t, s.leaders, 1, "one leader, no extra epochs")
	for _, sn := range s.nodes {
		require.Equal(t, MakeZxid(3, 1), sn.n.Status().Commit)
	}
	s.mustOK(t)
}

// The reachable majority elects a leader and commits while one or two
// peers are blackholed (ZOOKEEPER-2930).
func TestZK2930BlackholedPeers(t *testing.T) {
	for _, dead := range [][]uint64{{1}, {5}, {4, 5}, {1, 5}} {
		t.Run(fmt.Sprint(dead), func(t *testing.T) {
			s := newScenario(t, 5, 0)
			for _, id := range dead {
				s.isolate(id)
			}
			var alive []uint64
			for _, id := range s.ids {
				if id != dead[0] && (len(dead) == 1 || id != dead[1]) {
					alive = append(alive, id)
				}
			}
			require.True(t, s.runUntil(100, func() bool { return s.allFollow(alive...) }))
			z := s.write(t, "x")
			require.True(t, s.runUntil(20, func() bool { return s.appliedAll(z, alive...) }))
			for _, id := range dead {
				require.Equal(t, StateLooking, s.nodes[id].n.Status().State)
			}
			// Healing lets the blackholed peers catch up.
			s.heal()
			require.True(t, s.runUntil(100, func() bool { return s.appliedAll(z, s.ids...) }))
			s.mustOK(t)
		})
	}
}

// A follower restarted in the middle of a SNAP sync recovers to the
// leader's state, whichever of its writes survived.
func TestRestartMidSnap(t *testing.T) {
	for k := 0; k <= 4; k++ {
		t.Run(fmt.Sprint("persisted-", k), func(t *testing.T) {
			s := newScenario(t, 3, 1)
			require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3, 4) }))
			ld := s.leader()
			var f *simNode
			for _, id := range s.ids {
				if id != ld.id && id != 4 {
					f = s.nodes[id]
					break
				}
			}
			s.isolate(f.id)
			var last Zxid
			for i := 0; i < 6; i++ {
				last = s.write(t, fmt.Sprintf("tx%d", i))
			}
			require.True(t, s.runUntil(20, func() bool { return s.applied(ld.id, last) }))
			// The leader compacts its log, so the follower needs a SNAP.
			require.NoError(t, s.compact(ld))
			f.hold = func(rd *Ready) bool { return rd.Snapshot != nil }
			s.heal()
			f.n.ReportUnreachable(ld.id)
			require.True(t, s.runUntil(60, func() bool { return f.rd != nil && f.rd.Snapshot != nil }), "SNAP arrived")
			s.persist(f, f.rd, k)
			f.rd = nil
			s.crash(f, true)
			f.hold = nil
			s.start(f)
			z := s.write(t, "after")
			require.True(t, s.runUntil(100, func() bool { return s.appliedAll(z, s.ids...) }))
			s.mustOK(t)
			require.Positive(t, s.delivered[[2]uint64{f.id, uint64(MsgSnap)}])
			require.Equal(t, zxids(ld.sm), zxids(f.sm))
		})
	}
}

// Observers never vote and never count toward a quorum: one voter and two
// observers cannot elect or commit; with a voter quorum back, the
// observers learn every committed txn through INFORM.
func TestObserversNeverFormQuorum(t *testing.T) {
	s := newScenario(t, 3, 2)
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3, 4, 5) }))
	z := s.write(t, "before")
	require.True(t, s.runUntil(20, func() bool { return s.appliedAll(z, s.ids...) }))
	ld := s.leader()
	// Cut the leader off with the observers only.
	for _, id := range s.voters {
		if id != ld.id {
			s.isolate(id)
		}
	}
	orphan := s.write(t, "orphan")
	require.False(t, s.runUntil(50, func() bool { return s.applied(ld.id, orphan) }), "no quorum, no commit")
	for _, id := range s.ids {
		st := s.nodes[id].n.Status()
		require.False(t, st.State == StateLeading && st.Established, "node %d leads without a voter quorum", id)
	}
	s.heal()
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(s.ids...) }))
	z2 := s.write(t, "after")
	require.True(t, s.runUntil(50, func() bool { return s.appliedAll(z2, s.ids...) }))
	require.Positive(t, s.delivered[[2]uint64{4, uint64(MsgInform)}])
	for _, id := range s.obs {
		require.Equal(t, zxids(s.nodes[s.leader().id].sm), zxids(s.nodes[id].sm))
	}
	s.mustOK(t)
}

// A transport that delivers a PROPOSAL twice, the second time after the
// follower compacted its log past it: the duplicate is harmless.
func TestDuplicateProposalBelowSnapshot(t *testing.T) {
	f := newFollowerOf(t, 3, 3)
	z := MakeZxid(1, 1)
	f.step(Message{Type: MsgDiff})
	f.step(Message{Type: MsgNewLeader})
	f.step(Message{Type: MsgUpToDate})
	f.step(Message{Type: MsgProposal, Zxid: z, Data: []byte("x")})
	f.step(Message{Type: MsgCommit, Zxid: z})
	f.drain()
	require.NoError(t, f.n.Compact(z))
	f.step(Message{Type: MsgProposal, Zxid: z, Data: []byte("x")})
	f.drain()
	require.Equal(t, StateFollowing, f.n.Status().State)
	require.Equal(t, []Entry{{Zxid: z, Data: []byte("x")}}, f.applied, "applied once")
}
