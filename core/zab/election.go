package zab

import "fmt"

// vote is a proposal for leader, ordered by (peerEpoch, zxid, leader id).
type vote struct {
	leader    uint64
	zxid      Zxid
	peerEpoch uint32
}

func (v vote) betterThan(o vote) bool {
	if v.peerEpoch != o.peerEpoch {
		return v.peerEpoch > o.peerEpoch
	}
	if v.zxid != o.zxid {
		return v.zxid > o.zxid
	}
	return v.leader > o.leader
}

type outVote struct {
	leader uint64
	state  State
	clock  uint64
}

// election is the fast-leader-election state (FastLeaderElection.java).
type election struct {
	clock      uint64 // logical clock (election epoch)
	vote       vote
	recv       map[uint64]vote    // LOOKING-round votes of voters at our clock
	outOf      map[uint64]outVote // votes of voters that left the election
	finalizeAt int64
	resendAt   int64
	interval   int64
	// lost holds the voters whose link broke (ReportUnreachable) and that
	// have not sent a notification since. While LOOKING, a peer re-sends
	// its vote to them every tick, whatever its back-off: a message to a
	// broken link is dropped by the driver, and the first one after the
	// link is back ends the wait for the next re-send (ZooKeeper re-sends
	// its last notification on a new connection). Without it, a follower
	// cut off for a few seconds stayed out after the heal until its
	// back-off re-sent (up to MaxNotifyInterval ticks; issue 19). It
	// outlives election rounds: the link state does not change with them.
	lost map[uint64]bool
}

// linkLost records that the link to peer broke.
func (n *Node) linkLost(peer uint64) {
	if !n.isVoter(peer) {
		return
	}
	if n.el.lost == nil {
		n.el.lost = map[uint64]bool{}
	}
	n.el.lost[peer] = true
}

// resendLost re-sends the vote to the voters whose link broke and that
// have not answered since.
func (n *Node) resendLost() {
	for _, v := range n.voters {
		if n.el.lost[v] {
			n.send(n.notification(v))
		}
	}
}

func (n *Node) initialVote() vote {
	if n.isObserver {
		return vote{}
	}
	return vote{leader: n.id, zxid: n.log.last(), peerEpoch: n.hs.CurrentEpoch}
}

// becomeLooking leaves any role and starts a new election round.
func (n *Node) becomeLooking() {
	n.leaveRole()
	n.state = StateLooking
	e := &n.el
	e.clock++
	e.vote = n.initialVote()
	e.recv = map[uint64]vote{}
	e.outOf = map[uint64]outVote{}
	if !n.isObserver {
		e.recv[n.id] = e.vote
	}
	e.finalizeAt = noTick
	e.interval = int64(n.cfg.NotifyInterval)
	e.resendAt = n.now + e.interval
	n.broadcastNotification()
	n.checkElection()
}

func (n *Node) leaveRole() {
	if n.ld != nil {
		n.abortLeaderReads()
		for _, id := range n.sortedLearners() {
			n.endSession(id)
		}
		n.ld = nil
	}
	if n.ln != nil {
		n.abortLearnerReads()
		n.ln = nil
	}
}

func (n *Node) notification(to uint64) Message {
	return Message{Type: MsgNotification, To: to, Leader: n.el.vote.leader, Zxid: n.el.vote.zxid,
		ElectionEpoch: n.el.clock, PeerEpoch: n.el.vote.peerEpoch, State: n.state}
}

func (n *Node) broadcastNotification() {
	for _, v := range n.voters {
		if v != n.id {
			n.send(n.notification(v))
		}
	}
}

func (n *Node) tickElection() {
	e := &n.el
	if n.now >= e.resendAt {
		n.broadcastNotification()
		e.interval = min(e.interval*2, int64(n.cfg.MaxNotifyInterval))
		e.resendAt = n.now + e.interval
	} else {
		n.resendLost()
	}
	if e.finalizeAt != noTick && n.now >= e.finalizeAt {
		e.finalizeAt = noTick
		if n.agreeCount(e.vote) >= n.quorum {
			n.decide(e.vote.leader)
		}
	}
}

func (n *Node) agreeCount(v vote) int {
	c := 0
	for _, w := range n.el.recv {
		if w == v {
			c++
		}
	}
	return c
}

// checkElection starts the finalize wait once a quorum agrees with our vote.
func (n *Node) checkElection() {
	e := &n.el
	if n.isObserver || n.agreeCount(e.vote) < n.quorum {
		e.finalizeAt = noTick
		return
	}
	if n.cfg.FinalizeWait == 0 {
		n.decide(e.vote.leader)
		return
	}
	if e.finalizeAt == noTick {
		e.finalizeAt = n.now + int64(n.cfg.FinalizeWait)
	}
}

func (n *Node) decide(leader uint64) {
	switch {
	case leader == n.id:
		n.becomeLeader()
	case n.isObserver:
		n.becomeLearner(leader, StateObserving)
	default:
		n.becomeLearner(leader, StateFollowing)
	}
}

func (n *Node) stepNotification(m Message) error {
	if !m.State.valid() {
		return fmt.Errorf("%w: notification with state %d", ErrUnexpectedMessage, m.State)
	}
	fromVoter := n.isVoter(m.From)
	delete(n.el.lost, m.From) // the link works again
	if m.State != StateLooking && m.State != StateObserving && !n.isVoter(m.Leader) {
		return fmt.Errorf("%w: notification names non-voter %d as leader", ErrUnexpectedMessage, m.Leader)
	}
	if n.state != StateLooking {
		// Out of the election: tell a LOOKING peer whom we follow.
		if m.State == StateLooking && !n.isObserver {
			n.send(n.notification(m.From))
		}
		return nil
	}
	if !fromVoter {
		// An observer looking for the leader: answer, never count it.
		if !n.isObserver {
			n.send(n.notification(m.From))
		}
		return nil
	}
	e := &n.el
	theirs := vote{leader: m.Leader, zxid: m.Zxid, peerEpoch: m.PeerEpoch}
	switch m.State {
	case StateLooking:
		if n.isObserver {
			return nil
		}
		if m.Leader == 0 || !n.isVoter(m.Leader) {
			return fmt.Errorf("%w: LOOKING vote for non-voter %d", ErrUnexpectedMessage, m.Leader)
		}
		switch {
		case m.ElectionEpoch > e.clock:
			e.clock = m.ElectionEpoch
			clear(e.recv)
			if init := n.initialVote(); theirs.betterThan(init) {
				e.vote = theirs
			} else {
				e.vote = init
			}
			e.recv[n.id] = e.vote
			e.finalizeAt = noTick
			n.broadcastNotification()
		case m.ElectionEpoch < e.clock:
			n.send(n.notification(m.From))
			return nil
		case theirs.betterThan(e.vote):
			// A better vote: adopt it and restart any finalize wait.
			e.vote = theirs
			e.recv[n.id] = e.vote
			e.finalizeAt = noTick
			n.broadcastNotification()
		}
		e.recv[m.From] = theirs
		n.checkElection()
	case StateFollowing, StateLeading:
		e.outOf[m.From] = outVote{leader: m.Leader, state: m.State, clock: m.ElectionEpoch}
		if m.ElectionEpoch == e.clock && !n.isObserver {
			// Peers of this round that already decided count with the
			// LOOKING votes (ZooKeeper's receivedFollowingNotification):
			// a quorum for their vote ends the election at once, if it
			// names this peer or a leader that says it is LEADING.
			e.recv[m.From] = theirs
			if n.agreeCount(theirs) >= n.quorum && n.leaderConfirmed(m.Leader, e.clock) {
				e.vote = theirs
				n.decide(m.Leader)
				return nil
			}
		}
		n.checkOutOfElection(theirs, m.ElectionEpoch)
	}
	return nil
}

// leaderConfirmed is ZooKeeper's checkLeader: this peer may be the leader
// of round clock only if that is its own round; another peer only if it
// said it is LEADING.
func (n *Node) leaderConfirmed(leader uint64, clock uint64) bool {
	if leader == n.id {
		return clock == n.el.clock
	}
	lv, ok := n.el.outOf[leader]
	return ok && lv.state == StateLeading && lv.leader == leader
}

// checkOutOfElection joins an established leader: a quorum of voters
// follows (or is) the leader of v, and the leader confirmed it (it says
// it is LEADING, or it is this peer and the round is ours).
func (n *Node) checkOutOfElection(v vote, clock uint64) {
	e := &n.el
	leader := v.leader
	if !n.leaderConfirmed(leader, clock) {
		return
	}
	c := 0
	for _, w := range e.outOf {
		if w.leader == leader {
			c++
		}
	}
	if c < n.quorum {
		return
	}
	if clock > e.clock {
		e.clock = clock
	}
	e.vote = v
	n.decide(leader)
}
