package zab

import (
	"errors"
	"fmt"
	"slices"
)

// Errors returned by Node. Compare with errors.Is.
var (
	// ErrMalformed: an encoded message could not be decoded.
	ErrMalformed = errors.New("zab: malformed message")
	// ErrInvalidConfig: Config failed validation.
	ErrInvalidConfig = errors.New("zab: invalid config")
	// ErrUnexpectedMessage: a message is unknown, out of place, from a peer
	// that is not part of the current session, or inconsistent with the log.
	// The node's state is unchanged, or it went back to LOOKING.
	ErrUnexpectedMessage = errors.New("zab: unexpected message")
	// ErrNotLeader: Propose on a node that is not an established leader.
	ErrNotLeader = errors.New("zab: not an established leader")
	// ErrNoLeader: the node is not in a session with an established leader.
	ErrNoLeader = errors.New("zab: no established leader")
	// ErrCounterExhausted: the zxid counter of the epoch is used up; the
	// leader stepped down so that a new epoch starts.
	ErrCounterExhausted = errors.New("zab: zxid counter exhausted, new election")
	// ErrBarrierAborted: a read barrier did not complete because the node
	// left the session it was started in.
	ErrBarrierAborted = errors.New("zab: read barrier aborted")
	// ErrReadyPending: Ready was called before the previous Ready was advanced.
	ErrReadyPending = errors.New("zab: previous Ready not advanced")
	// ErrBadSnapshot: ProvideSnapshot was called with a snapshot the leader cannot use.
	ErrBadSnapshot = errors.New("zab: unusable snapshot")
)

// Config configures a Node. Times are in ticks: the driver calls Tick at a
// fixed interval (ZooKeeper's tickTime).
type Config struct {
	// ID of this peer; nonzero, and either in Voters or in Observers.
	ID uint64
	// Voters are the participants that elect and form quorums (majority).
	Voters []uint64
	// Observers learn committed transactions but never vote or count.
	Observers []uint64

	// FinalizeWait is how many ticks an election waits, after a quorum
	// agrees, for a better vote before deciding (0 decides at once).
	FinalizeWait int
	// NotifyInterval is the initial re-send interval of election
	// notifications, doubled after each re-send up to MaxNotifyInterval.
	NotifyInterval int
	// MaxNotifyInterval caps the notification re-send back-off.
	MaxNotifyInterval int
	// InitLimit bounds discovery plus synchronization: a leader not
	// established, or a learner not up to date, within InitLimit ticks goes
	// back to LOOKING.
	InitLimit int
	// SyncLimit: a learner that hears nothing from its leader, or a leader
	// that hears from no quorum, for SyncLimit ticks goes back to LOOKING.
	SyncLimit int
	// MaxCounter is the largest zxid counter a leader uses before it steps
	// down to start a new epoch; 0 means 0xfffffffe. Tests lower it.
	MaxCounter uint32

	// Storage is the durable state found at start.
	Storage Storage
}

// Storage is the durable state of a peer when it starts: what the driver
// persisted from earlier Readys.
type Storage struct {
	HardState HardState
	// SnapshotZxid is the zxid of the snapshot the state machine was
	// restored from (0 if none). It must be committed state.
	SnapshotZxid Zxid
	// Entries is the log after SnapshotZxid, in zxid order.
	Entries []Entry
}

// DefaultConfig returns a Config with ZooKeeper-like limits for peer id
// among voters; the caller fills in Voters, Observers and Storage.
func DefaultConfig(id uint64) Config {
	return Config{ID: id, FinalizeWait: 1, NotifyInterval: 2, MaxNotifyInterval: 16,
		InitLimit: 10, SyncLimit: 5}
}

func (c *Config) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, a...)...)
	}
	if c.ID == 0 {
		return bad("ID must be nonzero")
	}
	if len(c.Voters) == 0 {
		return bad("no voters")
	}
	seen := map[uint64]bool{}
	for _, id := range append(slices.Clone(c.Voters), c.Observers...) {
		if id == 0 {
			return bad("peer id 0")
		}
		if seen[id] {
			return bad("peer %d listed twice", id)
		}
		seen[id] = true
	}
	if !seen[c.ID] {
		return bad("ID %d is neither a voter nor an observer", c.ID)
	}
	if c.FinalizeWait < 0 || c.NotifyInterval < 1 || c.MaxNotifyInterval < c.NotifyInterval {
		return bad("need FinalizeWait >= 0, NotifyInterval >= 1, MaxNotifyInterval >= NotifyInterval")
	}
	if c.InitLimit < 1 || c.SyncLimit < 1 {
		return bad("InitLimit and SyncLimit must be >= 1")
	}
	if c.MaxCounter == 0xffffffff {
		return bad("MaxCounter must be below 0xffffffff")
	}
	hs := c.Storage.HardState
	if hs.CurrentEpoch > hs.AcceptedEpoch {
		return bad("storage: currentEpoch %d > acceptedEpoch %d", hs.CurrentEpoch, hs.AcceptedEpoch)
	}
	prev := c.Storage.SnapshotZxid
	for _, e := range c.Storage.Entries {
		if !follows(prev, e.Zxid) {
			return bad("storage: zxid %s cannot follow %s", e.Zxid, prev)
		}
		prev = e.Zxid
	}
	return nil
}
