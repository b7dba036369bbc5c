package zab

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// cutAndReport cuts every link of id, as a partition whose connections
// are closed: both ends of each link are told (ReportUnreachable).
func (s *sim) cutAndReport(id uint64) {
	s.partition([]uint64{id})
	for _, o := range s.ids {
		if o == id {
			continue
		}
		for _, pair := range [][2]uint64{{id, o}, {o, id}} {
			if sn := s.nodes[pair[0]]; sn.up {
				sn.n.ReportUnreachable(pair[1])
			}
		}
	}
}

// A follower whose links are all cut (connections closed) for 70 ticks,
// 7s of a server's 100ms ticks, rejoins the leader it lost within a few
// ticks of the heal, without a new election (issue 19). It went LOOKING
// when its links broke, and its notifications backed off meanwhile (here
// up to 160 ticks, a server's cap at tickTime 1000); before the fix it
// stayed out until its next re-send, 56 ticks after the heal. Now a
// LOOKING peer re-sends its vote every tick to the peers whose link broke
// until it hears from them, as ZooKeeper re-sends its last notification
// on a new connection.
func TestPartitionedFollowerRejoinsWithinTicksOfHeal(t *testing.T) {
	for _, which := range []string{"smaller", "larger"} {
		t.Run(fmt.Sprintf("follower with the %s id", which), func(t *testing.T) {
			s := newSim(1, simOpts{voters: 3, maxNotifyInterval: 160})
			s.golden(t)
			s.delivered = map[[2]uint64]int{}
			t.Cleanup(func() {
				if t.Failed() || s.failure != "" {
					t.Log(s.report())
				}
			})
			require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3) }), "initial election")
			ld := s.leader()
			epoch := ld.n.Status().Epoch
			var fs []uint64
			for _, id := range s.ids {
				if id != ld.id {
					fs = append(fs, id)
				}
			}
			f, other := fs[0], fs[1]
			if which == "larger" {
				f, other = fs[1], fs[0]
			}
			z1 := s.write(t, "before")
			require.True(t, s.runUntil(20, func() bool { return s.appliedAll(z1, 1, 2, 3) }))

			s.cutAndReport(f)
			require.Equal(t, StateLooking, s.nodes[f].n.Status().State, "the cut follower lost its leader")
			z2 := s.write(t, "during")
			require.False(t, s.runUntil(70, func() bool { return false }))
			require.True(t, s.appliedAll(z2, ld.id, other), "the leader and the other follower go on")
			require.False(t, s.applied(f, z2))

			s.heal()
			require.True(t, s.runUntil(3, func() bool { return s.allFollow(f) && s.applied(f, z2) }),
				"the follower follows again within 3 ticks of the heal")
			require.Equal(t, ld.id, s.leader().id, "same leader")
			require.Equal(t, epoch, s.nodes[f].n.Status().Epoch, "no new election: same epoch")
			s.mustOK(t)
		})
	}
}

// A voter that rejoins having accepted a later epoch than the established
// leader's (it acked LEADERINFO of a leader that never got established)
// can never join that epoch: the leader steps down so that the next
// election picks an epoch above the voter's promise, and all three end up
// following one leader. (A leader that served the voter anyway left it
// refusing LEADERINFO forever.)
func TestVoterWithLaterAcceptedEpochRejoins(t *testing.T) {
	s := newScenario(t, 3, 0)
	s.golden(t)
	s.crash(s.nodes[3], true)
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2) }), "1 and 2 elect")
	z := s.write(t, "x")
	require.True(t, s.runUntil(20, func() bool { return s.appliedAll(z, 1, 2) }))
	epoch := s.leader().n.Status().Epoch
	s.preload(3, HardState{AcceptedEpoch: epoch + 5}, nil)
	require.True(t, s.runUntil(300, func() bool { return s.allFollow(1, 2, 3) && s.applied(3, z) }),
		"the voter with the later accepted epoch follows")
	require.Greater(t, s.leader().n.Status().Epoch, epoch+5, "the new epoch is above the voter's promise")
	s.mustOK(t)
}
