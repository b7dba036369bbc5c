package zab

import (
	"slices"
	"testing"
)

// simOptsFor derives a cluster shape and fault mix from the seed.
func simOptsFor(seed uint64, steps int) simOpts {
	shapes := [][2]int{{3, 0}, {3, 1}, {5, 0}, {5, 2}, {7, 1}, {3, 2}, {5, 1}, {7, 0}, {4, 1}, {1, 1}, {2, 0}}
	sh := shapes[seed%uint64(len(shapes))]
	o := simOpts{voters: sh[0], observers: sh[1], steps: steps, slowDisk: seed%3 != 0, faults: true,
		leaderSendsEarly: seed%7 < 4}
	if seed%5 == 0 {
		o.maxCounter = uint32(3 + seed%7)
	}
	return o
}

func runSeed(t *testing.T, seed uint64, steps int) bool {
	t.Helper()
	s := newSim(seed, simOptsFor(seed, steps))
	single := *flagSeed >= 0
	s.verbose = single && testing.Verbose()
	for i := 0; i < steps && s.failure == ""; i++ {
		s.randomStep()
	}
	if s.failure == "" {
		// Liveness with every peer healthy, or (one seed in four) with
		// only a bare quorum of voters up.
		var down []uint64
		if seed%4 == 3 {
			for _, i := range s.rng.Perm(len(s.voters))[:(len(s.voters)-1)/2] {
				down = append(down, s.voters[i])
			}
			if ld := s.leader(); ld != nil && len(down) > 0 && !slices.Contains(down, ld.id) {
				// Most often the minority that stays down holds the
				// established leader: its survivors must elect anew
				// (kill -9 of the leader).
				down[0] = ld.id
			}
		}
		s.settle(200, down...)
	}
	if s.failure != "" {
		t.Errorf("%s", s.report())
		return false
	}
	if single && testing.Verbose() {
		s.failure = "none (passed); trace follows"
		t.Log(s.report())
	}
	return true
}

// TestSimSeeds runs the randomized simulator over many seeds; every seed
// checks the safety invariants after each step and liveness at the end.
func TestSimSeeds(t *testing.T) {
	steps := *flagSteps
	if steps == 0 {
		steps = 2000
	}
	if *flagSeed >= 0 {
		runSeed(t, uint64(*flagSeed), steps)
		return
	}
	seeds := *flagSeeds
	if seeds == 0 {
		seeds = 2000
		if testing.Short() {
			seeds = 200
		}
	}
	failures := 0
	for seed := *flagFrom; seed < *flagFrom+seeds && failures < 3; seed++ {
		if !runSeed(t, uint64(seed), steps) {
			failures++
		}
	}
}
