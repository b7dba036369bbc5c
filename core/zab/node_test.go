package zab

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStepRejectsStrangers(t *testing.T) {
	l := newEstablishedLeader(t, 3)
	st := l.n.Status()
	require.ErrorIs(t, l.n.Step(Message{Type: MsgAck, From: 2, To: 9}), ErrUnexpectedMessage, "wrong To")
	require.ErrorIs(t, l.n.Step(Message{Type: MsgAck, From: 7, To: 1}), ErrUnexpectedMessage, "unknown peer")
	require.ErrorIs(t, l.n.Step(Message{Type: MsgAck, From: 1, To: 1}), ErrUnexpectedMessage, "from itself")
	require.ErrorIs(t, l.try(Message{Type: MsgAck, From: 3}), ErrUnexpectedMessage, "no session")
	require.ErrorIs(t, l.try(Message{Type: MsgAck, Epoch: 7}), ErrUnexpectedMessage, "wrong epoch")
	require.ErrorIs(t, l.try(Message{Type: MsgProposal}), ErrUnexpectedMessage, "leader-bound only")
	require.ErrorIs(t, l.try(Message{Type: MsgAck, Zxid: MakeZxid(1, 9)}), ErrUnexpectedMessage, "ack beyond the log")
	require.ErrorIs(t, l.try(Message{Type: MsgAckEpoch}), ErrUnexpectedMessage, "ACKEPOCH twice")
	require.ErrorIs(t, l.try(Message{Type: MsgAckNewLeader}), ErrUnexpectedMessage, "ACKNEWLEADER twice")
	require.ErrorIs(t, l.try(Message{Type: MsgObserverInfo}), ErrUnexpectedMessage, "voter claims to observe")
	require.ErrorIs(t, l.try(Message{Type: MsgNotification, State: 0}), ErrUnexpectedMessage, "bad state")
	require.ErrorIs(t, l.try(Message{Type: MsgNotification, State: StateLeading, Leader: 9}), ErrUnexpectedMessage)
	require.Equal(t, st, l.n.Status(), "state untouched")
}

func TestLearnerRejectsOutOfPlace(t *testing.T) {
	f := newFollowerOf(t, 3, 3)
	require.ErrorIs(t, f.try(Message{Type: MsgProposal, From: 1}), ErrUnexpectedMessage, "not the leader")
	require.ErrorIs(t, f.try(Message{Type: MsgCommit, Epoch: 9}), ErrUnexpectedMessage, "wrong epoch")
	require.Equal(t, StateFollowing, f.n.Status().State)
	// Inconsistent history from the leader: back to LOOKING.
	require.ErrorIs(t, f.try(Message{Type: MsgProposal, Zxid: MakeZxid(1, 1)}), ErrUnexpectedMessage, "before DIFF")
	require.Equal(t, StateLooking, f.n.Status().State)

	for name, script := range map[string][]Message{
		"gap":            {{Type: MsgDiff}, {Type: MsgProposal, Zxid: MakeZxid(1, 2), Prev: MakeZxid(1, 1)}},
		"diff mismatch":  {{Type: MsgDiff, Zxid: MakeZxid(1, 1)}},
		"trunc beyond":   {{Type: MsgTrunc, Zxid: MakeZxid(1, 1)}},
		"commit unknown": {{Type: MsgDiff}, {Type: MsgCommit, Zxid: MakeZxid(1, 1)}},
		"newleader past": {{Type: MsgDiff}, {Type: MsgNewLeader, Zxid: MakeZxid(1, 1)}},
		"uptodate early": {{Type: MsgDiff}, {Type: MsgUpToDate}},
		"diff twice":     {{Type: MsgDiff}, {Type: MsgDiff}},
		"inform":         {{Type: MsgDiff}, {Type: MsgInform, Zxid: MakeZxid(1, 1)}},
		"newleader x2":   {{Type: MsgDiff}, {Type: MsgNewLeader}, {Type: MsgNewLeader}},
	} {
		f := newFollowerOf(t, 3, 3)
		var err error
		for _, m := range script {
			if err = f.try(m); err != nil {
				break
			}
		}
		require.ErrorIs(t, err, ErrUnexpectedMessage, name)
		require.Equal(t, StateLooking, f.n.Status().State, name)
	}
}

func TestLearnerIgnoresLeaderBoundTypes(t *testing.T) {
	f := newFollowerOf(t, 3, 3)
	f.step(Message{Type: MsgDiff})
	require.ErrorIs(t, f.try(Message{Type: MsgAck}), ErrUnexpectedMessage)
	require.Equal(t, StateFollowing, f.n.Status().State)
}

func TestLeaderInfoBelowAcceptedEpochIsRefused(t *testing.T) {
	f := newFollowerOf(t, 3, 3)
	f.step(Message{Type: MsgDiff})
	f.step(Message{Type: MsgNewLeader})
	f.step(Message{Type: MsgUpToDate})
	f.n.ReportUnreachable(3)
	require.Equal(t, StateLooking, f.n.Status().State)
	f.step(Message{Type: MsgNotification, From: 3, Leader: 3, ElectionEpoch: 5, State: StateLeading})
	f.step(Message{Type: MsgNotification, From: 1, Leader: 3, ElectionEpoch: 5, State: StateFollowing})
	require.Equal(t, StateFollowing, f.n.Status().State, "joined the established leader")
	require.ErrorIs(t, f.n.Step(Message{Type: MsgLeaderInfo, From: 3, To: 2, Epoch: 0}), ErrUnexpectedMessage)
	require.Equal(t, StateLooking, f.n.Status().State)
	// Same epoch again: acked, but flagged so that it does not count.
	f.step(Message{Type: MsgNotification, From: 3, Leader: 3, ElectionEpoch: 5, State: StateLeading})
	f.step(Message{Type: MsgNotification, From: 1, Leader: 3, ElectionEpoch: 5, State: StateFollowing})
	f.drain()
	f.sent = nil
	f.step(Message{Type: MsgLeaderInfo, Epoch: 1})
	f.drain()
	require.Equal(t, MsgAckEpoch, f.sent[0].Type)
	require.True(t, f.sent[0].Reject)
}

func TestLeaderStepsDownForLearnerAhead(t *testing.T) {
	s := newSingle(t, 1, []uint64{1, 2, 3}, nil)
	s.peer = 2
	s.step(Message{Type: MsgNotification, Leader: 1, ElectionEpoch: 1, State: StateLooking})
	s.n.Tick()
	s.n.Tick()
	s.step(Message{Type: MsgFollowerInfo, Zxid: MakeZxid(0, 3)})
	s.drain()
	s.epoch = 1
	err := s.try(Message{Type: MsgAckEpoch, PeerEpoch: 0, Zxid: MakeZxid(0, 3)})
	require.ErrorIs(t, err, ErrUnexpectedMessage)
	require.Equal(t, StateLooking, s.n.Status().State)
}

func TestLeaderStepsDownWithoutQuorum(t *testing.T) {
	l := newEstablishedLeader(t, 3)
	require.NoError(t, l.n.ReadBarrier(7))
	for i := 0; i <= l.n.cfg.SyncLimit+1; i++ {
		l.n.Tick()
	}
	require.Equal(t, StateLooking, l.n.Status().State)
	_, err := l.n.Propose([]byte("x"))
	require.ErrorIs(t, err, ErrNotLeader)
	l.drain()
	require.Equal(t, []ReadState{{ID: 7, Err: ErrBarrierAborted}}, l.reads)
}

func TestLearnerLosesLeader(t *testing.T) {
	f := newFollowerOf(t, 3, 3)
	f.step(Message{Type: MsgDiff})
	f.step(Message{Type: MsgNewLeader})
	f.step(Message{Type: MsgUpToDate})
	require.True(t, f.n.Status().Established)
	require.NoError(t, f.n.ReadBarrier(1))
	for i := 0; i <= f.n.cfg.SyncLimit; i++ {
		f.n.Tick()
	}
	require.Equal(t, StateLooking, f.n.Status().State)
	f.drain()
	require.Equal(t, []ReadState{{ID: 1, Err: ErrBarrierAborted}}, f.reads)
	require.ErrorIs(t, f.n.ReadBarrier(2), ErrNoLeader)
	require.ErrorIs(t, f.n.Forward([]byte("x")), ErrNoLeader)
}

func TestLeaderReadBarrierNeedsQuorumRound(t *testing.T) {
	l := newEstablishedLeader(t, 3)
	z, err := l.n.Propose([]byte("x"))
	require.NoError(t, err)
	l.drain()
	l.step(Message{Type: MsgAck, Zxid: z})
	l.drain()
	require.Equal(t, z, l.n.Status().Commit)
	l.sent = nil
	require.NoError(t, l.n.ReadBarrier(42))
	l.drain()
	require.Empty(t, l.reads, "no round answered yet")
	var ping Message
	for _, m := range l.sent {
		if m.Type == MsgPing {
			ping = m
		}
	}
	require.Equal(t, uint64(2), ping.To)
	l.step(Message{Type: MsgPingResp, ID: ping.ID - 1})
	l.drain()
	require.Empty(t, l.reads, "an older round does not count")
	l.step(Message{Type: MsgPingResp, ID: ping.ID})
	l.drain()
	require.Equal(t, []ReadState{{ID: 42, Zxid: z}}, l.reads)
}

func TestLearnerReadBarrierAndForward(t *testing.T) {
	f := newFollowerOf(t, 3, 3)
	f.step(Message{Type: MsgDiff})
	f.step(Message{Type: MsgNewLeader})
	f.step(Message{Type: MsgUpToDate})
	f.drain()
	f.sent = nil
	require.NoError(t, f.n.Forward([]byte("req")))
	require.NoError(t, f.n.ReadBarrier(5))
	f.drain()
	require.Equal(t, []MsgType{MsgRequest, MsgReadRequest}, f.sentTypes())
	require.Equal(t, []byte("req"), f.sent[0].Data)
	// The leader answers with a commit point the follower has not applied yet.
	z := MakeZxid(1, 1)
	f.step(Message{Type: MsgReadResponse, ID: 5, Zxid: z})
	require.ErrorIs(t, f.try(Message{Type: MsgReadResponse, ID: 5, Zxid: z}), ErrUnexpectedMessage, "answered twice")
	f.drain()
	require.Empty(t, f.reads)
	f.step(Message{Type: MsgProposal, Zxid: z, Data: []byte("x")})
	f.step(Message{Type: MsgCommit, Zxid: z})
	f.drain()
	require.Equal(t, []ReadState{{ID: 5, Zxid: z}}, f.reads)
	require.Equal(t, []Entry{{Zxid: z, Data: []byte("x")}}, f.applied)
}

func TestForwardedRequestsReachLeaderReady(t *testing.T) {
	l := newEstablishedLeader(t, 3)
	l.step(Message{Type: MsgRequest, Data: []byte("a")})
	require.NoError(t, l.n.Forward([]byte("b")))
	l.drain()
	require.Equal(t, []Request{{From: 2, Data: []byte("a")}, {From: 1, Data: []byte("b")}}, l.reqs)
}

// TestReplyAnswersForwardedRequest: the leader's Reply reaches the
// learner that forwarded the request as a REPLY after what the leader sent
// it before, and shows up in the learner's Ready.Replies; a reply to the
// leader itself goes straight to its Ready. Only an established leader
// replies, only to a synced learner, and a learner not yet up to date
// refuses a REPLY.
func TestReplyAnswersForwardedRequest(t *testing.T) {
	l := newEstablishedLeader(t, 3)
	l.sent = nil
	require.NoError(t, l.n.Reply(2, []byte("verdict")))
	require.NoError(t, l.n.Reply(1, []byte("own")))
	require.ErrorIs(t, l.n.Reply(3, []byte("x")), ErrNoLeader, "learner 3 is not synced")
	l.drain()
	require.Equal(t, []MsgType{MsgReply}, l.sentTypes())
	require.Equal(t, uint64(2), l.sent[0].To)
	require.Equal(t, []byte("verdict"), l.sent[0].Data)
	require.True(t, MsgReply.LeaderToLearner())
	require.Equal(t, [][]byte{[]byte("own")}, l.replies)

	f := newFollowerOf(t, 3, 3)
	require.ErrorIs(t, f.n.Reply(3, []byte("x")), ErrNotLeader)
	f.step(Message{Type: MsgDiff})
	require.ErrorIs(t, f.try(Message{Type: MsgReply, Data: []byte("early")}), ErrUnexpectedMessage)
	f.step(Message{Type: MsgNewLeader})
	f.step(Message{Type: MsgUpToDate})
	f.step(Message{Type: MsgReply, Data: []byte("verdict")})
	f.drain()
	require.Equal(t, [][]byte{[]byte("verdict")}, f.replies)
	require.Equal(t, StateFollowing, f.n.Status().State)
}

func TestCounterExhaustionForcesNewEpoch(t *testing.T) {
	l := newEstablishedLeader(t, 3)
	l.n.maxCounter = 2
	_, err := l.n.Propose([]byte("1"))
	require.NoError(t, err)
	z2, err := l.n.Propose([]byte("2"))
	require.NoError(t, err)
	require.Equal(t, MakeZxid(1, 2), z2)
	_, err = l.n.Propose([]byte("3"))
	require.ErrorIs(t, err, ErrCounterExhausted)
	require.Equal(t, StateLooking, l.n.Status().State)
}

func TestReadyProtocol(t *testing.T) {
	l := newEstablishedLeader(t, 3)
	_, err := l.n.Propose([]byte("x"))
	require.NoError(t, err)
	rd, err := l.n.Ready()
	require.NoError(t, err)
	require.True(t, rd.containsUpdates())
	require.Len(t, rd.Entries, 1)
	require.False(t, l.n.HasReady(), "one Ready at a time")
	_, err = l.n.Ready()
	require.ErrorIs(t, err, ErrReadyPending)
	l.n.Advance(rd)
	l.n.Advance(rd) // a second Advance is harmless
	require.False(t, l.n.HasReady())
}

func TestSnapshotAndCompactErrors(t *testing.T) {
	l := newEstablishedLeader(t, 3)
	require.ErrorIs(t, l.n.ProvideSnapshot(2, Snapshot{}), ErrBadSnapshot, "nobody waits")
	require.ErrorIs(t, l.n.Compact(MakeZxid(1, 1)), ErrBadSnapshot, "beyond applied")
	f := newFollowerOf(t, 3, 3)
	require.ErrorIs(t, f.n.ProvideSnapshot(1, Snapshot{}), ErrBadSnapshot, "not leading")
}

func TestObserverSyncAndInform(t *testing.T) {
	s := newSingle(t, 4, []uint64{1, 2, 3}, []uint64{4})
	s.step(Message{Type: MsgNotification, From: 3, Leader: 3, ElectionEpoch: 2, State: StateLeading})
	require.Equal(t, StateLooking, s.n.Status().State, "one voter is no quorum")
	s.step(Message{Type: MsgNotification, From: 1, Leader: 3, ElectionEpoch: 2, State: StateFollowing})
	require.Equal(t, StateObserving, s.n.Status().State)
	s.drain()
	require.Equal(t, MsgObserverInfo, s.sent[0].Type)
	s.peer, s.epoch = 3, 1
	s.step(Message{Type: MsgLeaderInfo})
	s.step(Message{Type: MsgDiff})
	s.step(Message{Type: MsgProposal, Zxid: MakeZxid(1, 1), Data: []byte("a")})
	s.step(Message{Type: MsgNewLeader, Zxid: MakeZxid(1, 1), Commit: MakeZxid(1, 1)})
	s.step(Message{Type: MsgUpToDate, Commit: MakeZxid(1, 1)})
	require.ErrorIs(t, s.try(Message{Type: MsgInform, Zxid: MakeZxid(1, 3), Prev: MakeZxid(1, 2)}), ErrUnexpectedMessage)
	s.step(Message{Type: MsgNotification, From: 3, Leader: 3, ElectionEpoch: 2, State: StateLeading})
	s.step(Message{Type: MsgNotification, From: 1, Leader: 3, ElectionEpoch: 2, State: StateFollowing})
	s.step(Message{Type: MsgLeaderInfo})
	s.step(Message{Type: MsgDiff, Zxid: MakeZxid(1, 1)})
	s.step(Message{Type: MsgNewLeader, Zxid: MakeZxid(1, 1)})
	s.step(Message{Type: MsgUpToDate, Commit: MakeZxid(1, 1)})
	s.step(Message{Type: MsgInform, Zxid: MakeZxid(1, 2), Prev: MakeZxid(1, 1), Data: []byte("b")})
	require.ErrorIs(t, s.try(Message{Type: MsgProposal, Zxid: MakeZxid(1, 3), Prev: MakeZxid(1, 2)}), ErrUnexpectedMessage)
	s.drain()
	require.Equal(t, []Entry{{MakeZxid(1, 1), []byte("a")}, {MakeZxid(1, 2), []byte("b")}}, s.applied)
	for _, m := range s.sent {
		require.NotEqual(t, MsgAck, m.Type, "observers never ack proposals")
	}
	require.Equal(t, uint32(1), s.n.Status().CurrentEpoch)
}

// The leader counts itself toward the epoch quorum and the NEWLEADER
// quorum only once its own acceptedEpoch, currentEpoch and initial history
// are durable (acknowledged with Advance).
func TestLeaderCountsItselfOnlyWhenDurable(t *testing.T) {
	s := newSingle(t, 1, []uint64{1, 2, 3}, nil)
	s.peer = 2
	s.step(Message{Type: MsgNotification, Leader: 1, ElectionEpoch: 1, State: StateLooking})
	s.n.Tick()
	s.n.Tick()
	require.Equal(t, StateLeading, s.n.Status().State)
	s.step(Message{Type: MsgFollowerInfo})
	s.epoch = 1
	rd, err := s.n.Ready() // holds acceptedEpoch = 1, not yet durable
	require.NoError(t, err)
	require.Equal(t, &HardState{AcceptedEpoch: 1}, rd.HardState)
	s.step(Message{Type: MsgAckEpoch})
	require.Equal(t, ldDiscovery, s.n.ld.phase, "own acceptedEpoch not durable: no epoch quorum")
	s.n.Advance(rd)
	require.Equal(t, ldSync, s.n.ld.phase)

	rd, err = s.n.Ready() // holds currentEpoch = 1
	require.NoError(t, err)
	require.Equal(t, uint32(1), rd.HardState.CurrentEpoch)
	s.step(Message{Type: MsgAckNewLeader})
	require.False(t, s.n.Status().Established, "own currentEpoch not durable: not established")
	s.n.Advance(rd)
	require.True(t, s.n.Status().Established)

	// Proposals: the leader's own ack also waits for its disk.
	z, err := s.n.Propose([]byte("x"))
	require.NoError(t, err)
	s.drain()
	rd, err = s.n.Ready()
	require.ErrorIs(t, err, nil)
	s.n.Advance(rd)
	z2, err := s.n.Propose([]byte("y"))
	require.NoError(t, err)
	rd, err = s.n.Ready()
	require.NoError(t, err)
	s.step(Message{Type: MsgAck, Zxid: z2})
	require.Equal(t, z, s.n.Status().Commit, "z2 is durable on one voter only")
	s.n.Advance(rd)
	require.Equal(t, z2, s.n.Status().Commit)
}
