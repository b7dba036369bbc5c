package zab

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// The leader sends a proposal before its own disk has logged it (allowed:
// Ready.SplitMessages) and crashes before logging it. Whatever the
// followers got, the txn is committed everywhere or nowhere, and the
// restarted old leader converges.
func TestLeaderCrashesBetweenProposingAndLogging(t *testing.T) {
	for _, reach := range []int{0, 1, 2} {
		t.Run(fmt.Sprintf("followers-with-it-%d", reach), func(t *testing.T) {
			s := newScenario(t, 3, 0)
			s.opts.leaderSendsEarly = true
			require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3) }))
			ld := s.leader()
			z0 := s.write(t, "before")
			require.True(t, s.runUntil(20, func() bool { return s.appliedAll(z0, 1, 2, 3) }))
			var fs []uint64
			for _, id := range s.ids {
				if id != ld.id {
					fs = append(fs, id)
				}
			}
			for _, id := range fs[reach:] {
				s.cut[[2]uint64{min(ld.id, id), max(ld.id, id)}] = true
			}
			ld.hold = durableWrites
			z := s.write(t, "unlogged")
			s.pump()
			s.fairRound()
			require.NotNil(t, ld.rd, "the leader's write is pending")
			require.Len(t, ld.rd.Entries, 1)
			ld.rd = nil // the disk wrote nothing
			s.crash(ld, true)
			ld.hold = nil
			require.False(t, diskHas(&ld.disk, z))
			s.heal()
			require.True(t, s.runUntil(100, func() bool { return s.allFollow(fs...) }))
			s.start(ld)
			require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3) }))
			z2 := s.write(t, "after")
			require.True(t, s.runUntil(50, func() bool { return s.appliedAll(z2, 1, 2, 3) }))
			s.mustOK(t)
			got := s.applied(1, z)
			for _, id := range s.ids {
				require.Equal(t, got, s.applied(id, z), "z applied on some peers only")
			}
			if reach == 0 {
				require.False(t, got, "nobody logged it")
			}
			if reach == 2 {
				require.True(t, got, "both followers logged it: the next leader commits it")
			}
		})
	}
}

// A leader steps down before its zxid counter overflows; writes continue
// in the next epoch, zxids are never reused, counters stay in bounds.
func TestCounterOverflowStartsNewEpoch(t *testing.T) {
	s := newSim(1, simOpts{voters: 3, maxCounter: 2})
	s.delivered = map[[2]uint64]int{}
	t.Cleanup(func() {
		if t.Failed() || s.failure != "" {
			t.Log(s.report())
		}
	})
	var zs []Zxid
	for i := 0; len(zs) < 7; i++ {
		require.Less(t, i, 50)
		require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3) }))
		ld := s.leader()
		data := fmt.Appendf(nil, "tx%d", len(zs))
		z, err := ld.n.Propose(data)
		if errors.Is(err, ErrCounterExhausted) {
			require.Equal(t, StateLooking, ld.n.Status().State)
			continue
		}
		require.NoError(t, err)
		s.proposedAt(ld.id, z, data)
		zs = append(zs, z)
		require.True(t, s.runUntil(20, func() bool { return s.appliedAll(z, 1, 2, 3) }))
	}
	s.mustOK(t)
	for i, z := range zs {
		require.LessOrEqual(t, z.Counter(), uint32(2), "counter bound")
		if i > 0 {
			require.Greater(t, z, zs[i-1])
		}
	}
	require.GreaterOrEqual(t, zs[6].Epoch()-zs[0].Epoch(), uint32(3), "a new epoch every two txns")
	require.Len(t, s.global, 7)
}

// An observer that applied committed txns reconnects while a new leader is
// still synchronizing (its commit point not yet re-established): it must
// not be told to truncate what it applied.
func TestObserverJoinsLeaderBeforeEstablishment(t *testing.T) {
	s := newScenario(t, 3, 1)
	require.True(t, s.runUntil(100, func() bool { return s.allFollow(1, 2, 3, 4) }))
	var last Zxid
	for i := 0; i < 3; i++ {
		last = s.write(t, fmt.Sprint("tx", i))
	}
	require.True(t, s.runUntil(20, func() bool { return s.appliedAll(last, 1, 2, 3, 4) }))
	// Every voter restarts (its commit point is back to its snapshot).
	for _, id := range s.voters {
		s.crash(s.nodes[id], true)
	}
	for _, id := range s.voters {
		s.start(s.nodes[id])
	}
	refused := 0
	s.before = func(m Message) bool {
		if m.To == 4 && m.Type == MsgTrunc && m.Zxid < last {
			refused++
		}
		return false
	}
	require.True(t, s.runUntil(200, func() bool { return s.allFollow(1, 2, 3, 4) }))
	z := s.write(t, "after")
	require.True(t, s.runUntil(50, func() bool { return s.appliedAll(z, 1, 2, 3, 4) }))
	s.mustOK(t)
	require.Zero(t, refused, "observer told to truncate below what it applied")
}
