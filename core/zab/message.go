package zab

import "fmt"

// MsgType is the kind of a Message. The names follow ZooKeeper's quorum
// packets (Leader.java) where one exists.
type MsgType uint8

// Message types. Which fields each type uses is documented on the constant;
// Unmarshal rejects nothing based on unused fields, Step ignores them.
const (
	// MsgNotification is a fast-leader-election notification: Leader, Zxid
	// (the proposed leader's last zxid), ElectionEpoch, PeerEpoch, State.
	MsgNotification MsgType = iota + 1
	// MsgFollowerInfo opens a follower's session: Epoch = acceptedEpoch,
	// Zxid = last zxid, ElectionEpoch = the election round in which the
	// follower decided (it names the session: a MsgNoSession echoes it).
	MsgFollowerInfo
	// MsgObserverInfo opens an observer's session, fields as MsgFollowerInfo.
	MsgObserverInfo
	// MsgLeaderInfo proposes the new epoch: Epoch.
	MsgLeaderInfo
	// MsgAckEpoch answers LEADERINFO: Epoch (the leader's), PeerEpoch =
	// currentEpoch, Zxid = last zxid, Reject = true when the epoch was
	// already accepted before (the ack then does not count toward the quorum).
	MsgAckEpoch
	// MsgDiff starts a sync by sending the missing proposals after Zxid.
	MsgDiff
	// MsgTrunc starts a sync by truncating the learner's log after Zxid.
	MsgTrunc
	// MsgSnap starts a sync with a whole snapshot: Zxid, Data.
	MsgSnap
	// MsgProposal carries one transaction: Epoch, Zxid, Prev, Data.
	MsgProposal
	// MsgCommit says every transaction up to Zxid is committed.
	MsgCommit
	// MsgInform carries a committed transaction to an observer: Zxid, Prev, Data.
	MsgInform
	// MsgNewLeader ends the sync: the learner holds the leader's history up to
	// Zxid; Commit is the leader's commit point.
	MsgNewLeader
	// MsgAckNewLeader acknowledges NEWLEADER once the synced history and the
	// new currentEpoch are durable: Zxid = learner's last zxid.
	MsgAckNewLeader
	// MsgAck acknowledges that the follower durably holds the leader's
	// history up to Zxid (acks are cumulative).
	MsgAck
	// MsgUpToDate ends the sync phase: Commit.
	MsgUpToDate
	// MsgPing is the leader's heartbeat: ID is the read-barrier round.
	MsgPing
	// MsgPingResp is the learner's answer to MsgPing, echoing ID.
	MsgPingResp
	// MsgRequest forwards a client request (Data) to the leader.
	MsgRequest
	// MsgReadRequest asks the leader for a read barrier: ID.
	MsgReadRequest
	// MsgReadResponse completes a learner's read barrier: ID, Zxid = the
	// commit point the learner must apply up to.
	MsgReadResponse
	// MsgReply carries the leader's answer (Data) to a forwarded request,
	// opaque to zab (Node.Reply). Like READRESPONSE it is leader-to-learner.
	MsgReply
	// MsgNoSession answers a learner-to-leader message (FOLLOWERINFO,
	// ACKEPOCH, ACKNEWLEADER, ACK, PINGRESP, REQUEST, READREQUEST) for
	// which the receiver has no learner session: it is not leading, leads
	// another epoch, or dropped the learner. It echoes the refused
	// message's Epoch and ElectionEpoch, so that the learner recognizes
	// the session it ends; the learner then goes back to LOOKING at once
	// (ZooKeeper's leader closes the learner's socket). It is never
	// answered.
	MsgNoSession

	msgTypeEnd
)

var msgNames = [...]string{
	MsgNotification: "NOTIFICATION", MsgFollowerInfo: "FOLLOWERINFO", MsgObserverInfo: "OBSERVERINFO",
	MsgLeaderInfo: "LEADERINFO", MsgAckEpoch: "ACKEPOCH", MsgDiff: "DIFF", MsgTrunc: "TRUNC",
	MsgSnap: "SNAP", MsgProposal: "PROPOSAL", MsgCommit: "COMMIT", MsgInform: "INFORM",
	MsgNewLeader: "NEWLEADER", MsgAckNewLeader: "ACKNEWLEADER", MsgAck: "ACK", MsgUpToDate: "UPTODATE",
	MsgPing: "PING", MsgPingResp: "PINGRESP", MsgRequest: "REQUEST", MsgReadRequest: "READREQUEST",
	MsgReadResponse: "READRESPONSE", MsgReply: "REPLY", MsgNoSession: "NOSESSION",
}

// String returns the packet name, as in ZooKeeper where one exists.
func (t MsgType) String() string {
	if t.valid() {
		return msgNames[t]
	}
	return fmt.Sprintf("MsgType(%d)", uint8(t))
}

// LeaderToLearner reports whether t is sent by a leader to a learner
// (LEADERINFO, DIFF, TRUNC, SNAP, PROPOSAL, COMMIT, INFORM, NEWLEADER,
// UPTODATE, PING, READRESPONSE). Such messages acknowledge nothing; those
// of an established leader may leave before the Ready that carries them
// is persisted (Ready.SplitMessages says which).
func (t MsgType) LeaderToLearner() bool {
	switch t {
	case MsgLeaderInfo, MsgDiff, MsgTrunc, MsgSnap, MsgProposal, MsgCommit, MsgInform,
		MsgNewLeader, MsgUpToDate, MsgPing, MsgReadResponse, MsgReply:
		return true
	}
	return false
}

// learnerToLeader reports whether t is sent by a learner to its leader in
// a session (the messages a MsgNoSession answers).
func (t MsgType) learnerToLeader() bool {
	switch t {
	case MsgFollowerInfo, MsgObserverInfo, MsgAckEpoch, MsgAckNewLeader, MsgAck, MsgPingResp,
		MsgRequest, MsgReadRequest:
		return true
	}
	return false
}

func (t MsgType) valid() bool { return t >= MsgNotification && t < msgTypeEnd }

// Message is one packet between two peers. The driver delivers messages from
// one peer to another in FIFO order over a connection; when a connection
// breaks, messages in flight may be lost, and the driver should tell both
// ends with ReportUnreachable.
type Message struct {
	Type MsgType
	From uint64
	To   uint64
	// Epoch is the leader's epoch of the session the message belongs to
	// (for FOLLOWERINFO/OBSERVERINFO: the sender's acceptedEpoch).
	Epoch uint32
	Zxid  Zxid
	// Prev is the zxid preceding Zxid in the leader's history (PROPOSAL,
	// INFORM), so that a learner detects any gap, across epochs too.
	Prev   Zxid
	Commit Zxid
	ID     uint64
	Reject bool
	Data   []byte

	// Election fields (MsgNotification).
	Leader        uint64
	ElectionEpoch uint64
	PeerEpoch     uint32
	State         State
}

// String formats m for logs and simulator traces.
func (m Message) String() string {
	switch m.Type {
	case MsgNotification:
		return fmt.Sprintf("%d->%d %s leader=%d zxid=%s eepoch=%d pepoch=%d %s",
			m.From, m.To, m.Type, m.Leader, m.Zxid, m.ElectionEpoch, m.PeerEpoch, m.State)
	case MsgAckEpoch:
		return fmt.Sprintf("%d->%d %s e=%d cur=%d zxid=%s reject=%v", m.From, m.To, m.Type, m.Epoch, m.PeerEpoch, m.Zxid, m.Reject)
	case MsgNoSession:
		return fmt.Sprintf("%d->%d %s e=%d round=%d", m.From, m.To, m.Type, m.Epoch, m.ElectionEpoch)
	}
	s := fmt.Sprintf("%d->%d %s e=%d zxid=%s", m.From, m.To, m.Type, m.Epoch, m.Zxid)
	if m.Commit != 0 {
		s += fmt.Sprintf(" commit=%s", m.Commit)
	}
	if m.ID != 0 {
		s += fmt.Sprintf(" id=%d", m.ID)
	}
	if len(m.Data) > 0 {
		s += fmt.Sprintf(" data=%dB", len(m.Data))
	}
	return s
}
