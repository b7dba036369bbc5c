package zab

import (
	"slices"
)

// Durable-state invariants. The checks in sim_check_test.go look at what
// the state machines hand out; the ones here compare protocol decisions
// with what the simulated disks hold, so that a decision taken too early
// (before a quorum made the state it relies on durable) fails at once,
// even when no later crash happens to expose it:
//
//   - a voter's durable acceptedEpoch and currentEpoch never decrease, and
//     currentEpoch never exceeds acceptedEpoch;
//   - a message that acknowledges something leaves only once its sender's
//     disk holds it: ACKEPOCH, ACKNEWLEADER, ACK and PINGRESP of epoch e
//     from a voter whose durable acceptedEpoch is e (a voter never serves
//     a leader of an epoch below its promise), ACKNEWLEADER with
//     currentEpoch e and the synced history durable, ACK with the
//     proposal durable (votes are not checked: a relayed vote may name a
//     peer with a zxid that peer has since truncated, as in ZooKeeper,
//     seed 117596; discovery's learner-ahead check makes that harmless);
//   - a leader leaves discovery only once a quorum of voters durably
//     accepted its epoch (and only one leader per epoch does), and is established only once a quorum durably
//     holds currentEpoch e and its initial history;
//   - every commit point (of any peer) is durable on a quorum of voters;
//   - a voter whose durable currentEpoch is an established epoch e holds
//     e's initial history durably (ZOOKEEPER-4643).

// diskHas reports whether d holds z: in its log, or covered by its
// snapshot (a snapshot is a committed prefix).
func diskHas(d *simDisk, z Zxid) bool {
	if z <= d.snap.Zxid {
		return true
	}
	_, ok := slices.BinarySearchFunc(d.log, z, func(e Entry, z Zxid) int { return cmpU(uint64(e.Zxid), uint64(z)) })
	return ok
}

// durableOn counts the voters whose disk holds z.
func (s *sim) durableOn(z Zxid) int {
	c := 0
	for _, id := range s.voters {
		if diskHas(&s.nodes[id].disk, z) {
			c++
		}
	}
	return c
}

func (s *sim) quorum() int { return len(s.voters)/2 + 1 }

func (s *sim) isVoter(id uint64) bool { _, ok := slices.BinarySearch(s.voters, id); return ok }

// checkHardState runs after every disk write of sn: epochs only grow.
func (s *sim) checkHardState(sn *simNode, before HardState) {
	hs := sn.disk.hs
	if hs.AcceptedEpoch < before.AcceptedEpoch || hs.CurrentEpoch < before.CurrentEpoch {
		s.failf("node %d durable epochs went back: %+v -> %+v", sn.id, before, hs)
	}
	if hs.CurrentEpoch > hs.AcceptedEpoch {
		s.failf("node %d durable currentEpoch %d > acceptedEpoch %d", sn.id, hs.CurrentEpoch, hs.AcceptedEpoch)
	}
	if end, ok := s.initial[hs.CurrentEpoch]; ok && s.isVoter(sn.id) && !diskHas(&sn.disk, end) {
		s.failf("node %d durable currentEpoch %d without that epoch's initial history (up to %s)", sn.id, hs.CurrentEpoch, end)
	}
}

// checkSend verifies, when sn sends m, that what m acknowledges is durable.
func (s *sim) checkSend(sn *simNode, m Message) {
	if !s.isVoter(sn.id) {
		return
	}
	d := &sn.disk
	switch m.Type {
	case MsgAckEpoch, MsgAckNewLeader, MsgAck, MsgPingResp:
		if d.hs.AcceptedEpoch != m.Epoch {
			s.failf("node %d sends %s in epoch %d with durable acceptedEpoch %d", sn.id, m.Type, m.Epoch, d.hs.AcceptedEpoch)
		}
	}
	switch m.Type {
	case MsgAckNewLeader:
		if d.hs.CurrentEpoch != m.Epoch {
			s.failf("node %d acks NEWLEADER %d with durable currentEpoch %d", sn.id, m.Epoch, d.hs.CurrentEpoch)
		}
		if !diskHas(d, m.Zxid) {
			s.failf("node %d acks NEWLEADER at %s not durable", sn.id, m.Zxid)
		}
	case MsgAck:
		if !diskHas(d, m.Zxid) {
			s.failf("node %d acks %s not durable", sn.id, m.Zxid)
		}
	}
}

// checkDurable runs after every step.
func (s *sim) checkDurable() {
	q := s.quorum()
	for _, sn := range s.upNodes() {
		n := sn.n
		if c := s.durableOn(n.commit); c < q {
			s.failf("node %d commit point %s is durable on %d voters only", sn.id, n.commit, c)
		}
		ld := n.ld
		if ld == nil || ld.phase == ldDiscovery {
			continue
		}
		if l, ok := s.synced[ld.epoch]; ok && l != sn.id {
			s.failf("leaders %d and %d both left discovery of epoch %d", l, sn.id, ld.epoch)
		} else if !ok {
			s.synced[ld.epoch] = sn.id
			c := 0
			for _, id := range s.voters {
				if s.nodes[id].disk.hs.AcceptedEpoch >= ld.epoch {
					c++
				}
			}
			if c < q {
				s.failf("leader %d left discovery of epoch %d with %d voters durably accepting it", sn.id, ld.epoch, c)
			}
		}
		if ld.established {
			if _, ok := s.initial[ld.epoch]; !ok {
				s.initial[ld.epoch] = ld.ihLast
				c := 0
				for _, id := range s.voters {
					d := &s.nodes[id].disk
					if d.hs.CurrentEpoch >= ld.epoch && diskHas(d, ld.ihLast) {
						c++
					}
				}
				if c < q {
					s.failf("leader %d established epoch %d with %d voters durably in it", sn.id, ld.epoch, c)
				}
			}
		}
	}
}
