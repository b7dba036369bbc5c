package zab

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
)

// Learner phases (Learner.java, Follower.java, Observer.java).
type learnerPhase uint8

const (
	lpDiscovery    learnerPhase = iota // FOLLOWERINFO sent, waiting for LEADERINFO
	lpSync                             // ACKEPOCH sent, waiting for DIFF/TRUNC/SNAP
	lpSyncing                          // receiving the history, waiting for NEWLEADER
	lpWaitUpToDate                     // NEWLEADER acked
	lpBroadcast                        // UPTODATE received
)

// readWait marks a learner read barrier still waiting for the leader.
const readWait = ^Zxid(0)

type learner struct {
	leader    uint64
	epoch     uint32
	phase     learnerPhase
	lastHeard int64           // last message from the leader (broadcast phase)
	started   int64           // session start: the sync must finish within InitLimit
	reads     map[uint64]Zxid // barrier id -> zxid to apply (readWait while asking)
}

func (n *Node) becomeLearner(leaderID uint64, st State) {
	n.leaveRole()
	n.state = st
	n.ln = &learner{leader: leaderID, lastHeard: n.now, started: n.now, reads: map[uint64]Zxid{}}
	n.sendLearnerInfo()
}

// sendLearnerInfo sends FOLLOWERINFO (OBSERVERINFO) to the leader.
func (n *Node) sendLearnerInfo() {
	t := MsgFollowerInfo
	if n.state == StateObserving {
		t = MsgObserverInfo
	}
	n.send(Message{Type: t, To: n.ln.leader, Epoch: n.hs.AcceptedEpoch, Zxid: n.log.last(), ElectionEpoch: n.el.clock})
}

func (n *Node) tickLearner() {
	if n.ln.phase != lpBroadcast {
		if n.now-n.ln.started > int64(n.cfg.InitLimit) {
			n.becomeLooking()
			return
		}
		if n.ln.phase == lpDiscovery {
			// The leader may have refused it while it was still finishing
			// its election: ask again every tick until LEADERINFO comes
			// (ZooKeeper's Learner.connectToLeader retries quickly too).
			// A leader answers a repeat as a new session; a repeated
			// LEADERINFO is ignored below.
			n.sendLearnerInfo()
		}
		return
	}
	if n.now-n.ln.lastHeard > int64(n.cfg.SyncLimit) {
		n.becomeLooking()
	}
}

// fail sends the learner back to LOOKING after an inconsistent message
// from its leader, and returns the error describing it.
func (n *Node) fail(m Message, why string) error {
	n.becomeLooking()
	return fmt.Errorf("%w: %s from leader %d: %s", ErrUnexpectedMessage, m.Type, m.From, why)
}

func (n *Node) stepLearner(m Message) error {
	ln := n.ln
	if m.Type == MsgNoSession {
		return n.onNoSession(m)
	}
	if ln.phase == lpDiscovery {
		if m.Type != MsgLeaderInfo {
			return n.unexpected(m, "waiting for LEADERINFO")
		}
		return n.onLeaderInfo(m)
	}
	if m.Epoch != ln.epoch {
		return n.unexpected(m, fmt.Sprintf("epoch %d, session epoch %d", m.Epoch, ln.epoch))
	}
	if m.Type == MsgLeaderInfo && ln.phase == lpSync {
		// The answer to a repeated FOLLOWERINFO: it arrives before any
		// sync message (FIFO), and the ACKEPOCH already sent answers it.
		return nil
	}
	ln.lastHeard = n.now
	switch m.Type {
	case MsgPing:
		n.send(Message{Type: MsgPingResp, To: ln.leader, Epoch: ln.epoch, ID: m.ID})
		return nil
	case MsgDiff, MsgTrunc, MsgSnap:
		if ln.phase != lpSync {
			return n.fail(m, "sync already started")
		}
		return n.onSyncStart(m)
	}
	if ln.phase == lpSync {
		return n.fail(m, "sync not started")
	}
	switch m.Type {
	case MsgProposal:
		if n.isObserver && ln.phase != lpSyncing {
			return n.fail(m, "observers get INFORM after the sync")
		}
		if m.Zxid <= n.log.last() {
			// A duplicate of a proposal already logged is harmless; so is
			// one at or below the snapshot (committed state, compacted).
			if m.Zxid <= n.log.base {
				return nil
			}
			if e, ok := n.log.entry(m.Zxid); !ok || !bytes.Equal(e.Data, m.Data) {
				return n.fail(m, fmt.Sprintf("zxid %s conflicts with the log (last %s)", m.Zxid, n.log.last()))
			}
			return nil
		}
		if m.Prev != n.log.last() || !follows(m.Prev, m.Zxid) {
			return n.fail(m, fmt.Sprintf("zxid %s (after %s) does not follow %s", m.Zxid, m.Prev, n.log.last()))
		}
		n.log.append(Entry{Zxid: m.Zxid, Data: m.Data})
		if ln.phase >= lpWaitUpToDate && !n.isObserver {
			n.send(Message{Type: MsgAck, To: ln.leader, Epoch: ln.epoch, Zxid: m.Zxid})
		}
	case MsgInform:
		if !n.isObserver {
			return n.fail(m, "followers get PROPOSAL")
		}
		if m.Zxid <= n.log.last() {
			if e, ok := n.log.entry(m.Zxid); m.Zxid > n.log.base && (!ok || !bytes.Equal(e.Data, m.Data)) {
				return n.fail(m, fmt.Sprintf("zxid %s conflicts with the log", m.Zxid))
			}
		} else {
			if m.Prev != n.log.last() || !follows(m.Prev, m.Zxid) {
				return n.fail(m, fmt.Sprintf("zxid %s (after %s) does not follow %s", m.Zxid, m.Prev, n.log.last()))
			}
			n.log.append(Entry{Zxid: m.Zxid, Data: m.Data})
		}
		n.commitTo(m.Zxid)
	case MsgCommit:
		if m.Zxid > n.log.last() || !n.log.has(m.Zxid) && m.Zxid > n.commit {
			return n.fail(m, fmt.Sprintf("commit %s not in the log (last %s)", m.Zxid, n.log.last()))
		}
		n.commitTo(m.Zxid)
	case MsgNewLeader:
		if ln.phase != lpSyncing {
			return n.fail(m, "NEWLEADER twice")
		}
		if m.Zxid > n.log.last() || !n.log.has(m.Zxid) || m.Commit > m.Zxid {
			return n.fail(m, fmt.Sprintf("NEWLEADER at %s, log ends at %s", m.Zxid, n.log.last()))
		}
		// Order of durability: the history (Ready.Entries) before the
		// epoch (Ready.HardState) before the ack (Ready.Messages).
		n.setCurrentEpoch(ln.epoch)
		n.commitTo(m.Commit)
		ln.phase = lpWaitUpToDate
		n.send(Message{Type: MsgAckNewLeader, To: ln.leader, Epoch: ln.epoch, Zxid: n.log.last()})
	case MsgUpToDate:
		if ln.phase != lpWaitUpToDate {
			return n.fail(m, "UPTODATE before NEWLEADER")
		}
		if m.Commit > n.log.last() || !n.log.has(m.Commit) && m.Commit > n.commit {
			return n.fail(m, fmt.Sprintf("commit %s not in the log", m.Commit))
		}
		n.commitTo(m.Commit)
		ln.phase = lpBroadcast
	case MsgReadResponse:
		if z, ok := ln.reads[m.ID]; !ok || z != readWait {
			return n.unexpected(m, fmt.Sprintf("no read barrier %d", m.ID))
		}
		ln.reads[m.ID] = m.Zxid
	case MsgReply:
		if ln.phase != lpBroadcast {
			return n.unexpected(m, "REPLY before UPTODATE")
		}
		n.replies = append(n.replies, m.Data)
	default:
		return n.unexpected(m, "not a leader-to-learner message")
	}
	return nil
}

// onNoSession handles NOSESSION from the leader: it has no session for
// this learner (any more). Only one that names this session counts: by
// its election round, which a leader ending a session and a refused
// FOLLOWERINFO carry (the round is the session's: the clock only grows,
// and every learner session starts in a new round); or, for a refused
// message of the session (ElectionEpoch 0), by the epoch, once LEADERINFO
// came. A refusal of an earlier session's message arrives before the
// LEADERINFO answering this session's FOLLOWERINFO (FIFO), and is
// ignored. The learner goes back to LOOKING at once, as ZooKeeper's does
// when the leader closes its socket.
func (n *Node) onNoSession(m Message) error {
	ln := n.ln
	ours := m.ElectionEpoch == n.el.clock
	if m.ElectionEpoch == 0 {
		ours = ln.phase != lpDiscovery && m.Epoch == ln.epoch
	}
	if !ours {
		return n.unexpected(m, "refuses an earlier session")
	}
	n.becomeLooking()
	return nil
}

// commitTo records that everything up to z is committed. The commit point
// is always a zxid of the log (or its base), so z is rounded down to one.
func (n *Node) commitTo(z Zxid) {
	if f, ok := n.log.floor(min(z, n.log.last())); ok && f > n.commit {
		n.commit = f
	}
}

func (n *Node) onLeaderInfo(m Message) error {
	ln := n.ln
	e := m.Epoch
	reject := true
	if !n.isObserver {
		switch {
		case e > n.hs.AcceptedEpoch:
			n.setAcceptedEpoch(e)
			reject = false
		case e < n.hs.AcceptedEpoch:
			return n.fail(m, fmt.Sprintf("epoch %d below accepted epoch %d", e, n.hs.AcceptedEpoch))
		}
	} else {
		// Observers never count toward the epoch quorum; they only keep
		// acceptedEpoch >= currentEpoch.
		if e < n.hs.CurrentEpoch {
			return n.fail(m, fmt.Sprintf("epoch %d below current epoch %d", e, n.hs.CurrentEpoch))
		}
		if e > n.hs.AcceptedEpoch {
			n.setAcceptedEpoch(e)
		}
	}
	ln.epoch = e
	ln.phase = lpSync
	ln.lastHeard = n.now
	n.send(Message{Type: MsgAckEpoch, To: ln.leader, Epoch: e, PeerEpoch: n.hs.CurrentEpoch,
		Zxid: n.log.last(), Reject: reject})
	return nil
}

func (n *Node) onSyncStart(m Message) error {
	switch m.Type {
	case MsgDiff:
		if m.Zxid != n.log.last() {
			return n.fail(m, fmt.Sprintf("DIFF from %s, log ends at %s", m.Zxid, n.log.last()))
		}
	case MsgTrunc:
		if !n.log.has(m.Zxid) || m.Zxid < n.applied || m.Zxid > n.log.last() {
			return n.fail(m, fmt.Sprintf("cannot truncate to %s (applied %s)", m.Zxid, n.applied))
		}
		n.truncateLog(m.Zxid)
		n.commit = min(n.commit, m.Zxid)
	case MsgSnap:
		n.installSnapshot(Snapshot{Zxid: m.Zxid, Data: m.Data})
	}
	n.ln.phase = lpSyncing
	return nil
}

// completableReads reports whether a learner barrier can complete now.
func (n *Node) completableReads() bool {
	if n.ln == nil {
		return false
	}
	for _, z := range n.ln.reads {
		if z != readWait && z <= n.commit {
			return true
		}
	}
	return false
}

// collectReads moves the learner barriers whose zxid is applied to readStates.
func (n *Node) collectReads() {
	if n.ln == nil {
		return
	}
	for _, id := range slices.Sorted(maps.Keys(n.ln.reads)) {
		if z := n.ln.reads[id]; z != readWait && z <= n.applied {
			n.readStates = append(n.readStates, ReadState{ID: id, Zxid: z})
			delete(n.ln.reads, id)
		}
	}
}

func (n *Node) abortLearnerReads() {
	for _, id := range slices.Sorted(maps.Keys(n.ln.reads)) {
		n.readStates = append(n.readStates, ReadState{ID: id, Err: ErrBarrierAborted})
	}
}
