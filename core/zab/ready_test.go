package zab

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSplitMessagesEarlyOnlyLeaderToLearner: of an established leader's
// Ready that logs proposals and answers a LOOKING peer, only the messages
// to its learners may leave before the fsync; the notification (it
// carries the leader's last zxid, unsynced proposals included) waits.
func TestSplitMessagesEarlyOnlyLeaderToLearner(t *testing.T) {
	l := newEstablishedLeader(t, 3)
	z1, err := l.n.Propose([]byte("a"))
	require.NoError(t, err)
	l.step(Message{Type: MsgNotification, From: 3, Leader: 3, ElectionEpoch: 1, State: StateLooking})
	z2, err := l.n.Propose([]byte("b"))
	require.NoError(t, err)
	rd, err := l.n.Ready()
	require.NoError(t, err)
	require.Len(t, rd.Entries, 2)
	early, late := rd.SplitMessages()
	require.Equal(t, []string{"PROPOSAL 2 " + z1.String(), "PROPOSAL 2 " + z2.String()}, msgSummary(early))
	require.Equal(t, []string{"NOTIFICATION 3"}, msgSummary(late), "the notification waits for the fsync")
	l.n.Advance(rd)
}

func msgSummary(ms []Message) []string {
	var out []string
	for _, m := range ms {
		s := fmt.Sprintf("%s %d", m.Type, m.To)
		if m.Type != MsgNotification {
			s += " " + m.Zxid.String()
		}
		out = append(out, s)
	}
	return out
}

// TestSplitMessagesRule: the split keeps each peer's order (a message
// behind a late one to the same peer is late) and sends nothing early
// unless the Ready is an established leader's that persists no epoch,
// snapshot or truncation.
func TestSplitMessagesRule(t *testing.T) {
	leading := Status{State: StateLeading, Established: true}
	msgs := []Message{
		{Type: MsgProposal, To: 2, Zxid: 1},
		{Type: MsgNotification, To: 3, Zxid: 1},
		{Type: MsgProposal, To: 3, Zxid: 2},
		{Type: MsgCommit, To: 2, Zxid: 1},
		{Type: MsgPing, To: 4},
	}
	rd := Ready{Status: leading, Messages: msgs}
	early, late := rd.SplitMessages()
	require.Equal(t, []Message{msgs[0], msgs[3], msgs[4]}, early)
	require.Equal(t, []Message{msgs[1], msgs[2]}, late, "3's PROPOSAL stays behind its NOTIFICATION")
	require.Equal(t, []Message{{Type: MsgProposal, To: 2, Zxid: 1}, {Type: MsgNotification, To: 3, Zxid: 1}},
		msgs[:2], "Messages is left as it was")

	rd = Ready{Status: leading, Messages: msgs[3:]}
	early, late = rd.SplitMessages()
	require.Equal(t, msgs[3:], early)
	require.Empty(t, late)

	for name, rd := range map[string]Ready{
		"not established":  {Status: Status{State: StateLeading}},
		"following":        {Status: Status{State: StateFollowing, Established: true}},
		"epoch to persist": {Status: leading, HardState: &HardState{CurrentEpoch: 1}},
		"snapshot":         {Status: leading, Snapshot: &Snapshot{}},
		"truncation":       {Status: leading, Truncate: true},
	} {
		rd.Messages = msgs
		early, late := rd.SplitMessages()
		require.Empty(t, early, name)
		require.Equal(t, msgs, late, name)
	}
}

// followerWithPendingLog returns a follower of leader 3 that logged and
// applied 1:1, then got 1:2 (committed) and 1:3, lost its leader, and
// accepted epoch 2 from leader 3 again, with the Ready that hands out
// 1:2 and 1:3 still outstanding.
func followerWithPendingLog(t *testing.T) (*single, Ready) {
	f := newFollowerOf(t, 3, 3)
	f.step(Message{Type: MsgDiff})
	f.step(Message{Type: MsgNewLeader})
	f.step(Message{Type: MsgUpToDate})
	f.step(Message{Type: MsgProposal, Zxid: MakeZxid(1, 1), Data: []byte("a")})
	f.step(Message{Type: MsgCommit, Zxid: MakeZxid(1, 1)})
	f.drain()
	f.step(Message{Type: MsgProposal, Zxid: MakeZxid(1, 2), Prev: MakeZxid(1, 1), Data: []byte("b")})
	f.step(Message{Type: MsgProposal, Zxid: MakeZxid(1, 3), Prev: MakeZxid(1, 2), Data: []byte("c")})
	f.step(Message{Type: MsgCommit, Zxid: MakeZxid(1, 2)})
	f.n.ReportUnreachable(3)
	f.step(Message{Type: MsgNotification, From: 3, Leader: 3, ElectionEpoch: 5, State: StateLeading})
	f.step(Message{Type: MsgNotification, From: 1, Leader: 3, ElectionEpoch: 5, State: StateFollowing})
	require.Equal(t, StateFollowing, f.n.Status().State)
	f.epoch = 2
	f.step(Message{Type: MsgLeaderInfo})
	rd, err := f.n.Ready() // a driver persists it, sends its ACKEPOCH, steps the answer
	require.NoError(t, err)
	require.Equal(t, []Entry{{MakeZxid(1, 2), []byte("b")}, {MakeZxid(1, 3), []byte("c")}}, rd.Entries)
	require.Equal(t, []Entry{{MakeZxid(1, 2), []byte("b")}}, rd.CommittedEntries)
	return f, rd
}

// TestReadyOwnsItsEntries: a TRUNC or SNAP stepped while a Ready is
// outstanding (Step is allowed then, and the driver applies its
// CommittedEntries after sending its messages) leaves the Ready's Entries
// and CommittedEntries as they were; they used to alias the node's log,
// which truncation and install clear and reuse.
func TestReadyOwnsItsEntries(t *testing.T) {
	want := []Entry{{MakeZxid(1, 2), []byte("b")}, {MakeZxid(1, 3), []byte("c")}}
	t.Run("TRUNC", func(t *testing.T) {
		f, rd := followerWithPendingLog(t)
		f.step(Message{Type: MsgTrunc, Zxid: MakeZxid(1, 2)})
		f.step(Message{Type: MsgProposal, Zxid: MakeZxid(2, 1), Prev: MakeZxid(1, 2), Data: []byte("d")})
		require.Equal(t, want, rd.Entries)
		require.Equal(t, want[:1], rd.CommittedEntries)
		f.n.Advance(rd)
	})
	t.Run("SNAP", func(t *testing.T) {
		f, rd := followerWithPendingLog(t)
		f.step(Message{Type: MsgSnap, Zxid: MakeZxid(1, 2), Data: []byte("snapshot")})
		require.Equal(t, want, rd.Entries)
		require.Equal(t, want[:1], rd.CommittedEntries)
		f.n.Advance(rd)
	})
}
