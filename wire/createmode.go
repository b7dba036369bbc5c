package wire

import (
	"fmt"
	"math"
	"strconv"
)

// CreateMode is the flags field of a create request (CreateMode.toFlag).
type CreateMode int32

// Create modes, with ZooKeeper 3.8's flag values.
const (
	ModePersistent                  CreateMode = 0
	ModeEphemeral                   CreateMode = 1
	ModePersistentSequential        CreateMode = 2
	ModeEphemeralSequential         CreateMode = 3
	ModeContainer                   CreateMode = 4
	ModePersistentWithTTL           CreateMode = 5
	ModePersistentSequentialWithTTL CreateMode = 6
)

// Valid reports whether m is one of the seven modes ZooKeeper accepts
// (CreateMode.fromFlag); any other flag value is BadArguments there.
func (m CreateMode) Valid() bool { return m >= ModePersistent && m <= ModePersistentSequentialWithTTL }

// IsEphemeral reports whether nodes of this mode die with their session.
func (m CreateMode) IsEphemeral() bool { return m == ModeEphemeral || m == ModeEphemeralSequential }

// IsSequential reports whether the server appends a 10-digit sequence number
// to the name.
func (m CreateMode) IsSequential() bool {
	return m == ModePersistentSequential || m == ModeEphemeralSequential || m == ModePersistentSequentialWithTTL
}

// IsContainer reports whether m is ModeContainer.
func (m CreateMode) IsContainer() bool { return m == ModeContainer }

// IsTTL reports whether nodes of this mode carry a time-to-live.
func (m CreateMode) IsTTL() bool {
	return m == ModePersistentWithTTL || m == ModePersistentSequentialWithTTL
}

// String returns ZooKeeper's name for the mode ("EPHEMERAL_SEQUENTIAL").
func (m CreateMode) String() string {
	switch m {
	case ModePersistent:
		return "PERSISTENT"
	case ModeEphemeral:
		return "EPHEMERAL"
	case ModePersistentSequential:
		return "PERSISTENT_SEQUENTIAL"
	case ModeEphemeralSequential:
		return "EPHEMERAL_SEQUENTIAL"
	case ModeContainer:
		return "CONTAINER"
	case ModePersistentWithTTL:
		return "PERSISTENT_WITH_TTL"
	case ModePersistentSequentialWithTTL:
		return "PERSISTENT_SEQUENTIAL_WITH_TTL"
	}
	return "CreateMode(" + strconv.Itoa(int(m)) + ")"
}

// Encodings of Stat.EphemeralOwner for nodes that are not owned by a session
// (server.EphemeralType). A plain ephemeral node's owner is its session id;
// a persistent node's is 0.
const (
	// EphemeralOwnerContainer marks a container node: only the top bit set.
	EphemeralOwnerContainer int64 = math.MinInt64

	// EphemeralOwnerExtendedMask marks an "extended" owner (high byte 0xff).
	// With the next two bytes zero (the TTL feature) the low five bytes hold
	// the TTL in milliseconds.
	EphemeralOwnerExtendedMask int64 = -0x0100000000000000 // 0xff00000000000000

	// EphemeralOwnerReservedMask covers the two feature bytes after the
	// extended marker; they are zero for TTL nodes.
	EphemeralOwnerReservedMask int64 = 0x00ffff0000000000

	// MaxTTL is the largest TTL in milliseconds a TTL node may have
	// (0xffffffffff, about 34 years).
	MaxTTL int64 = 0x000000ffffffffff

	// MaxExtendedServerID is the largest server id allowed when extended
	// types (TTL nodes) are enabled, because session ids then must not
	// reach the extended marker.
	MaxExtendedServerID = 0xfe
)

// TTLEphemeralOwner returns the EphemeralOwner value ZooKeeper stores for a
// TTL node with the given TTL in milliseconds. The TTL must be in
// 1..MaxTTL.
func TTLEphemeralOwner(ttl int64) (int64, error) {
	if ttl <= 0 || ttl > MaxTTL {
		return 0, fmt.Errorf("wire: ttl %d out of range 1..%d: %w", ttl, MaxTTL, CodeBadArguments)
	}
	return EphemeralOwnerExtendedMask | ttl, nil
}

// IsTTLEphemeralOwner reports whether owner is the encoding of a TTL node,
// and if so returns the TTL in milliseconds.
func IsTTLEphemeralOwner(owner int64) (ttl int64, ok bool) {
	if owner&EphemeralOwnerExtendedMask != EphemeralOwnerExtendedMask || owner&EphemeralOwnerReservedMask != 0 {
		return 0, false
	}
	return owner & MaxTTL, true
}
