package zab

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestElectionDecidesAtOnceWithoutFinalizeWait(t *testing.T) {
	c := DefaultConfig(2)
	c.Voters = []uint64{1, 2, 3}
	c.FinalizeWait = 0
	n, err := New(c)
	require.NoError(t, err)
	s := &single{t: t, n: n}
	s.step(Message{Type: MsgNotification, From: 3, Leader: 3, ElectionEpoch: 1, State: StateLooking})
	require.Equal(t, StateFollowing, n.Status().State)
	require.Equal(t, uint64(3), n.Status().Leader)
}

func TestElectionWaitsForBetterVoteDuringFinalize(t *testing.T) {
	c := DefaultConfig(2)
	c.Voters = []uint64{1, 2, 3}
	c.FinalizeWait = 2
	n, err := New(c)
	require.NoError(t, err)
	s := &single{t: t, n: n}
	// 1 votes for 2: quorum for 2, but wait...
	s.step(Message{Type: MsgNotification, From: 1, Leader: 2, ElectionEpoch: 1, State: StateLooking})
	n.Tick()
	require.Equal(t, StateLooking, n.Status().State)
	// ...a better vote arrives within the finalize wait: adopt it, and
	// wait again before deciding.
	s.step(Message{Type: MsgNotification, From: 3, Leader: 3, Zxid: MakeZxid(1, 1), PeerEpoch: 1, ElectionEpoch: 1, State: StateLooking})
	n.Tick()
	require.Equal(t, StateLooking, n.Status().State, "the wait restarted")
	n.Tick()
	require.Equal(t, StateFollowing, n.Status().State)
	require.Equal(t, uint64(3), n.Status().Leader)
}

func TestElectionClockAndReplies(t *testing.T) {
	c := DefaultConfig(2)
	c.Voters = []uint64{1, 2, 3}
	c.Observers = []uint64{4}
	n, err := New(c)
	require.NoError(t, err)
	s := &single{t: t, n: n}
	s.drain()
	s.sent = nil
	// A newer round resets our clock; an older one gets our vote back.
	s.step(Message{Type: MsgNotification, From: 1, Leader: 1, ElectionEpoch: 5, State: StateLooking})
	require.Equal(t, uint64(5), n.Status().ElectionEpoch)
	s.step(Message{Type: MsgNotification, From: 3, Leader: 3, ElectionEpoch: 2, State: StateLooking})
	s.step(Message{Type: MsgNotification, From: 4, State: StateLooking})
	n.Tick()
	n.Tick()
	var replies []uint64
	for _, m := range s.drainAll() {
		if m.Type == MsgNotification && m.ElectionEpoch == 5 {
			replies = append(replies, m.To)
		}
	}
	require.Contains(t, replies, uint64(3), "stale round answered")
	require.Contains(t, replies, uint64(4), "observer answered")
	require.ErrorIs(t, s.try(Message{Type: MsgNotification, From: 1, Leader: 9, ElectionEpoch: 5, State: StateLooking}), ErrUnexpectedMessage)
}

func TestNotificationResendBacksOff(t *testing.T) {
	c := DefaultConfig(1)
	c.Voters = []uint64{1, 2, 3}
	c.NotifyInterval, c.MaxNotifyInterval = 1, 4
	n, err := New(c)
	require.NoError(t, err)
	s := &single{t: t, n: n}
	s.drainAll()
	var sentAt []int
	for tick := 1; tick <= 20; tick++ {
		n.Tick()
		if len(s.drainAll()) > 0 {
			sentAt = append(sentAt, tick)
		}
	}
	require.Equal(t, []int{1, 3, 7, 11, 15, 19}, sentAt)
}

// TestElectionLeadsWhenQuorumFollowsIt: a LOOKING peer whose vote names
// itself, told by a peer of the same round that it already FOLLOWS it,
// has a quorum and leads (ZooKeeper's receivedFollowingNotification with
// checkLeader); it must not wait for notifications that never come.
func TestElectionLeadsWhenQuorumFollowsIt(t *testing.T) {
	s := newSingle(t, 2, []uint64{1, 2, 3}, nil)
	st := s.n.Status()
	require.Equal(t, StateLooking, st.State)
	s.step(Message{Type: MsgNotification, From: 1, Leader: 2, Zxid: st.LastZxid, PeerEpoch: st.CurrentEpoch,
		ElectionEpoch: st.ElectionEpoch, State: StateFollowing})
	require.Equal(t, StateLeading, s.n.Status().State)
}

// TestElectionLeadsWhenQuorumOutOfElectionFollowsIt: a quorum of voters
// that left this round follows this peer: it leads.
func TestElectionLeadsWhenQuorumOutOfElectionFollowsIt(t *testing.T) {
	s := newSingle(t, 3, []uint64{1, 2, 3, 4, 5}, nil)
	st := s.n.Status()
	for _, from := range []uint64{1, 2, 4} {
		s.step(Message{Type: MsgNotification, From: from, Leader: 3, Zxid: st.LastZxid, PeerEpoch: st.CurrentEpoch,
			ElectionEpoch: st.ElectionEpoch, State: StateFollowing})
	}
	require.Equal(t, StateLeading, s.n.Status().State)
}

// TestLearnerResendsFollowerInfo: a FOLLOWERINFO refused by a leader that
// was still finishing its election is sent again at the next tick
// (ZooKeeper's Learner.connectToLeader retries quickly), and a duplicate
// LEADERINFO answering the resend is harmless.
func TestLearnerResendsFollowerInfo(t *testing.T) {
	s := newSingle(t, 1, []uint64{1, 2, 3}, nil)
	s.step(Message{Type: MsgNotification, From: 2, Leader: 2, ElectionEpoch: 1, State: StateLooking})
	s.n.Tick()
	s.drain()
	require.Equal(t, StateFollowing, s.n.Status().State)
	count := func() int {
		c := 0
		for _, m := range s.sent {
			if m.Type == MsgFollowerInfo && m.To == 2 {
				c++
			}
		}
		return c
	}
	require.Equal(t, 1, count())
	s.n.Tick()
	s.drain()
	require.Equal(t, 2, count(), "FOLLOWERINFO resent after a tick")
	s.peer = 2
	s.step(Message{Type: MsgLeaderInfo, Epoch: 1})
	s.step(Message{Type: MsgLeaderInfo, Epoch: 1})
	s.n.Tick()
	s.drain()
	require.Equal(t, 2, count(), "no resend once LEADERINFO arrived")
	require.Equal(t, StateFollowing, s.n.Status().State)
}
