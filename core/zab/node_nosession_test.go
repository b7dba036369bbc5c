package zab

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// noSessions returns the NOSESSION messages among msgs.
func noSessions(msgs []Message) []Message {
	var out []Message
	for _, m := range msgs {
		if m.Type == MsgNoSession {
			out = append(out, m)
		}
	}
	return out
}

// A leader answers a learner message it has no session for (never
// registered, or another epoch) with NOSESSION echoing the message's
// epoch and round; it never answers a NOSESSION.
func TestLeaderAnswersSessionlessLearnerMessages(t *testing.T) {
	l := newEstablishedLeader(t, 3)
	require.ErrorIs(t, l.try(Message{Type: MsgAck, From: 3, Zxid: 1}), ErrUnexpectedMessage, "no session")
	require.ErrorIs(t, l.try(Message{Type: MsgPingResp, Epoch: 7}), ErrUnexpectedMessage, "another epoch")
	require.Equal(t, []Message{
		{Type: MsgNoSession, From: 1, To: 3, Epoch: 1},
		{Type: MsgNoSession, From: 1, To: 2, Epoch: 7},
	}, noSessions(l.drainAll()))
	require.ErrorIs(t, l.try(Message{Type: MsgNoSession, From: 3, Epoch: 1}), ErrUnexpectedMessage)
	require.ErrorIs(t, l.try(Message{Type: MsgProposal, From: 3}), ErrUnexpectedMessage)
	require.Empty(t, noSessions(l.drainAll()), "only learner messages are answered, never a NOSESSION")
	require.True(t, l.n.Status().Established)
}

// A leader that drops a learner or stops leading tells the learner.
func TestLeaderEndsSessionsItDrops(t *testing.T) {
	l := newEstablishedLeader(t, 3)
	l.step(Message{Type: MsgFollowerInfo, From: 3, ElectionEpoch: 4})
	l.drainAll()
	l.n.ReportUnreachable(3)
	require.Equal(t, []Message{{Type: MsgNoSession, From: 1, To: 3, Epoch: 1, ElectionEpoch: 4}},
		noSessions(l.drainAll()), "dropped: the session named by its round")
	for i := 0; i <= l.n.cfg.SyncLimit+1; i++ {
		l.n.Tick()
	}
	require.Equal(t, StateLooking, l.n.Status().State)
	require.Equal(t, []Message{{Type: MsgNoSession, From: 1, To: 2, Epoch: 1}}, noSessions(l.drainAll()),
		"stepped down: every session ends")
}

// A follower answers FOLLOWERINFO with NOSESSION echoing its round; a
// LOOKING peer does too, unless it may be about to lead the sender: it
// votes for itself in the sender's round and the sender voted for it.
func TestNonLeaderAnswersFollowerInfo(t *testing.T) {
	f := newFollowerOf(t, 3, 3)
	require.ErrorIs(t, f.try(Message{Type: MsgFollowerInfo, From: 1, ElectionEpoch: 9}), ErrUnexpectedMessage)
	require.Equal(t, []Message{{Type: MsgNoSession, From: 2, To: 1, ElectionEpoch: 9}}, noSessions(f.drainAll()))
	require.Equal(t, StateFollowing, f.n.Status().State)

	// 3 LOOKING, round 1, votes for itself; 1 votes for 3 in round 1.
	s := newSingle(t, 3, []uint64{1, 2, 3}, nil)
	s.step(Message{Type: MsgNotification, From: 1, Leader: 3, ElectionEpoch: 1, State: StateLooking})
	s.drainAll()
	require.Equal(t, StateLooking, s.n.Status().State, "finalize wait")
	require.Error(t, s.try(Message{Type: MsgFollowerInfo, From: 1, ElectionEpoch: 1}))
	require.Empty(t, noSessions(s.drainAll()), "about to lead 1: silent, 1 asks again")
	require.Error(t, s.try(Message{Type: MsgFollowerInfo, From: 2, ElectionEpoch: 1}))
	require.Error(t, s.try(Message{Type: MsgFollowerInfo, From: 1, ElectionEpoch: 0}))
	require.Equal(t, []Message{
		{Type: MsgNoSession, From: 3, To: 2, ElectionEpoch: 1},
		{Type: MsgNoSession, From: 3, To: 1},
	}, noSessions(s.drainAll()), "2 never voted for 3; 1 decided in another round")
}

// A learner acts on NOSESSION only when it names its session: by round
// (any phase), or by epoch after LEADERINFO. Others belong to earlier
// sessions and are ignored.
func TestLearnerActsOnItsOwnNoSession(t *testing.T) {
	// Discovery (FOLLOWERINFO sent, no LEADERINFO yet).
	d := newSingle(t, 2, []uint64{1, 2, 3}, nil)
	d.step(Message{Type: MsgNotification, From: 3, Leader: 3, ElectionEpoch: 1, State: StateLeading})
	d.step(Message{Type: MsgNotification, From: 1, Leader: 3, ElectionEpoch: 1, State: StateFollowing})
	require.Equal(t, StateFollowing, d.n.Status().State)
	round := d.n.el.clock
	d.peer = 3
	require.Error(t, d.try(Message{Type: MsgNoSession, ElectionEpoch: round - 1}), "an earlier session's FOLLOWERINFO")
	require.Error(t, d.try(Message{Type: MsgNoSession, Epoch: 0}), "a message of an earlier session")
	require.Error(t, d.try(Message{Type: MsgNoSession, From: 1, ElectionEpoch: round}), "not from its leader")
	require.Equal(t, StateFollowing, d.n.Status().State)
	d.step(Message{Type: MsgNoSession, ElectionEpoch: round})
	require.Equal(t, StateLooking, d.n.Status().State)

	// After LEADERINFO (epoch 1).
	f := newFollowerOf(t, 3, 3)
	require.Error(t, f.try(Message{Type: MsgNoSession, Epoch: 7}), "another epoch")
	require.Equal(t, StateFollowing, f.n.Status().State)
	f.step(Message{Type: MsgNoSession, Epoch: 1})
	require.Equal(t, StateLooking, f.n.Status().State)
	require.Empty(t, noSessions(f.drainAll()), "a NOSESSION is never answered")
}
