package zab

import (
	"fmt"
	"slices"
)

const noTick = int64(-1)

// Node is one ZAB peer as a pure state machine. It is not safe for
// concurrent use: one goroutine (the driver) calls every method.
type Node struct {
	cfg        Config
	id         uint64
	voters     []uint64
	observers  []uint64
	isObserver bool
	quorum     int
	maxCounter uint32

	now   int64
	state State

	hs        HardState // logical
	durableHS HardState // as of the last Advance
	hsDirty   bool

	log         zlog
	durableLast Zxid // log end known durable
	truncSince  Zxid // lowest truncation point since the outstanding Ready was taken

	commit  Zxid
	applied Zxid

	el election
	ld *leader
	ln *learner

	msgs        []Message
	readStates  []ReadState
	snapReqs    []uint64
	requests    []Request
	replies     [][]byte
	outstanding bool
}

// New returns a Node in state LOOKING, restored from cfg.Storage.
func New(cfg Config) (*Node, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, id: cfg.ID, voters: slices.Sorted(slices.Values(cfg.Voters)),
		observers: slices.Sorted(slices.Values(cfg.Observers)), maxCounter: cfg.MaxCounter}
	if n.maxCounter == 0 {
		n.maxCounter = 0xfffffffe
	}
	n.isObserver = !slices.Contains(n.voters, n.id)
	n.quorum = len(n.voters)/2 + 1
	n.hs = cfg.Storage.HardState
	n.durableHS = n.hs
	n.log.base = cfg.Storage.SnapshotZxid
	n.log.entries = slices.Clone(cfg.Storage.Entries)
	n.log.handed = len(n.log.entries)
	n.durableLast = n.log.last()
	n.truncSince = ^Zxid(0)
	n.commit = n.log.base
	n.applied = n.log.base
	n.becomeLooking()
	return n, nil
}

// ID returns the node's id.
func (n *Node) ID() uint64 { return n.id }

// Status returns a summary of the node's state.
func (n *Node) Status() Status {
	s := Status{ID: n.id, State: n.state, AcceptedEpoch: n.hs.AcceptedEpoch, CurrentEpoch: n.hs.CurrentEpoch,
		LastZxid: n.log.last(), Commit: n.commit, Applied: n.applied, ElectionEpoch: n.el.clock}
	switch {
	case n.ld != nil:
		s.Leader, s.Epoch, s.Established = n.id, n.ld.epoch, n.ld.established
		s.Learners = len(n.ld.learners)
		for _, h := range n.ld.learners {
			switch {
			case h.state != hsSynced:
			case h.observer:
				s.SyncedObservers++
			default:
				s.SyncedFollowers++
			}
		}
	case n.ln != nil:
		s.Leader, s.Epoch, s.Established = n.ln.leader, n.ln.epoch, n.ln.phase == lpBroadcast
	}
	return s
}

func (n *Node) isVoter(id uint64) bool      { _, ok := slices.BinarySearch(n.voters, id); return ok }
func (n *Node) isObserverID(id uint64) bool { _, ok := slices.BinarySearch(n.observers, id); return ok }

func (n *Node) send(m Message) {
	m.From = n.id
	n.msgs = append(n.msgs, m)
}

func (n *Node) setAcceptedEpoch(e uint32) {
	n.hs.AcceptedEpoch = e
	n.hsDirty = true
}

func (n *Node) setCurrentEpoch(e uint32) {
	n.hs.CurrentEpoch = e
	n.hsDirty = true
}

// truncateLog truncates the history after z and lowers what is known durable.
func (n *Node) truncateLog(z Zxid) {
	n.log.truncate(z)
	n.durableLast = min(n.durableLast, z)
	n.truncSince = min(n.truncSince, z)
}

// installSnapshot replaces history and state machine by s.
func (n *Node) installSnapshot(s Snapshot) {
	n.log.install(s)
	n.durableLast = 0
	n.truncSince = 0
	n.commit = s.Zxid
	n.applied = s.Zxid
}

// Tick advances the node's clock by one tick.
func (n *Node) Tick() {
	n.now++
	switch {
	case n.ld != nil:
		n.tickLeader()
	case n.ln != nil:
		n.tickLearner()
	default:
		n.tickElection()
	}
}

// Step feeds one message from a peer into the node. Messages that are
// malformed, from unknown peers, or out of place return an error wrapping
// ErrUnexpectedMessage; they never corrupt the node's state (a learner that
// receives an inconsistent message from its leader goes back to LOOKING).
func (n *Node) Step(m Message) error {
	if m.To != n.id {
		return fmt.Errorf("%w: %s addressed to %d, this is %d", ErrUnexpectedMessage, m.Type, m.To, n.id)
	}
	if m.From == n.id || (!n.isVoter(m.From) && !n.isObserverID(m.From)) {
		return fmt.Errorf("%w: %s from unknown peer %d", ErrUnexpectedMessage, m.Type, m.From)
	}
	if m.Type == MsgNotification {
		return n.stepNotification(m)
	}
	switch {
	case n.ld != nil:
		return n.stepLeader(m)
	case n.ln != nil && m.From == n.ln.leader:
		return n.stepLearner(m)
	}
	if !n.mayLeadSoon(m) {
		n.refuseSession(m)
	}
	return fmt.Errorf("%w: %s from %d while %s", ErrUnexpectedMessage, m.Type, m.From, n.state)
}

// refuseSession answers m, a learner-to-leader message for which this
// peer has no learner session, with NOSESSION, so that the learner goes
// back to LOOKING at once instead of waiting out InitLimit or SyncLimit
// (issue 19). Any other message, NOSESSION included, is not answered: a
// refusal never causes another one.
func (n *Node) refuseSession(m Message) {
	if m.Type.learnerToLeader() {
		n.send(Message{Type: MsgNoSession, To: m.From, Epoch: m.Epoch, ElectionEpoch: m.ElectionEpoch})
	}
}

// mayLeadSoon reports whether this LOOKING peer may be about to lead the
// follower whose FOLLOWERINFO m is: it votes for itself, in the round in
// which the follower decided, and the follower's vote in that round is
// for it too (the follower saw the quorum first; this peer decides
// within FinalizeWait). The FOLLOWERINFO is then refused without an
// answer and the follower asks again next tick. A follower that decided
// on anything else (a stale LEADING notification, an earlier round) gets
// NOSESSION and takes part in the election again.
func (n *Node) mayLeadSoon(m Message) bool {
	e := &n.el
	return n.state == StateLooking && m.Type == MsgFollowerInfo && e.vote.leader == n.id &&
		m.ElectionEpoch == e.clock && e.recv[m.From] == e.vote
}

// Propose appends a transaction to the leader's history and returns its
// zxid. Only an established leader accepts proposals (ErrNotLeader); when
// the epoch's counter is used up the leader steps down and returns
// ErrCounterExhausted. The transaction is committed once a quorum has
// logged it, and then shows up in Ready.CommittedEntries.
func (n *Node) Propose(data []byte) (Zxid, error) {
	if n.ld == nil || !n.ld.established {
		return 0, ErrNotLeader
	}
	return n.propose(data)
}

// Forward sends a client request to the established leader, whose Ready
// lists it in Requests (on the leader itself it goes there directly).
func (n *Node) Forward(data []byte) error {
	switch {
	case n.ld != nil && n.ld.established:
		n.requests = append(n.requests, Request{From: n.id, Data: data})
		return nil
	case n.ln != nil && n.ln.phase == lpBroadcast:
		n.send(Message{Type: MsgRequest, To: n.ln.leader, Epoch: n.ln.epoch, Data: data})
		return nil
	}
	return ErrNoLeader
}

// Reply sends data, the leader's answer to a request a learner forwarded
// (Ready.Requests' From), to that learner, whose Ready lists it in
// Replies; to the leader itself it goes there directly. It follows
// everything the leader sent the learner before, in order (a COMMIT, for
// one). It fails with ErrNotLeader unless the node is the established
// leader, and with ErrNoLeader if the learner is not synced with it.
func (n *Node) Reply(to uint64, data []byte) error {
	if n.ld == nil || !n.ld.established {
		return ErrNotLeader
	}
	if to == n.id {
		n.replies = append(n.replies, data)
		return nil
	}
	if h := n.ld.learners[to]; h == nil || h.state != hsSynced {
		return ErrNoLeader
	}
	n.send(Message{Type: MsgReply, To: to, Epoch: n.ld.epoch, Data: data})
	return nil
}

// ReadBarrier starts a read barrier identified by id (chosen by the caller,
// unique among this node's pending barriers). The leader confirms with one
// round of heartbeats that a quorum still follows it; the barrier then
// completes in Ready.ReadStates with the commit point the node must have
// applied, once it has. It fails with ErrNoLeader if the node is not in an
// established session; a barrier interrupted by a leader change is
// reported with ErrBarrierAborted.
func (n *Node) ReadBarrier(id uint64) error {
	switch {
	case n.ld != nil && n.ld.established:
		n.leaderReadBarrier(n.id, id)
		return nil
	case n.ln != nil && n.ln.phase == lpBroadcast:
		n.ln.reads[id] = readWait
		n.send(Message{Type: MsgReadRequest, To: n.ln.leader, Epoch: n.ln.epoch, ID: id})
		return nil
	}
	return ErrNoLeader
}

// ReportUnreachable tells the node that the connection to peer broke. A
// learner whose leader is unreachable goes back to LOOKING; a leader ends
// the learner's session (and sends it NOSESSION, for a learner whose end
// of the link stayed open). While LOOKING, the node re-sends its vote to the
// peer every tick until it hears from it again, so that it rejoins as
// soon as the link is back.
func (n *Node) ReportUnreachable(peer uint64) {
	n.linkLost(peer)
	switch {
	case n.ld != nil:
		n.endSession(peer)
	case n.ln != nil && n.ln.leader == peer:
		n.becomeLooking()
	}
}

// ProvideSnapshot answers a Ready.SnapshotRequests entry: s is the state
// machine after applying every CommittedEntries handed out so far.
func (n *Node) ProvideSnapshot(to uint64, s Snapshot) error {
	if n.ld == nil {
		return fmt.Errorf("%w: not leading", ErrBadSnapshot)
	}
	return n.leaderSnapshot(to, s)
}

// Compact tells the node that the driver has a durable snapshot at z and
// dropped the log up to z; z must be applied already.
func (n *Node) Compact(z Zxid) error {
	if z > n.applied || z > n.durableLast || !n.log.has(z) {
		return fmt.Errorf("%w: cannot compact to %s (applied %s)", ErrBadSnapshot, z, n.applied)
	}
	if i, _ := n.log.index(z); i >= n.log.handed {
		return fmt.Errorf("%w: %s not yet persisted", ErrBadSnapshot, z)
	}
	n.log.compact(z)
	return nil
}

// HasReady reports whether Ready would return obligations and none is outstanding.
func (n *Node) HasReady() bool {
	if n.outstanding {
		return false
	}
	return n.log.pendingSnap != nil || n.log.pendingTrunc || n.log.handed < len(n.log.entries) ||
		n.hsDirty || len(n.msgs) > 0 || n.commit > n.applied && n.log.has(n.applied) ||
		len(n.readStates) > 0 || len(n.snapReqs) > 0 || len(n.requests) > 0 || len(n.replies) > 0 || n.completableReads()
}

// Ready returns the node's pending obligations. The caller must fulfil
// them in field order and then call Advance(rd). It returns ErrReadyPending
// if the previous Ready was not advanced.
func (n *Node) Ready() (Ready, error) {
	if n.outstanding {
		return Ready{}, ErrReadyPending
	}
	var rd Ready
	l := &n.log
	if l.pendingSnap != nil {
		rd.Snapshot = l.pendingSnap
		rd.hasLog = true
	}
	if l.pendingTrunc {
		rd.Truncate, rd.TruncateAfter = true, l.truncAfter
		rd.hasLog = true
	}
	if l.handed < len(l.entries) {
		// Copies: a truncation or snapshot install stepped while the
		// Ready is outstanding clears and reuses l.entries.
		rd.Entries = slices.Clone(l.entries[l.handed:])
		rd.hasLog = true
	}
	l.pendingSnap, l.pendingTrunc, l.handed = nil, false, len(l.entries)
	rd.lastZxid = l.last()
	n.truncSince = ^Zxid(0)
	if n.hsDirty {
		hs := n.hs
		rd.HardState = &hs
		n.hsDirty = false
	}
	rd.Messages, n.msgs = n.msgs, nil
	if n.commit > n.applied {
		if i, ok := l.index(n.applied); ok {
			j, _ := l.index(n.commit)
			rd.CommittedEntries = slices.Clone(l.entries[i+1 : j+1])
			n.applied = n.commit
		}
	}
	n.collectReads()
	rd.ReadStates, n.readStates = n.readStates, nil
	rd.SnapshotRequests, n.snapReqs = n.snapReqs, nil
	rd.Requests, n.requests = n.requests, nil
	rd.Replies, n.replies = n.replies, nil
	rd.Status = n.Status()
	n.outstanding = true
	return rd, nil
}

// Advance acknowledges that every obligation of rd (the last Ready) is done.
func (n *Node) Advance(rd Ready) {
	if !n.outstanding {
		return
	}
	n.outstanding = false
	if rd.HardState != nil {
		n.durableHS = *rd.HardState
	}
	if rd.hasLog {
		n.durableLast = min(rd.lastZxid, n.truncSince)
	}
	if n.ld != nil {
		n.leaderAdvanced()
	}
}
