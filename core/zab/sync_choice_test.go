package zab

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// The leader's choice of DIFF, TRUNC or SNAP at the boundaries
// (LearnerHandler.syncFollower), and what it sends after it.

func histEntries(zs ...Zxid) []Entry {
	out := make([]Entry, len(zs))
	for i, z := range zs {
		out[i] = Entry{Zxid: z, Data: []byte(z.String())}
	}
	return out
}

// leaderWith returns peer 3 of voters {1..n} (n >= 3) restored from st,
// elected leader with the votes of 1 and 2; then drains.
func leaderWith(t *testing.T, n int, observers []uint64, st Storage) *single {
	t.Helper()
	c := DefaultConfig(3)
	for i := 1; i <= n; i++ {
		c.Voters = append(c.Voters, uint64(i))
	}
	c.Observers = observers
	c.Storage = st
	nd, err := New(c)
	require.NoError(t, err)
	s := &single{t: t, n: nd}
	s.drain()
	last := nd.Status().LastZxid
	for _, from := range []uint64{1, 2} {
		s.step(Message{Type: MsgNotification, From: from, Leader: 3, Zxid: last, PeerEpoch: st.HardState.CurrentEpoch,
			ElectionEpoch: 1, State: StateLooking})
	}
	nd.Tick()
	nd.Tick()
	require.Equal(t, StateLeading, nd.Status().State)
	s.drain()
	s.sent = nil
	return s
}

// syncOf has learner `from` send FOLLOWERINFO and ACKEPOCH with
// (currentEpoch, last zxid) and returns what the leader sends it after
// LEADERINFO (the sync, not pings).
func (s *single) syncOf(from uint64, cur uint32, last Zxid) []Message {
	s.t.Helper()
	s.step(Message{Type: MsgFollowerInfo, From: from, Epoch: cur, Zxid: last})
	s.drain()
	s.epoch = s.n.ld.epoch
	return s.ackEpoch(from, cur, last)
}

func (s *single) ackEpoch(from uint64, cur uint32, last Zxid) []Message {
	s.t.Helper()
	if s.epoch == 0 {
		s.sent = nil
		return nil // epoch not decided yet: no LEADERINFO to answer
	}
	s.step(Message{Type: MsgAckEpoch, From: from, PeerEpoch: cur, Zxid: last})
	s.drain()
	var out []Message
	for _, m := range s.sent {
		if m.To == from && m.Type != MsgPing && m.Type != MsgLeaderInfo {
			out = append(out, m)
		}
	}
	s.sent = nil
	return out
}

func describe(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s %s", m.Type, m.Zxid))
	}
	return out
}

func TestSyncChoiceAtBoundaries(t *testing.T) {
	z := MakeZxid
	hist := histEntries(z(1, 1), z(1, 2), z(2, 1), z(2, 2))
	st := Storage{HardState: HardState{AcceptedEpoch: 2, CurrentEpoch: 2}, Entries: hist}
	for _, tc := range []struct {
		name string
		cur  uint32
		last Zxid
		want []string
	}{
		{"learner equal to the leader: empty DIFF", 2, z(2, 2), []string{"DIFF 2:2", "NEWLEADER 2:2"}},
		{"learner behind within the log: DIFF of the rest", 2, z(2, 1), []string{"DIFF 2:1", "PROPOSAL 2:2", "NEWLEADER 2:2"}},
		{"empty learner: DIFF of everything", 0, 0, []string{"DIFF 0:0", "PROPOSAL 1:1", "PROPOSAL 1:2", "PROPOSAL 2:1", "PROPOSAL 2:2", "NEWLEADER 2:2"}},
		{"uncommitted suffix of an older epoch: TRUNC at the fork", 1, z(1, 3), []string{"TRUNC 1:2", "PROPOSAL 2:1", "PROPOSAL 2:2", "NEWLEADER 2:2"}},
		{"suffix of an epoch that never got established", 1, z(1, 2), []string{"DIFF 1:2", "PROPOSAL 2:1", "PROPOSAL 2:2", "NEWLEADER 2:2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := leaderWith(t, 3, nil, st)
			require.Equal(t, tc.want, describe(l.syncOf(1, tc.cur, tc.last)))
		})
	}

	t.Run("learner ahead in the same epoch: the leader steps down", func(t *testing.T) {
		l := leaderWith(t, 3, nil, st)
		l.step(Message{Type: MsgFollowerInfo, From: 1, Epoch: 2, Zxid: z(2, 3)})
		l.epoch = l.n.ld.epoch
		require.ErrorIs(t, l.try(Message{Type: MsgAckEpoch, From: 1, PeerEpoch: 2, Zxid: z(2, 3)}), ErrUnexpectedMessage)
		require.Equal(t, StateLooking, l.n.Status().State)
	})
	t.Run("learner in a later epoch: the leader steps down", func(t *testing.T) {
		l := leaderWith(t, 3, nil, st)
		l.step(Message{Type: MsgFollowerInfo, From: 1, Epoch: 3, Zxid: z(2, 1)})
		l.epoch = l.n.ld.epoch
		require.ErrorIs(t, l.try(Message{Type: MsgAckEpoch, From: 1, PeerEpoch: 3, Zxid: z(2, 1)}), ErrUnexpectedMessage)
		require.Equal(t, StateLooking, l.n.Status().State)
	})
}

// After Compact the leader's log may be only a snapshot: a learner at the
// snapshot gets an empty DIFF, one below it (or off the leader's history
// below it) a SNAP, then the proposals after the snapshot.
func TestSyncChoiceSnapshotOnlyLeader(t *testing.T) {
	z := MakeZxid
	st := Storage{HardState: HardState{AcceptedEpoch: 2, CurrentEpoch: 2}, SnapshotZxid: z(2, 2)}
	for _, tc := range []struct {
		name string
		cur  uint32
		last Zxid
		snap bool
		want []string
	}{
		{"learner at the snapshot", 2, z(2, 2), false, []string{"DIFF 2:2", "NEWLEADER 2:2"}},
		{"learner below the snapshot", 2, z(2, 1), true, []string{"SNAP 2:2", "NEWLEADER 2:2"}},
		{"empty learner", 0, 0, true, []string{"SNAP 2:2", "NEWLEADER 2:2"}},
		{"learner off the history below the snapshot", 1, z(1, 7), true, []string{"SNAP 2:2", "NEWLEADER 2:2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := leaderWith(t, 3, nil, st)
			got := l.syncOf(1, tc.cur, tc.last)
			if tc.snap {
				require.Empty(t, got, "waits for the driver's snapshot")
				require.Equal(t, []uint64{1}, l.snaps)
				require.NoError(t, l.n.ProvideSnapshot(1, Snapshot{Zxid: z(2, 2), Data: []byte("state")}))
				l.drain()
				got = l.sent
				l.sent = nil
			}
			require.Equal(t, tc.want, describe(got))
		})
	}
}

// A new leader commits the proposals of earlier epochs only through the
// NEWLEADER quorum: an epoch quorum is not enough, NEWLEADER does not
// carry them as committed, and nothing is applied before the quorum.
func TestPreviousEpochCommittedOnlyByNewLeaderQuorum(t *testing.T) {
	z := MakeZxid
	hist := histEntries(z(1, 1), z(1, 2))
	l := leaderWith(t, 5, nil, Storage{HardState: HardState{AcceptedEpoch: 1, CurrentEpoch: 1}, Entries: hist})
	// A quorum of 5 is 3: FOLLOWERINFO from 1 and 2, ACKEPOCH from both.
	require.Empty(t, l.syncOf(1, 1, z(1, 1)), "epoch not decided")
	l.step(Message{Type: MsgFollowerInfo, From: 2, Epoch: 0, Zxid: 0})
	l.drain()
	l.epoch = l.n.ld.epoch
	require.Equal(t, uint32(2), l.epoch)
	l.sent = nil
	require.Empty(t, l.ackEpoch(1, 1, z(1, 1)), "no sync before the epoch quorum")
	got := l.ackEpoch(2, 0, 0)
	require.Equal(t, []string{"DIFF 0:0", "PROPOSAL 1:1", "PROPOSAL 1:2", "NEWLEADER 1:2"}, describe(got))
	for _, m := range got {
		if m.Type == MsgNewLeader {
			require.Zero(t, m.Commit, "NEWLEADER must not declare the old epoch committed")
		}
	}
	require.Zero(t, l.n.Status().Commit)
	// One ACKNEWLEADER (plus the leader) is 2 of 5: still nothing committed.
	l.step(Message{Type: MsgAckNewLeader, From: 2, Zxid: z(1, 2)})
	l.drain()
	require.False(t, l.n.Status().Established)
	require.Zero(t, l.n.Status().Commit)
	require.Empty(t, l.applied)
	// The third voter of the quorum: established, the history committed.
	l.step(Message{Type: MsgAckNewLeader, From: 1, Zxid: z(1, 2)})
	l.drain()
	require.True(t, l.n.Status().Established)
	require.Equal(t, z(1, 2), l.n.Status().Commit)
	require.Equal(t, hist, l.applied)
	var up []Message
	for _, m := range l.sent {
		if m.Type == MsgUpToDate {
			up = append(up, m)
		}
	}
	require.Len(t, up, 2)
	require.Equal(t, z(1, 2), up[0].Commit)
}

// A follower that acked NEWLEADER and reconnects before the leader is
// established reports currentEpoch = the leader's epoch: it is not ahead,
// the leader keeps leading and syncs it again.
func TestReconnectAfterNewLeaderAckBeforeEstablishment(t *testing.T) {
	z := MakeZxid
	hist := histEntries(z(1, 1), z(1, 2))
	l := leaderWith(t, 5, nil, Storage{HardState: HardState{AcceptedEpoch: 1, CurrentEpoch: 1}, Entries: hist})
	require.Empty(t, l.syncOf(1, 1, z(1, 2)), "epoch not decided")
	require.Empty(t, l.syncOf(2, 1, z(1, 2)), "2 of 5 acked the epoch")
	got := l.ackEpoch(1, 1, z(1, 2))
	require.Equal(t, []string{"DIFF 1:2", "NEWLEADER 1:2"}, describe(got))
	l.step(Message{Type: MsgAckNewLeader, From: 2, Zxid: z(1, 2)})
	l.drain()
	require.False(t, l.n.Status().Established, "2 of 5")
	// 2 reconnects, now in epoch 2.
	e := l.epoch
	l.step(Message{Type: MsgFollowerInfo, From: 2, Epoch: e, Zxid: z(1, 2)})
	l.drain()
	l.sent = nil
	got = l.ackEpoch(2, e, z(1, 2))
	require.Equal(t, StateLeading, l.n.Status().State, "not ahead of the leader")
	require.Equal(t, []string{"DIFF 1:2", "NEWLEADER 1:2"}, describe(got))
	l.step(Message{Type: MsgAckNewLeader, From: 2, Zxid: z(1, 2)})
	l.step(Message{Type: MsgAckNewLeader, From: 1, Zxid: z(1, 2)})
	l.drain()
	require.True(t, l.n.Status().Established)
}
