package zab

import "testing"

func TestSimStats(t *testing.T) {
	tot, ep, sn, maxg := 0, 0, 0, 0
	for seed := uint64(1); seed <= 200; seed++ {
		s := newSim(seed, simOptsFor(seed, 2000))
		for i := 0; i < 2000 && s.failure == ""; i++ {
			s.randomStep()
		}
		before := len(s.global)
		s.settle(200)
		if s.failure != "" { t.Fatal(s.report()) }
		tot += before
		maxg = max(maxg, before)
		ep += len(s.leaders)
		sn += len(s.snaps)
	}
	t.Logf("avg committed before settle %.1f max %d, avg epochs %.1f, snaps %d", float64(tot)/200, maxg, float64(ep)/200, sn)
}
