package zab

import (
	"testing"
)

// Scenario tests script the simulator: fast disks, no random faults, and
// explicit crashes, partitions and disk stalls.

func newScenario(t *testing.T, voters, observers int) *sim {
	t.Helper()
	s := newSim(1, simOpts{voters: voters, observers: observers})
	s.delivered = map[[2]uint64]int{}
	t.Cleanup(func() {
		if t.Failed() || s.failure != "" {
			t.Log(s.report())
		}
	})
	return s
}

// preload gives a stopped node durable state before it starts; every
// entry is registered as proposed so the integrity checks accept it.
func (s *sim) preload(id uint64, hs HardState, log []Entry) {
	sn := s.nodes[id]
	sn.disk = simDisk{hs: hs, log: log}
	for _, e := range log {
		s.proposed[e.Zxid] = e.Data
	}
	s.start(sn)
}

// fairRound delivers every queued message (repeatedly), finishing disk
// writes of nodes that are not held, without ticking.
func (s *sim) fairRound() {
	for round := 0; round < 100; round++ {
		s.step++
		moved := false
		for _, sn := range s.upNodes() {
			if sn.rd != nil && sn.hold == nil {
				s.finishReady(sn)
				moved = true
			}
		}
		for _, l := range s.links {
			if l.ready(s.step) {
				s.deliver(l)
				moved = true
			}
		}
		s.pump()
		s.check()
		if !moved || s.failure != "" {
			return
		}
	}
}

// runUntil alternates fair delivery and ticks of every up node until cond
// holds; it reports whether it did within maxTicks.
func (s *sim) runUntil(maxTicks int, cond func() bool) bool {
	for tick := 0; tick <= maxTicks && s.failure == ""; tick++ {
		s.fairRound()
		if cond() {
			return true
		}
		s.step++
		for _, sn := range s.upNodes() {
			sn.n.Tick()
		}
		s.pump()
		s.check()
	}
	return false
}

func (s *sim) allFollow(ids ...uint64) bool {
	ld := s.leader()
	if ld == nil {
		return false
	}
	for _, id := range ids {
		sn := s.nodes[id]
		if !sn.up {
			return false
		}
		st := sn.n.Status()
		if st.Leader != ld.id || !st.Established {
			return false
		}
	}
	return true
}

// write proposes data at the established leader and returns its zxid.
func (s *sim) write(t *testing.T, data string) Zxid {
	t.Helper()
	ld := s.leader()
	if ld == nil {
		t.Fatalf("no established leader")
	}
	z, err := ld.n.Propose([]byte(data))
	if err != nil {
		t.Fatalf("propose: %v", err)
	}
	s.proposedAt(ld.id, z, []byte(data))
	return z
}

func (s *sim) applied(id uint64, z Zxid) bool {
	for _, e := range s.nodes[id].sm {
		if e.Zxid == z {
			return true
		}
	}
	return false
}

func (s *sim) appliedAll(z Zxid, ids ...uint64) bool {
	for _, id := range ids {
		if !s.applied(id, z) {
			return false
		}
	}
	return true
}

// durableWrites matches Readys that write to the disk.
func durableWrites(rd *Ready) bool { return rd.hasLog || rd.HardState != nil }

func (s *sim) isolate(id uint64) {
	for _, o := range s.ids {
		if o != id {
			s.cut[[2]uint64{min(id, o), max(id, o)}] = true
			s.link(id, o).q = nil
			s.link(o, id).q = nil
		}
	}
	s.logf("isolate %d (silently)", id)
}

func (s *sim) mustOK(t *testing.T) {
	t.Helper()
	if s.failure != "" {
		t.Fatalf("invariant violated: %s", s.failure)
	}
}
