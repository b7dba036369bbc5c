package znode

import "github.com/zabkit/zabkit/wire"

// ownerKind classifies a Stat.EphemeralOwner value as ZooKeeper's
// EphemeralType.get does.
type ownerKind uint8

const (
	ownerNone      ownerKind = iota // 0: persistent (EphemeralType.VOID)
	ownerSession                    // a session id (EphemeralType.NORMAL)
	ownerContainer                  // the container marker
	ownerTTL                        // the TTL encoding (extended types only)
	ownerInvalid                    // an extended marker with an unknown feature
)

// kindOf returns the kind of an ephemeralOwner value. With extended types
// disabled (ZooKeeper's default), the TTL encoding is read as a session id,
// exactly as ZooKeeper does.
func kindOf(owner int64, extended bool) ownerKind {
	if extended && owner&wire.EphemeralOwnerExtendedMask == wire.EphemeralOwnerExtendedMask {
		if owner&wire.EphemeralOwnerReservedMask != 0 {
			return ownerInvalid
		}
		return ownerTTL
	}
	switch owner {
	case 0:
		return ownerNone
	case wire.EphemeralOwnerContainer:
		return ownerContainer
	}
	return ownerSession
}
