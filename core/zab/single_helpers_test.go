package zab

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// single drives one Node by hand, playing its peers, with a perfect disk.
type single struct {
	t       *testing.T
	n       *Node
	peer    uint64 // default sender
	epoch   uint32 // default session epoch
	sent    []Message
	applied []Entry
	logged  []Entry
	reads   []ReadState
	snaps   []uint64
	reqs    []Request
}

func newSingle(t *testing.T, id uint64, voters, observers []uint64) *single {
	t.Helper()
	c := DefaultConfig(id)
	c.Voters, c.Observers = voters, observers
	n, err := New(c)
	require.NoError(t, err)
	s := &single{t: t, n: n}
	s.drain()
	s.sent = nil
	return s
}

func (s *single) step(m Message) {
	s.t.Helper()
	require.NoError(s.t, s.try(m))
}

func (s *single) try(m Message) error {
	m.To = s.n.id
	if m.From == 0 {
		m.From = s.peer
	}
	if m.Epoch == 0 && m.Type != MsgNotification && m.Type != MsgFollowerInfo && m.Type != MsgObserverInfo {
		m.Epoch = s.epoch
	}
	return s.n.Step(m)
}

// drain fulfils every Ready like a driver with an instant disk.
func (s *single) drain() {
	for i := 0; s.n.HasReady(); i++ {
		if i > 1000 {
			s.t.Fatalf("HasReady never settles: %+v", s.n.Status())
		}
		rd, err := s.n.Ready()
		require.NoError(s.t, err)
		if rd.Snapshot != nil {
			s.logged = nil
			s.applied = nil // the state machine is replaced by the snapshot
		}
		if rd.Truncate {
			i := len(s.logged)
			for i > 0 && s.logged[i-1].Zxid > rd.TruncateAfter {
				i--
			}
			s.logged = s.logged[:i]
		}
		s.logged = append(s.logged, rd.Entries...)
		for _, m := range rd.Messages {
			if m.Type != MsgNotification {
				s.sent = append(s.sent, m)
			}
		}
		s.applied = append(s.applied, rd.CommittedEntries...)
		s.reads = append(s.reads, rd.ReadStates...)
		s.snaps = append(s.snaps, rd.SnapshotRequests...)
		s.reqs = append(s.reqs, rd.Requests...)
		s.n.Advance(rd)
	}
}

func (s *single) sentTypes() []MsgType {
	var out []MsgType
	for _, m := range s.sent {
		if m.Type != MsgFollowerInfo && m.Type != MsgPing && m.Type != MsgPingResp {
			out = append(out, m.Type)
		}
	}
	return out
}

// newFollowerOf returns peer 2 of a cluster of n voters, following leader
// (which must have a higher id than 2 so that 2 adopts its vote), after
// LEADERINFO for epoch 1.
func newFollowerOf(t *testing.T, n int, leader uint64) *single {
	t.Helper()
	var voters []uint64
	for i := 1; i <= n; i++ {
		voters = append(voters, uint64(i))
	}
	s := newSingle(t, 2, voters, nil)
	for _, from := range voters {
		if from != 2 {
			s.step(Message{Type: MsgNotification, From: from, Leader: leader, ElectionEpoch: 1, State: StateLooking})
		}
	}
	s.n.Tick()
	s.n.Tick()
	require.Equal(t, StateFollowing, s.n.Status().State)
	s.drain()
	s.sent = nil
	s.peer, s.epoch = leader, 1
	s.step(Message{Type: MsgLeaderInfo, Epoch: 1})
	s.drain()
	return s
}

// newEstablishedLeader returns peer 1 of n voters, leading epoch 1 with
// peer 2 synced.
func newEstablishedLeader(t *testing.T, n int) *single {
	t.Helper()
	var voters []uint64
	for i := 1; i <= n; i++ {
		voters = append(voters, uint64(i))
	}
	s := newSingle(t, 1, voters, nil)
	s.peer = 2
	s.step(Message{Type: MsgNotification, Leader: 1, ElectionEpoch: 1, State: StateLooking})
	s.n.Tick()
	s.n.Tick()
	require.Equal(t, StateLeading, s.n.Status().State)
	s.step(Message{Type: MsgFollowerInfo, Epoch: 0})
	s.drain()
	s.epoch = s.n.ld.epoch
	require.Equal(t, uint32(1), s.epoch)
	s.step(Message{Type: MsgAckEpoch, PeerEpoch: 0, Zxid: 0})
	s.drain()
	s.step(Message{Type: MsgAckNewLeader, Zxid: 0})
	s.drain()
	require.True(t, s.n.Status().Established)
	return s
}

// drainAll is drain that returns every message sent, notifications included.
func (s *single) drainAll() []Message {
	var out []Message
	for s.n.HasReady() {
		rd, err := s.n.Ready()
		require.NoError(s.t, err)
		out = append(out, rd.Messages...)
		s.n.Advance(rd)
	}
	return out
}
