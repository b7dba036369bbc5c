package zab

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Stale packets: a message from an earlier session arrives late, after a
// reconnect (the driver's FIFO covers one connection, not the packets of
// an old one still in flight).

// inject delivers m directly to its addressee and reports Step's error.
func (s *sim) inject(m Message) error {
	s.logf("inject late %s", m)
	return s.nodes[m.To].n.Step(m)
}

// A LEADERINFO from an earlier leadership of the same peer reaches a
// learner that has since accepted a later epoch: the learner refuses it,
// and its durable acceptedEpoch never goes back.
func TestStaleLeaderInfoBelowAcceptedEpoch(t *testing.T) {
	s := newScenario(t, 3, 0)
	// Epoch 1 without 2: 3 leads (highest id), 1 follows.
	s.isolate(2)
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 3) }))
	require.Equal(t, uint64(3), s.leader().id)
	z := s.write(t, "tx1")
	require.True(t, s.runUntil(20, func() bool { return s.appliedAll(z, 1, 3) }))
	// 2 joins 3; 3's LEADERINFO(1) to 2 is held back (it will arrive late).
	var stale *Message
	s.before = func(m Message) bool {
		if stale == nil && m.Type == MsgLeaderInfo && m.From == 3 && m.To == 2 {
			stale = &m
			return true
		}
		return false
	}
	s.heal()
	require.True(t, s.runUntil(50, func() bool { return stale != nil }), "3 sent LEADERINFO to 2")
	s.before = nil
	// 3 crashes; 1 leads epoch 2 with 2 (2 accepts epoch 2).
	s.crash(s.nodes[3], true)
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2) }))
	require.Equal(t, uint32(2), s.nodes[2].disk.hs.AcceptedEpoch)
	// 3 comes back, 1 crashes: 3 leads epoch 3, and 2 follows it. Just
	// before 3's new LEADERINFO, the old one arrives.
	s.start(s.nodes[3])
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3) }))
	s.crash(s.nodes[1], true)
	var lateErr error
	injected := false
	s.before = func(m Message) bool {
		if !injected && m.Type == MsgLeaderInfo && m.From == 3 && m.To == 2 && m.Epoch > stale.Epoch {
			injected = true
			lateErr = s.inject(*stale)
		}
		return false
	}
	require.True(t, s.runUntil(200, func() bool { return s.allFollow(2, 3) }))
	require.True(t, injected, "the late LEADERINFO reached 2 while it joined 3")
	require.ErrorIs(t, lateErr, ErrUnexpectedMessage)
	s.mustOK(t)
	require.GreaterOrEqual(t, s.nodes[2].disk.hs.AcceptedEpoch, uint32(3))
	require.True(t, s.appliedAll(z, 2, 3))
}

// A deposed leader that still believes it leads gets late PINGRESPs from
// its old followers: a read barrier started after the new leader
// committed must not complete on it.
func TestStalePingRespDoesNotCompleteBarrierOnDeposedLeader(t *testing.T) {
	s := newScenario(t, 3, 0)
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3) }))
	old := s.leader()
	z := s.write(t, "tx1")
	require.True(t, s.runUntil(20, func() bool { return s.appliedAll(z, 1, 2, 3) }))
	// Hold back the followers' answers to the old leader's pings.
	var late []Message
	s.before = func(m Message) bool {
		if m.Type == MsgPingResp && m.To == old.id {
			late = append(late, m)
			return true
		}
		return false
	}
	for _, sn := range s.upNodes() {
		sn.n.Tick()
	}
	s.pump()
	s.fairRound()
	require.NotEmpty(t, late, "pings answered")
	s.before = nil
	// The old leader is cut off (without noticing); the others move on.
	s.isolate(old.id)
	var others []uint64
	for _, id := range s.ids {
		if id != old.id {
			others = append(others, id)
		}
	}
	for _, id := range others {
		s.nodes[id].n.ReportUnreachable(old.id)
	}
	s.pump()
	require.True(t, s.runUntilOthers(old.id, 100, func() bool { return s.allFollowExcept(old.id, others...) }))
	nl := s.nodes[s.leaderExcept(old.id)]
	z2, err := nl.n.Propose([]byte("tx2"))
	require.NoError(t, err)
	s.proposedAt(nl.id, z2, []byte("tx2"))
	require.True(t, s.runUntilOthers(old.id, 20, func() bool { return s.appliedAll(z2, others...) }))
	s.noteCommitted(nl.n)
	// The deposed leader still thinks it is established.
	st := old.n.Status()
	require.True(t, st.State == StateLeading && st.Established)
	s.readBarrier(old)
	for _, m := range late {
		_ = s.inject(m)
	}
	s.pump()
	s.check()
	s.mustOK(t)
	require.Len(t, s.reads, 1, "the barrier is still pending")
}

// leaderExcept returns the established leader other than x (0 if none).
func (s *sim) leaderExcept(x uint64) uint64 {
	for _, sn := range s.upNodes() {
		if st := sn.n.Status(); sn.id != x && st.State == StateLeading && st.Established {
			return sn.id
		}
	}
	return 0
}

func (s *sim) allFollowExcept(x uint64, ids ...uint64) bool {
	ld := s.leaderExcept(x)
	if ld == 0 {
		return false
	}
	for _, id := range ids {
		st := s.nodes[id].n.Status()
		if !s.nodes[id].up || st.Leader != ld || !st.Established {
			return false
		}
	}
	return true
}

// runUntilOthers is runUntil with x's clock stopped (it never times out).
func (s *sim) runUntilOthers(x uint64, maxTicks int, cond func() bool) bool {
	for tick := 0; tick <= maxTicks && s.failure == ""; tick++ {
		s.fairRound()
		if cond() {
			return true
		}
		s.step++
		for _, sn := range s.upNodes() {
			if sn.id != x {
				sn.n.Tick()
			}
		}
		s.pump()
		s.check()
	}
	return false
}

// Packets of an older epoch, from the current leader's earlier leadership
// or from an old leader, are refused without touching the learner's state.
func TestStaleEpochPacketsAreRefused(t *testing.T) {
	f := newFollowerOf(t, 3, 3)
	f.step(Message{Type: MsgDiff})
	f.step(Message{Type: MsgNewLeader})
	f.step(Message{Type: MsgUpToDate})
	z := MakeZxid(1, 1)
	f.step(Message{Type: MsgProposal, Zxid: z, Data: []byte("x")})
	f.step(Message{Type: MsgCommit, Zxid: z})
	f.drain()
	before := f.n.Status()
	for _, m := range []Message{
		{Type: MsgProposal, Epoch: 0, Zxid: MakeZxid(0, 5), Prev: z, Data: []byte("old")},
		{Type: MsgCommit, Epoch: 0, Zxid: MakeZxid(1, 2)},
		{Type: MsgTrunc, Epoch: 0, Zxid: 0},
		{Type: MsgSnap, Epoch: 0, Zxid: 0},
		{Type: MsgNewLeader, Epoch: 0, Zxid: 0},
		{Type: MsgUpToDate, Epoch: 0},
		{Type: MsgLeaderInfo, Epoch: 0},
		{Type: MsgReadResponse, Epoch: 0, ID: 1, Zxid: z},
		{Type: MsgProposal, From: 1, Epoch: 1, Zxid: MakeZxid(1, 2), Prev: z, Data: []byte("not my leader")},
		{Type: MsgTrunc, From: 1, Epoch: 1, Zxid: 0},
	} {
		// Step directly: single.try would fill in the session epoch.
		m.To = 2
		if m.From == 0 {
			m.From = 3
		}
		require.ErrorIs(t, f.n.Step(m), ErrUnexpectedMessage, "%s", m)
	}
	f.drain()
	require.Equal(t, before, f.n.Status())
	require.Equal(t, []Entry{{Zxid: z, Data: []byte("x")}}, f.applied)

	l := newEstablishedLeader(t, 3)
	st := l.n.Status()
	for _, m := range []Message{
		{Type: MsgAck, Epoch: st.Epoch - 1, Zxid: 0},
		{Type: MsgAckNewLeader, Epoch: st.Epoch + 1},
		{Type: MsgAckEpoch, Epoch: st.Epoch - 1},
		{Type: MsgPingResp, Epoch: st.Epoch - 1, ID: 9},
		{Type: MsgReadRequest, Epoch: st.Epoch - 1, ID: 9},
		{Type: MsgRequest, Epoch: st.Epoch - 1, Data: []byte("w")},
	} {
		m.From, m.To = 2, 1
		require.ErrorIs(t, l.n.Step(m), ErrUnexpectedMessage, "%s", m)
	}
	l.drain()
	require.Equal(t, st, l.n.Status())
	require.Empty(t, l.reqs)
}

// An ACKEPOCH from an earlier session of the same learner (an old
// connection's packet processed after the new FOLLOWERINFO) carries a
// stale last zxid: the leader refuses it instead of syncing from it.
func TestStaleAckEpochFromEarlierSession(t *testing.T) {
	l := newEstablishedLeader(t, 3)
	z, err := l.n.Propose([]byte("x"))
	require.NoError(t, err)
	l.drain()
	l.step(Message{Type: MsgAck, Zxid: z})
	l.drain()
	// 2 reconnects: its new FOLLOWERINFO says it holds z.
	l.step(Message{Type: MsgFollowerInfo, Epoch: l.epoch, Zxid: z})
	l.drain()
	l.sent = nil
	// The ACKEPOCH of its first session (empty log) arrives late.
	require.ErrorIs(t, l.try(Message{Type: MsgAckEpoch, PeerEpoch: 0, Zxid: 0}), ErrUnexpectedMessage)
	l.drain()
	for _, m := range l.sent {
		require.NotContains(t, []MsgType{MsgTrunc, MsgDiff, MsgSnap}, m.Type)
	}
	// The real one syncs it with an empty DIFF.
	l.step(Message{Type: MsgAckEpoch, PeerEpoch: l.epoch, Zxid: z})
	l.drain()
	require.Equal(t, MsgDiff, l.sent[0].Type)
	require.Equal(t, z, l.sent[0].Zxid)
}
