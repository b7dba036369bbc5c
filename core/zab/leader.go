package zab

import (
	"fmt"
	"slices"
)

// Leader phases.
type leaderPhase uint8

const (
	ldDiscovery leaderPhase = iota // collecting FOLLOWERINFO, then ACKEPOCH
	ldSync                         // epoch acked by a quorum; syncing learners
	ldBroadcast                    // established
)

// Learner-session states, as seen by the leader (LearnerHandler.java).
type handlerState uint8

const (
	hsWaitEpoch    handlerState = iota // FOLLOWERINFO received, epoch not yet decided
	hsWaitAckEpoch                     // LEADERINFO sent
	hsWaitSync                         // ACKEPOCH received, waiting for the epoch quorum
	hsWaitSnap                         // SNAP needed, waiting for ProvideSnapshot
	hsSyncing                          // history and NEWLEADER sent, forwarding
	hsSynced                           // NEWLEADER acked
)

// handler is the leader's view of one learner session.
type handler struct {
	id         uint64
	observer   bool
	state      handlerState
	lastZxid   Zxid
	match      Zxid // durable on the learner (cumulative ACK)
	sentUpTo   Zxid // history sent to it (observers: committed history sent)
	syncTarget Zxid // NEWLEADER zxid
	round      uint64
	lastHeard  int64
	started    int64
	session    uint64 // the learner's election round, from FOLLOWERINFO: names the session
}

type pendingRead struct {
	from  uint64 // peer that asked; the leader's own id for local barriers
	id    uint64
	round uint64
	index Zxid
}

// leader is the state of a LEADING peer (Leader.java).
type leader struct {
	phase       leaderPhase
	epoch       uint32 // decided epoch, 0 until a quorum sent FOLLOWERINFO
	started     int64
	prevEpoch   uint32 // currentEpoch before this leadership
	ihLast      Zxid   // end of the initial history
	established bool
	infoEpochs  map[uint64]uint32 // voters' acceptedEpoch from FOLLOWERINFO
	epochAckers map[uint64]bool   // voters that acked the epoch
	learners    map[uint64]*handler
	round       uint64
	reads       []pendingRead
	counter     uint32
}

func (n *Node) becomeLeader() {
	n.leaveRole()
	n.state = StateLeading
	ld := &leader{started: n.now, prevEpoch: n.hs.CurrentEpoch, ihLast: n.log.last(),
		infoEpochs: map[uint64]uint32{n.id: n.hs.AcceptedEpoch}, epochAckers: map[uint64]bool{},
		learners: map[uint64]*handler{}}
	n.ld = ld
	n.el.vote = vote{leader: n.id, zxid: n.log.last(), peerEpoch: n.hs.CurrentEpoch}
	n.maybeDecideEpoch()
}

// maybeDecideEpoch picks max(acceptedEpoch)+1 once a quorum of voters sent FOLLOWERINFO.
func (n *Node) maybeDecideEpoch() {
	ld := n.ld
	if ld.epoch != 0 || len(ld.infoEpochs) < n.quorum {
		return
	}
	var max uint32
	for _, e := range ld.infoEpochs {
		if e > max {
			max = e
		}
	}
	if max == 0xffffffff {
		n.becomeLooking()
		return
	}
	ld.epoch = max + 1
	n.setAcceptedEpoch(ld.epoch)
	for _, id := range n.sortedLearners() {
		h := ld.learners[id]
		if h.state == hsWaitEpoch {
			n.sendLeaderInfo(h)
		}
	}
}

func (n *Node) sortedLearners() []uint64 {
	ids := make([]uint64, 0, len(n.ld.learners))
	for id := range n.ld.learners {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (n *Node) sendLeaderInfo(h *handler) {
	h.state = hsWaitAckEpoch
	n.send(Message{Type: MsgLeaderInfo, To: h.id, Epoch: n.ld.epoch})
}

// leaderAdvanced re-evaluates quorums after the leader's own state became durable.
func (n *Node) leaderAdvanced() {
	switch n.ld.phase {
	case ldDiscovery:
		n.maybeEpochQuorum()
	case ldSync:
		n.maybeEstablish()
	case ldBroadcast:
		n.maybeCommit()
	}
}

func (n *Node) selfEpochAcked() bool {
	return n.ld.epoch != 0 && n.durableHS.AcceptedEpoch == n.ld.epoch
}

func (n *Node) selfSynced() bool {
	return n.ld.epoch != 0 && n.durableHS.CurrentEpoch == n.ld.epoch && n.durableLast >= n.ld.ihLast
}

func (n *Node) maybeEpochQuorum() {
	ld := n.ld
	if ld.phase != ldDiscovery || !n.selfEpochAcked() || len(ld.epochAckers)+1 < n.quorum {
		return
	}
	ld.phase = ldSync
	n.setCurrentEpoch(ld.epoch)
	for _, id := range n.sortedLearners() {
		if h := ld.learners[id]; h.state == hsWaitSync && !h.observer {
			n.startSync(h)
		}
	}
	n.maybeEstablish()
}

func (n *Node) maybeEstablish() {
	ld := n.ld
	if ld.phase != ldSync || !n.selfSynced() {
		return
	}
	c := 1
	for _, h := range ld.learners {
		if !h.observer && h.state == hsSynced {
			c++
		}
	}
	if c < n.quorum {
		return
	}
	ld.phase = ldBroadcast
	ld.established = true
	ld.counter = 0
	n.maybeCommit()
	for _, id := range n.sortedLearners() {
		switch h := ld.learners[id]; h.state {
		case hsSynced:
			n.sendUpToDate(h)
		case hsWaitSync:
			n.startSync(h) // an observer that waited for the commit point
		}
	}
}

func (n *Node) sendUpToDate(h *handler) {
	c := n.commit
	if h.observer {
		c = min(c, h.sentUpTo)
	}
	n.send(Message{Type: MsgUpToDate, To: h.id, Epoch: n.ld.epoch, Commit: c})
}

// maybeCommit advances the commit point to the highest zxid a quorum of
// voters holds durably. The leader's durable log counts as one voter's
// copy but is not required: synced followers alone can make the quorum
// while the leader's own fsync is still running.
func (n *Node) maybeCommit() {
	ld := n.ld
	if !ld.established {
		return
	}
	matches := make([]Zxid, 0, len(n.voters))
	matches = append(matches, n.durableLast)
	for _, h := range ld.learners {
		if !h.observer && h.state == hsSynced {
			matches = append(matches, h.match)
		}
	}
	if len(matches) < n.quorum {
		return
	}
	slices.Sort(matches)
	old := n.commit
	n.commitTo(matches[len(matches)-n.quorum])
	c := n.commit
	if c == old {
		return
	}
	for _, id := range n.sortedLearners() {
		h := ld.learners[id]
		if h.state != hsSyncing && h.state != hsSynced {
			continue
		}
		if !h.observer {
			n.send(Message{Type: MsgCommit, To: h.id, Epoch: ld.epoch, Zxid: c})
			continue
		}
		prev := h.sentUpTo
		for _, e := range n.log.between(h.sentUpTo, c) {
			n.send(Message{Type: MsgInform, To: h.id, Epoch: ld.epoch, Zxid: e.Zxid, Prev: prev, Data: e.Data})
			prev = e.Zxid
		}
		h.sentUpTo = c
	}
}

func (n *Node) propose(data []byte) (Zxid, error) {
	ld := n.ld
	if ld.counter >= n.maxCounter {
		n.becomeLooking()
		return 0, ErrCounterExhausted
	}
	ld.counter++
	z := MakeZxid(ld.epoch, ld.counter)
	prev := n.log.last()
	n.log.append(Entry{Zxid: z, Data: data})
	for _, id := range n.sortedLearners() {
		h := ld.learners[id]
		if !h.observer && (h.state == hsSyncing || h.state == hsSynced) {
			n.send(Message{Type: MsgProposal, To: h.id, Epoch: ld.epoch, Zxid: z, Prev: prev, Data: data})
			h.sentUpTo = z
		}
	}
	return z, nil
}

func (n *Node) tickLeader() {
	ld := n.ld
	if !ld.established {
		if n.now-ld.started > int64(n.cfg.InitLimit) {
			n.becomeLooking()
			return
		}
	} else {
		heard := 1
		for _, h := range ld.learners {
			if !h.observer && h.state == hsSynced && n.now-h.lastHeard <= int64(n.cfg.SyncLimit) {
				heard++
			}
		}
		if heard < n.quorum {
			n.becomeLooking()
			return
		}
	}
	for _, id := range n.sortedLearners() {
		h := ld.learners[id]
		if n.now-h.lastHeard > int64(n.cfg.SyncLimit) && h.state == hsSynced ||
			n.now-h.started > int64(n.cfg.InitLimit) && h.state != hsSynced {
			n.endSession(id)
			continue
		}
		if h.state != hsWaitEpoch {
			n.send(Message{Type: MsgPing, To: id, Epoch: ld.epoch, ID: ld.round})
		}
	}
}

// endSession drops the session of learner id and tells it with NOSESSION
// naming the session, so that it goes back to LOOKING at once (ZooKeeper's
// leader closes the learner's socket) instead of after its InitLimit or
// SyncLimit.
func (n *Node) endSession(id uint64) {
	if h := n.ld.learners[id]; h != nil {
		n.send(Message{Type: MsgNoSession, To: id, Epoch: n.ld.epoch, ElectionEpoch: h.session})
	}
	n.dropLearner(id)
}

// dropLearner forgets the session of learner id (see endSession).
func (n *Node) dropLearner(id uint64) {
	if n.ld == nil {
		return
	}
	delete(n.ld.learners, id)
	kept := n.ld.reads[:0]
	for _, r := range n.ld.reads {
		if r.from != id {
			kept = append(kept, r)
		}
	}
	n.ld.reads = kept
}

func (n *Node) unexpected(m Message, why string) error {
	return fmt.Errorf("%w: %s from %d: %s", ErrUnexpectedMessage, m.Type, m.From, why)
}

func (n *Node) stepLeader(m Message) error {
	ld := n.ld
	if m.Type == MsgFollowerInfo || m.Type == MsgObserverInfo {
		observer := m.Type == MsgObserverInfo
		if observer != n.isObserverID(m.From) {
			return n.unexpected(m, "role does not match the configuration")
		}
		if !observer && ld.epoch != 0 && m.Epoch > ld.epoch {
			// The voter promised a later epoch to a leader that never got
			// established; it can never join this epoch. Step down so that
			// a new election picks an epoch above every promise (ZooKeeper
			// would leave the voter out until the next election): accept
			// the voter's epoch, which only makes this peer refuse more
			// (no LEADERINFO below it), so that it proposes a later one if
			// it leads again; tell the voter, which takes part in the
			// election. (With learners that restart at once, issue 19, the
			// next leadership used to come before the voter's FOLLOWERINFO
			// and failed the same way, one epoch up each time.)
			n.setAcceptedEpoch(m.Epoch)
			n.becomeLooking()
			n.refuseSession(m)
			return n.unexpected(m, fmt.Sprintf("accepted epoch %d > leader epoch %d", m.Epoch, ld.epoch))
		}
		n.dropLearner(m.From)
		h := &handler{id: m.From, observer: observer, lastZxid: m.Zxid, lastHeard: n.now, started: n.now,
			session: m.ElectionEpoch}
		ld.learners[m.From] = h
		if !observer && ld.epoch == 0 {
			ld.infoEpochs[m.From] = m.Epoch
		}
		if ld.epoch != 0 {
			n.sendLeaderInfo(h)
		} else {
			n.maybeDecideEpoch()
		}
		return nil
	}
	if m.Type == MsgNoSession {
		return n.unexpected(m, "not a learner")
	}
	h := ld.learners[m.From]
	if h == nil {
		n.refuseSession(m)
		return n.unexpected(m, "no session")
	}
	if m.Epoch != ld.epoch || ld.epoch == 0 {
		n.refuseSession(m)
		return n.unexpected(m, fmt.Sprintf("epoch %d, leading %d", m.Epoch, ld.epoch))
	}
	switch m.Type {
	case MsgAckEpoch:
		if h.state != hsWaitAckEpoch {
			return n.unexpected(m, "not waiting for ACKEPOCH")
		}
		if m.Zxid != h.lastZxid {
			// A learner's log does not change between FOLLOWERINFO and
			// ACKEPOCH: this one belongs to an earlier session (a packet
			// of an old connection), and syncing from it could truncate
			// what the learner has acknowledged since.
			return n.unexpected(m, fmt.Sprintf("last zxid %s, FOLLOWERINFO said %s", m.Zxid, h.lastZxid))
		}
		if !ld.established {
			// A learner in this epoch already acked this leader's
			// NEWLEADER (only one leader per epoch leaves discovery) and
			// reconnected: it holds the initial history, nothing more.
			same := m.PeerEpoch == ld.epoch && m.Zxid == ld.ihLast
			if !same && (m.PeerEpoch > ld.prevEpoch || m.PeerEpoch == ld.prevEpoch && m.Zxid > ld.ihLast) {
				// The learner is more recent than this leader: the election
				// was decided on stale votes. Give up leadership.
				n.becomeLooking()
				return n.unexpected(m, "learner is ahead of the leader")
			}
		} else if m.PeerEpoch > ld.epoch || m.PeerEpoch == ld.epoch && m.Zxid > n.log.last() {
			n.endSession(h.id)
			return n.unexpected(m, "learner is ahead of the established leader")
		}
		h.lastHeard = n.now
		h.lastZxid = m.Zxid
		h.state = hsWaitSync
		if !h.observer && !m.Reject {
			ld.epochAckers[h.id] = true
		}
		switch {
		case ld.phase == ldDiscovery:
			n.maybeEpochQuorum()
		case h.observer && !ld.established:
			// An observer gets committed history only: before the leader
			// is established its commit point may still lag what the
			// observer applied (it is back to its snapshot after a
			// restart), so the sync waits for establishment.
		default:
			n.startSync(h)
		}
	case MsgAckNewLeader:
		if h.state != hsSyncing {
			return n.unexpected(m, "not syncing")
		}
		if m.Zxid < h.syncTarget || m.Zxid > h.sentUpTo || !n.log.has(m.Zxid) {
			return n.unexpected(m, fmt.Sprintf("acked %s, synced to %s", m.Zxid, h.syncTarget))
		}
		h.lastHeard = n.now
		h.state = hsSynced
		h.match = m.Zxid
		if ld.established {
			n.sendUpToDate(h)
			n.maybeCommit()
		} else {
			n.maybeEstablish()
		}
	case MsgAck:
		if h.observer || h.state != hsSynced {
			// ZOOKEEPER-4685: an ACK before ACKNEWLEADER does not count.
			return n.unexpected(m, "ACK before NEWLEADER was acked")
		}
		if m.Zxid > h.sentUpTo || !n.log.has(m.Zxid) && m.Zxid > n.log.base {
			return n.unexpected(m, fmt.Sprintf("ack %s not in the history sent (up to %s)", m.Zxid, h.sentUpTo))
		}
		h.lastHeard = n.now
		if m.Zxid > h.match {
			h.match = m.Zxid
			n.maybeCommit()
		}
	case MsgPingResp:
		h.lastHeard = n.now
		if h.state == hsSynced && m.ID > h.round && m.ID <= ld.round {
			h.round = m.ID
			n.checkReads()
		}
	case MsgRequest:
		if !ld.established || h.state != hsSynced {
			return n.unexpected(m, "leader not established")
		}
		h.lastHeard = n.now
		n.requests = append(n.requests, Request{From: h.id, Data: m.Data})
	case MsgReadRequest:
		if !ld.established || h.state != hsSynced {
			return n.unexpected(m, "leader not established")
		}
		h.lastHeard = n.now
		n.leaderReadBarrier(h.id, m.ID)
	default:
		return n.unexpected(m, "not a learner-to-leader message")
	}
	return nil
}

// startSync chooses DIFF, TRUNC or SNAP for h (LearnerHandler.syncFollower).
func (n *Node) startSync(h *handler) {
	target := n.log.last()
	if h.observer {
		target = n.commit
	}
	L := h.lastZxid
	var p Zxid
	if n.log.has(L) {
		p = min(L, target)
	} else {
		var ok bool
		if p, ok = n.log.floor(min(L, target)); !ok {
			n.requestSnapshot(h)
			return
		}
	}
	if p == L {
		n.send(Message{Type: MsgDiff, To: h.id, Epoch: n.ld.epoch, Zxid: p})
	} else {
		n.send(Message{Type: MsgTrunc, To: h.id, Epoch: n.ld.epoch, Zxid: p})
	}
	n.sendHistory(h, p, target)
}

func (n *Node) requestSnapshot(h *handler) {
	h.state = hsWaitSnap
	n.snapReqs = append(n.snapReqs, h.id)
}

// sendHistory sends the proposals in (from, target] and NEWLEADER.
func (n *Node) sendHistory(h *handler, from, target Zxid) {
	prev := from
	for _, e := range n.log.between(from, target) {
		n.send(Message{Type: MsgProposal, To: h.id, Epoch: n.ld.epoch, Zxid: e.Zxid, Prev: prev, Data: e.Data})
		prev = e.Zxid
	}
	h.sentUpTo, h.syncTarget = target, target
	h.state = hsSyncing
	n.send(Message{Type: MsgNewLeader, To: h.id, Epoch: n.ld.epoch, Zxid: target, Commit: min(n.commit, target)})
}

func (n *Node) leaderSnapshot(to uint64, s Snapshot) error {
	h := n.ld.learners[to]
	if h == nil || h.state != hsWaitSnap {
		return fmt.Errorf("%w: no learner %d waiting for a snapshot", ErrBadSnapshot, to)
	}
	if s.Zxid > n.commit || !n.log.has(s.Zxid) {
		return fmt.Errorf("%w: snapshot at %s (commit %s, log from %s)", ErrBadSnapshot, s.Zxid, n.commit, n.log.base)
	}
	target := n.log.last()
	if h.observer {
		target = n.commit
	}
	n.send(Message{Type: MsgSnap, To: h.id, Epoch: n.ld.epoch, Zxid: s.Zxid, Data: s.Data})
	n.sendHistory(h, s.Zxid, target)
	return nil
}

func (n *Node) leaderReadBarrier(from, id uint64) {
	ld := n.ld
	ld.round++
	ld.reads = append(ld.reads, pendingRead{from: from, id: id, round: ld.round, index: n.commit})
	for _, lid := range n.sortedLearners() {
		if h := ld.learners[lid]; !h.observer && h.state == hsSynced {
			n.send(Message{Type: MsgPing, To: lid, Epoch: ld.epoch, ID: ld.round})
		}
	}
	n.checkReads()
}

// checkReads completes the barriers whose round a quorum has answered.
func (n *Node) checkReads() {
	ld := n.ld
	if len(ld.reads) == 0 {
		return
	}
	rounds := []uint64{ld.round}
	for _, h := range ld.learners {
		if !h.observer && h.state == hsSynced {
			rounds = append(rounds, h.round)
		}
	}
	if len(rounds) < n.quorum {
		return
	}
	slices.Sort(rounds)
	done := rounds[len(rounds)-n.quorum]
	kept := ld.reads[:0]
	for _, r := range ld.reads {
		switch {
		case r.round > done:
			kept = append(kept, r)
		case r.from == n.id:
			n.readStates = append(n.readStates, ReadState{ID: r.id, Zxid: r.index})
		default:
			n.send(Message{Type: MsgReadResponse, To: r.from, Epoch: ld.epoch, ID: r.id, Zxid: r.index})
		}
	}
	ld.reads = kept
}

func (n *Node) abortLeaderReads() {
	for _, r := range n.ld.reads {
		if r.from == n.id {
			n.readStates = append(n.readStates, ReadState{ID: r.id, Err: ErrBarrierAborted})
		}
	}
}
