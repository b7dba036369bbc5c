package zab

// State is a peer's role, as in ZooKeeper's ServerState.
type State uint8

// The peer states.
const (
	StateLooking State = iota + 1
	StateFollowing
	StateLeading
	StateObserving
)

// String returns the ZooKeeper name of the state.
func (s State) String() string {
	switch s {
	case StateLooking:
		return "LOOKING"
	case StateFollowing:
		return "FOLLOWING"
	case StateLeading:
		return "LEADING"
	case StateObserving:
		return "OBSERVING"
	}
	return "State(?)"
}

func (s State) valid() bool { return s >= StateLooking && s <= StateObserving }

// Status is a read-only summary of a peer, for drivers, tests and metrics.
type Status struct {
	ID            uint64 // this peer
	State         State  // its role
	Leader        uint64 // the leader followed or led; 0 when LOOKING
	Epoch         uint32 // the epoch of the current session with the leader; 0 if none
	Established   bool   // leader: a quorum acked NEWLEADER; learner: UPTODATE received
	AcceptedEpoch uint32
	CurrentEpoch  uint32
	LastZxid      Zxid // last zxid in the log (snapshot zxid if the log is empty)
	Commit        Zxid // highest zxid known committed
	Applied       Zxid // highest zxid handed out in Ready.CommittedEntries (or snapshot)
	ElectionEpoch uint64
	// Leader only: learners with a session open to it (in any phase),
	// and of those the followers and the observers that are synced
	// (acked NEWLEADER): ZooKeeper's zk_learners, zk_synced_followers and
	// zk_synced_observers.
	Learners, SyncedFollowers, SyncedObservers int
}
