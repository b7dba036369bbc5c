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
