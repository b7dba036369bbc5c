package zab

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Issue 19, "a partitioned follower rejoins promptly", second part: a
// learner whose session the other end no longer has (the leader dropped
// it, leads a later epoch, or is not leading at all) used to wait out
// InitLimit or SyncLimit, because the other end refused its messages
// without a word. The scenarios run near a server's scale (InitLimit 100
// and SyncLimit 50 ticks, half of a server's with tickTime 2000, 100ms
// ticks, initLimit 10 and syncLimit 5) so that "a few ticks" and "a
// limit" differ.

const (
	nsInitLimit = 100
	nsSyncLimit = 50
)

func newNoSessionScenario(t *testing.T) *sim {
	t.Helper()
	s := newSim(1, simOpts{voters: 3, maxNotifyInterval: 160, initLimit: nsInitLimit, syncLimit: nsSyncLimit})
	s.delivered = map[[2]uint64]int{}
	t.Cleanup(func() {
		if t.Failed() || s.failure != "" {
			t.Log(s.report())
		}
	})
	return s
}

// freezeLink holds every message on the link from -> to, in order, until
// thawLink: a proxy that keeps the bytes of one direction while time goes on.
func (s *sim) freezeLink(from, to uint64) {
	s.link(from, to).frozenUntil = 1 << 62
	s.logf("freeze link %d->%d", from, to)
}

func (s *sim) thawLink(from, to uint64) {
	s.link(from, to).frozenUntil = 0
	s.logf("thaw link %d->%d (%d messages waiting)", from, to, len(s.link(from, to).q))
}

// ticksTo is runUntil that reports how many ticks cond took (-1: not
// within maxTicks).
func (s *sim) ticksTo(maxTicks int, cond func() bool) int {
	ticks := -1
	s.runUntil(maxTicks, func() bool {
		ticks++
		return cond()
	})
	if !cond() {
		return -1
	}
	return ticks
}

// serving reports whether id follows the established leader, which has
// it in a synced session, and applied z.
func (s *sim) serving(id uint64, z Zxid) bool {
	if !s.allFollow(id) || !s.applied(id, z) {
		return false
	}
	h := s.leader().n.ld.learners[id]
	return h != nil && h.state == hsSynced
}

// settle elects a leader among 1, 2, 3, commits one write everywhere and
// returns the leader and its followers (smaller id first).
func settle(t *testing.T, s *sim) (ld, f, o uint64) {
	t.Helper()
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3) }), "initial election")
	ld = s.leader().id
	var fs []uint64
	for _, id := range s.ids {
		if id != ld {
			fs = append(fs, id)
		}
	}
	z := s.write(t, "before")
	require.True(t, s.runUntil(20, func() bool { return s.appliedAll(z, 1, 2, 3) }))
	return ld, fs[0], fs[1]
}

// A follower rejoins after a cut; its ACKNEWLEADER stays in the proxy
// while the leader restarts (kill -9: the follower's end of the link,
// behind the proxy, stays open, so it does not notice) and is elected
// again with the other follower in a later epoch. When the old
// ACKNEWLEADER finally arrives, the restarted leader has no session for
// it: it answers NOSESSION, and the follower, which was waiting for
// UPTODATE of the old epoch, starts over at once and serves within a few
// ticks. Before, the leader refused it silently and the follower waited
// out InitLimit (what issue 19's leader logged as "no session"): 99
// ticks after the late packet here.
func TestLateAckNewLeaderAtRestartedLeader(t *testing.T) {
	s := newNoSessionScenario(t)
	s.golden(t)
	ld, f, o := settle(t, s)
	epoch := s.nodes[ld].n.Status().Epoch

	s.cutAndReport(f)
	z := s.write(t, "during")
	require.True(t, s.runUntil(20, func() bool { return s.appliedAll(z, ld, o) }))
	var late *Message
	s.before = func(m Message) bool {
		if m.Type == MsgAckNewLeader && m.From == f {
			late = &m
			s.before = nil
			return true
		}
		return false
	}
	s.heal()
	require.True(t, s.runUntil(20, func() bool { return late != nil }), "f synced and acked NEWLEADER")
	require.Equal(t, lpWaitUpToDate, s.nodes[f].n.ln.phase)

	// The leader restarts; o sees the connection break, f does not. The
	// leader and o elect again, in a later epoch.
	s.crash(s.nodes[ld], false)
	s.nodes[o].n.ReportUnreachable(ld)
	s.start(s.nodes[ld])
	require.True(t, s.runUntil(30, func() bool {
		l := s.leader()
		return l != nil && l.n.Status().Epoch > epoch && s.allFollow(ld, o)
	}), "ld and o elect again")
	require.Equal(t, StateFollowing, s.nodes[f].n.Status().State)
	require.Equal(t, epoch, s.nodes[f].n.ln.epoch, "f still waits for UPTODATE of the old epoch")

	err := s.inject(*late)
	require.ErrorIs(t, err, ErrUnexpectedMessage, "the restarted leader has no session for it")
	s.pump()
	ticks := s.ticksTo(nsInitLimit, func() bool { return s.serving(f, z) })
	t.Logf("f serves %d ticks after the late ACKNEWLEADER", ticks)
	require.True(t, ticks >= 0 && ticks <= 5, "f serves within 5 ticks, not after InitLimit (took %d)", ticks)
	s.mustOK(t)
}

// The link follower->leader holds the follower's PINGRESPs while the
// leader's PINGs still arrive: the leader times the follower out after
// SyncLimit and drops its session. It tells the follower (NOSESSION), which
// starts over at once, though its FOLLOWERINFO waits in the link behind
// the old PINGRESPs. When the link thaws, the leader answers those with
// NOSESSION too, which the follower ignores (they refuse its earlier
// session), then takes the FOLLOWERINFO: the follower serves within a few
// ticks. Before, the follower, still hearing PINGs until the leader
// dropped it, noticed only when they had been missing for SyncLimit: 49
// ticks after the thaw here.
func TestLatePingRespAtLeaderThatDroppedTheSession(t *testing.T) {
	s := newNoSessionScenario(t)
	s.golden(t)
	ld, f, o := settle(t, s)
	epoch := s.nodes[ld].n.Status().Epoch

	s.freezeLink(f, ld)
	require.True(t, s.runUntil(nsSyncLimit+5, func() bool { return s.nodes[ld].n.ld.learners[f] == nil }),
		"the leader times f out")
	z := s.write(t, "during")
	require.True(t, s.runUntil(5, func() bool { return s.appliedAll(z, ld, o) }), "the leader and o go on")
	st := s.nodes[f].n.Status()
	require.False(t, st.Established && st.Leader == ld && st.Epoch == epoch, "f knows its session ended")
	require.False(t, s.applied(f, z))

	s.thawLink(f, ld)
	ticks := s.ticksTo(nsSyncLimit, func() bool { return s.serving(f, z) })
	t.Logf("f serves %d ticks after the thaw", ticks)
	require.True(t, ticks >= 0 && ticks <= 5, "f serves within 5 ticks of the thaw, not after SyncLimit (took %d)", ticks)
	require.Equal(t, ld, s.leader().id, "same leader")
	require.Equal(t, epoch, s.nodes[f].n.Status().Epoch, "no new election: same epoch")
	s.mustOK(t)
}

// A follower that went LOOKING decides on stale notifications (the link
// from the others to it held their answers while the ensemble moved on:
// 2 led, then 3 does and 2 follows it) and sends FOLLOWERINFO to 2, which
// is FOLLOWING. 2 answers NOSESSION; the follower starts over and follows
// 3 within a few ticks. Before, 2 refused silently and the follower
// waited out InitLimit: 101 ticks after the thaw here.
func TestFollowerInfoToFollowingPeer(t *testing.T) {
	s := newNoSessionScenario(t)
	s.golden(t)
	staleAnswersTo1(t, s)

	// 2 and 3 lose each other's connection: 2 steps down, and the two
	// elect 3 (same history, higher id) in epoch 2 once the link is back.
	s.breakLink(2, 3, true)
	require.True(t, s.runUntil(30, func() bool {
		l := s.leader()
		return l != nil && l.id == 3 && s.allFollow(2)
	}), "3 leads, 2 follows it")
	z2 := s.write(t, "after")
	require.True(t, s.runUntil(20, func() bool { return s.appliedAll(z2, 2, 3) }))
	require.Equal(t, StateLooking, s.nodes[1].n.Status().State)

	thawAndRejoin(t, s, z2)
}

// The same stale answers reach 1, but 2 and 3 cannot reach each other
// and are both LOOKING (each votes for itself; neither can win without
// 1). 1 follows 2 and sends it FOLLOWERINFO; 2, which is not about to
// lead 1 (1 never voted for it in its round), answers NOSESSION; 1 starts
// over, and 1 and 3 elect 3 within a few ticks. Before, 2 refused
// silently and 1 waited out InitLimit: 102 ticks after the thaw here.
func TestFollowerInfoToLookingPeer(t *testing.T) {
	s := newNoSessionScenario(t)
	s.golden(t)
	z := staleAnswersTo1(t, s)

	s.cut[[2]uint64{2, 3}] = true
	s.breakLink(2, 3, true)
	require.False(t, s.runUntil(5, func() bool { return false }))
	for _, id := range s.ids {
		require.Equal(t, StateLooking, s.nodes[id].n.Status().State, "node %d", id)
	}
	thawAndRejoin(t, s, z)
	require.Equal(t, uint64(3), s.leader().id)
}

// staleAnswersTo1 makes 2 the leader of 1, 2 and 3 (epoch 1, one write,
// returned), cuts 1 off (it goes LOOKING), heals, and freezes the links
// to 1: the answers of 2 (LEADING) and 3 (FOLLOWING 2) to 1's votes wait
// there while the scenario moves the ensemble on.
func staleAnswersTo1(t *testing.T, s *sim) Zxid {
	t.Helper()
	// 1 and 2 elect 2 (3 is down), 3 joins: 2 leads epoch 1.
	s.crash(s.nodes[3], true)
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2) }), "1 and 2 elect")
	require.Equal(t, uint64(2), s.leader().id)
	s.start(s.nodes[3])
	z := s.write(t, "before")
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3) && s.appliedAll(z, 1, 2, 3) }))

	s.cutAndReport(1)
	s.heal()
	s.freezeLink(2, 1)
	s.freezeLink(3, 1)
	require.False(t, s.runUntil(3, func() bool { return false }))
	require.NotEmpty(t, s.link(2, 1).q)
	require.NotEmpty(t, s.link(3, 1).q)
	return z
}

// thawAndRejoin thaws the links to 1: 1 reads the stale answers first,
// decides for 2 and sends it FOLLOWERINFO; it must serve (having applied
// z) within a few ticks.
func thawAndRejoin(t *testing.T, s *sim, z Zxid) {
	t.Helper()
	infos := 0
	s.before = func(m Message) bool {
		if m.Type == MsgFollowerInfo && m.From == 1 && m.To == 2 {
			infos++
		}
		return false
	}
	s.thawLink(2, 1)
	s.thawLink(3, 1)
	ticks := s.ticksTo(nsInitLimit+10, func() bool { return s.serving(1, z) })
	t.Logf("1 serves %d ticks after the thaw", ticks)
	require.Positive(t, infos, "1 followed 2 on the stale notifications")
	require.True(t, ticks >= 0 && ticks <= 5, "1 serves within 5 ticks of the thaw, not after InitLimit (took %d)", ticks)
	s.mustOK(t)
}
