package zab

import (
	"bytes"
	"errors"
)

// checkProposed: every entry a node logs carries the data its leader
// proposed under that zxid (primary integrity, no fabricated txns).
func (s *sim) checkProposed(id uint64, e Entry) {
	data, ok := s.proposed[e.Zxid]
	if !ok {
		s.failf("node %d logs %s, which no leader proposed", id, e.Zxid)
		return
	}
	if !bytes.Equal(data, e.Data) {
		s.failf("node %d logs %s with %q, proposed as %q", id, e.Zxid, e.Data, data)
	}
}

// apply applies one committed entry on sn and checks that every peer's
// committed sequence is a prefix of one global sequence, in zxid order.
func (s *sim) apply(sn *simNode, e Entry) {
	s.checkProposed(sn.id, e)
	i := len(sn.sm)
	if i > 0 && e.Zxid <= sn.sm[i-1].Zxid {
		s.failf("node %d applies %s after %s (order)", sn.id, e.Zxid, sn.sm[i-1].Zxid)
		return
	}
	sn.sm = append(sn.sm, e)
	switch {
	case i < len(s.global):
		if g := s.global[i]; g.Zxid != e.Zxid {
			s.failf("node %d applies %s at position %d where %s was committed (prefix violated)", sn.id, e.Zxid, i, g.Zxid)
		}
	case i == len(s.global):
		s.global = append(s.global, e)
	default:
		s.failf("node %d applies beyond the global sequence", sn.id)
	}
}

// checkPrefix verifies sn's whole state machine against the global sequence.
func (s *sim) checkPrefix(sn *simNode) {
	for i, e := range sn.sm {
		if i >= len(s.global) {
			s.global = append(s.global, e)
			continue
		}
		if s.global[i].Zxid != e.Zxid {
			s.failf("node %d state has %s at %d where %s was committed", sn.id, e.Zxid, i, s.global[i].Zxid)
			return
		}
	}
}

func (s *sim) readDone(sn *simNode, r ReadState) {
	key := [2]uint64{sn.id, r.ID}
	want, ok := s.reads[key]
	if !ok {
		s.failf("node %d completes unknown read barrier %d", sn.id, r.ID)
		return
	}
	delete(s.reads, key)
	if r.Err != nil {
		if !errors.Is(r.Err, ErrBarrierAborted) {
			s.failf("node %d read barrier %d: %v", sn.id, r.ID, r.Err)
		}
		s.logf("node %d read barrier %d aborted", sn.id, r.ID)
		return
	}
	s.logf("node %d read barrier %d done at %s", sn.id, r.ID, r.Zxid)
	if r.Zxid < want {
		s.failf("node %d read barrier %d completed at %s, but %s was committed before it began", sn.id, r.ID, r.Zxid, want)
	}
	var applied Zxid
	if len(sn.sm) > 0 {
		applied = sn.sm[len(sn.sm)-1].Zxid
	}
	if applied < r.Zxid {
		s.failf("node %d read barrier %d at %s but applied only %s", sn.id, r.ID, r.Zxid, applied)
	}
}

// check runs the invariants that hold after every step.
func (s *sim) check() {
	s.rec.checked(s)
	s.checkDurable()
	for _, sn := range s.upNodes() {
		n := sn.n
		st := n.Status()
		if st.Commit > st.LastZxid {
			s.failf("node %d commit %s beyond its log %s", sn.id, st.Commit, st.LastZxid)
		}
		if st.CurrentEpoch > st.AcceptedEpoch {
			s.failf("node %d currentEpoch %d > acceptedEpoch %d", sn.id, st.CurrentEpoch, st.AcceptedEpoch)
		}
		if n.ln != nil && st.Established {
			if l, ok := s.leaders[st.Epoch]; !ok || l != st.Leader {
				s.failf("node %d is up to date with leader %d in epoch %d, whose established leader is %d (%v)",
					sn.id, st.Leader, st.Epoch, l, ok)
			}
		}
		if n.ld != nil && n.ld.established {
			if l, ok := s.leaders[n.ld.epoch]; !ok {
				s.leaders[n.ld.epoch] = sn.id
				s.logf("node %d established as leader of epoch %d", sn.id, n.ld.epoch)
				s.checkLeaderHasCommitted(sn)
			} else if l != sn.id {
				s.failf("two established leaders in epoch %d: %d and %d", n.ld.epoch, l, sn.id)
			}
			if n.commit > 0 {
				s.noteCommitted(n)
			}
		}
	}
}

// noteCommitted records the leader's commit point (for read barriers).
func (s *sim) noteCommitted(n *Node) {
	s.committed[n.commit] = true
	if len(s.committed) > 64 {
		var top Zxid
		for z := range s.committed {
			top = max(top, z)
		}
		clear(s.committed)
		s.committed[top] = true
	}
}

// checkLeaderHasCommitted: a newly established leader holds every
// transaction committed so far (nothing committed is ever lost).
func (s *sim) checkLeaderHasCommitted(sn *simNode) {
	n := sn.n
	for _, g := range s.global {
		if g.Zxid <= n.log.base {
			continue
		}
		e, ok := n.log.entry(g.Zxid)
		if !ok {
			s.failf("leader %d of epoch %d lacks committed %s", sn.id, n.ld.epoch, g.Zxid)
			return
		}
		if !bytes.Equal(e.Data, g.Data) {
			s.failf("leader %d has %s with other data", sn.id, g.Zxid)
			return
		}
	}
	if len(s.global) > 0 && s.global[len(s.global)-1].Zxid > n.log.last() {
		s.failf("leader %d ends at %s before committed %s", sn.id, n.log.last(), s.global[len(s.global)-1].Zxid)
	}
}

// settle heals the network, restarts every peer and runs a fair schedule;
// it then requires a leader, one more committed proposal on every peer, and
// a completed read barrier, within a bounded number of ticks.
func (s *sim) settle(maxTicks int, keepDown ...uint64) {
	s.heal()
	s.unfreeze()
	for _, id := range s.ids {
		if sn := s.nodes[id]; !sn.up {
			s.start(sn)
		}
	}
	for _, id := range keepDown {
		s.crash(s.nodes[id], s.rng.IntN(2) == 0)
	}
	s.logf("settle: network healed, all peers up but %v", keepDown)
	var target []byte
	var targetZ Zxid
	// Real peers tick on their own timers, each with a fixed phase, and
	// messages arrive between ticks: one peer may decide and send, and be
	// answered, before another peer's tick of the same period (the
	// election hang of a killed leader's survivors needed exactly that).
	phase := s.rng.Perm(len(s.ids))
	for tick := 0; tick < maxTicks && s.failure == ""; tick++ {
		s.settleDeliver()
		if ld := s.leader(); ld != nil && (target == nil || ld.n.ld.epoch != targetZ.Epoch()) {
			// Propose (again, if the leader changed since) one transaction.
			target = s.newData()
			z, err := ld.n.Propose(target)
			if err == nil {
				s.proposedAt(ld.id, z, target)
				targetZ = z
			} else {
				target = nil
			}
		}
		if target != nil && s.allApplied(targetZ) {
			s.settledAt = tick
			return
		}
		for _, i := range phase {
			if sn := s.nodes[s.ids[i]]; sn.up {
				s.step++
				sn.n.Tick()
				s.pump()
				s.check()
				s.settleDeliver()
			}
		}
	}
	if s.failure == "" {
		s.failf("liveness: no proposal committed on every peer within %d ticks of healing", maxTicks)
	}
}

// settleDeliver delivers every message in flight and finishes every disk
// write, repeatedly, until nothing moves.
func (s *sim) settleDeliver() {
	for round := 0; round < 50; round++ {
		s.step++
		moved := false
		for _, sn := range s.upNodes() {
			if sn.rd != nil {
				s.finishReady(sn)
				moved = true
			}
			s.provideSnapshots(sn)
		}
		for _, l := range s.links {
			if len(l.q) > 0 {
				s.deliver(l)
				moved = true
			}
		}
		s.pump()
		s.check()
		if !moved {
			return
		}
	}
}

func (s *sim) allApplied(z Zxid) bool {
	for _, sn := range s.upNodes() {
		if len(sn.sm) == 0 || sn.sm[len(sn.sm)-1].Zxid < z {
			return false
		}
	}
	return true
}
