package zab

import "slices"

// HardState is the durable election state of a peer.
type HardState struct {
	// AcceptedEpoch is the last epoch this peer agreed to (LEADERINFO acked).
	AcceptedEpoch uint32
	// CurrentEpoch is the epoch of the last NEWLEADER this peer acked.
	CurrentEpoch uint32
}

// Snapshot is a state-machine snapshot: the state after applying every
// committed transaction up to Zxid. Data is opaque to zab.
type Snapshot struct {
	Zxid Zxid
	Data []byte
}

// ReadState reports a finished read barrier.
type ReadState struct {
	// ID is the id passed to ReadBarrier.
	ID uint64
	// Zxid is the commit point the barrier guarantees: every transaction
	// committed anywhere before ReadBarrier was called is at or below Zxid,
	// and this node has handed out (CommittedEntries) everything up to it.
	Zxid Zxid
	// Err is nil on success, or ErrBarrierAborted.
	Err error
}

// Request is a client request forwarded to this leader with Forward. The
// leader's driver validates it and Proposes the resulting transaction.
type Request struct {
	From uint64
	Data []byte
}

// Ready lists what the driver must do, in the order of the fields: each
// obligation must be complete before the next one starts. Then the driver
// calls Advance with this Ready. Only one Ready is outstanding at a time;
// Tick, Step, Propose and friends may be called while it is.
type Ready struct {
	// Snapshot, if non-nil, must be installed first: the state machine is
	// replaced by Snapshot.Data, the log is discarded, and the snapshot is
	// made durable.
	Snapshot *Snapshot

	// Truncate, if true, means: drop every durable log entry with a zxid
	// above TruncateAfter. Done after Snapshot, before Entries.
	Truncate      bool
	TruncateAfter Zxid

	// Entries must be appended to the durable log, after the truncation.
	Entries []Entry

	// HardState, if non-nil, must be made durable after Entries: a peer
	// persists the synced transactions before the new currentEpoch.
	HardState *HardState

	// Messages are to be sent once everything above is durable (fsynced):
	// an ACKEPOCH depends on acceptedEpoch, an ACK on its proposals, an
	// ACKNEWLEADER on the synced history and currentEpoch, a notification
	// carries the last zxid. The one exception is SplitMessages' early
	// part: an established leader's messages to its learners, which a
	// driver may send before or while it persists. Messages to the same
	// peer must be sent in order, on one FIFO connection.
	//
	// Messages, Entries and CommittedEntries belong to the Ready: later
	// calls on the Node (a TRUNC or SNAP stepped while the Ready is
	// outstanding included) never change them.
	Messages []Message

	// CommittedEntries are to be applied to the state machine, in order,
	// after the steps above. Each committed transaction appears exactly once
	// over the life of the Node (a Snapshot covers those before it).
	CommittedEntries []Entry

	// ReadStates are read barriers that completed (or were aborted); a
	// completed barrier is answered after CommittedEntries are applied.
	ReadStates []ReadState

	// SnapshotRequests (leader only) name learners that need a SNAP: the
	// driver takes a snapshot of its state machine after applying
	// CommittedEntries and passes it to ProvideSnapshot(to, ...).
	SnapshotRequests []uint64

	// Requests (leader only) are forwarded client requests for the driver
	// to turn into transactions and Propose.
	Requests []Request

	// Replies are the leader's answers to requests this node forwarded
	// (Node.Reply), in the order the leader sent them, after everything
	// it sent before them.
	Replies [][]byte

	// Status is the node's status when the Ready was taken.
	Status Status

	lastZxid Zxid // log end once this Ready is persisted
	hasLog   bool
}

// containsUpdates reports whether rd holds any obligation.
func (rd *Ready) containsUpdates() bool {
	return rd.Snapshot != nil || rd.Truncate || len(rd.Entries) > 0 || rd.HardState != nil ||
		len(rd.Messages) > 0 || len(rd.CommittedEntries) > 0 || len(rd.ReadStates) > 0 ||
		len(rd.SnapshotRequests) > 0 || len(rd.Requests) > 0 || len(rd.Replies) > 0
}

// SplitMessages divides Messages into those the driver may send before
// (or while) it persists this Ready, early, and those it must send once
// everything the Ready lists is durable, late; sending early then late
// keeps every peer's messages in order. It is the only place that rule
// lives. Early are the leader-to-learner messages (Type.LeaderToLearner:
// PROPOSAL, COMMIT, PING...) of a leader that was established when the
// Ready was taken and whose Ready persists no epoch, snapshot or
// truncation: they acknowledge nothing (the leader counts its own ack only
// once Advance reports its writes durable), so they may leave while the
// leader logs them, as ZooKeeper's leader sends a proposal while logging
// it. A message to a peer that follows a late message to that peer is late
// too. Everything else is late: a notification, for one, carries the last
// zxid. early and late may share Messages' backing array.
func (rd *Ready) SplitMessages() (early, late []Message) {
	st := rd.Status
	if st.State != StateLeading || !st.Established || rd.HardState != nil || rd.Snapshot != nil || rd.Truncate {
		return nil, rd.Messages
	}
	first := slices.IndexFunc(rd.Messages, func(m Message) bool { return !m.Type.LeaderToLearner() })
	if first < 0 {
		return rd.Messages, nil
	}
	early = slices.Clip(rd.Messages[:first])
	held := map[uint64]bool{} // peers with a late message so far
	for _, m := range rd.Messages[first:] {
		if m.Type.LeaderToLearner() && !held[m.To] {
			early = append(early, m)
			continue
		}
		held[m.To] = true
		late = append(late, m)
	}
	return early, late
}
