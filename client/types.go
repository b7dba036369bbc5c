package client

import (
	"crypto/sha1"
	"encoding/base64"

	"github.com/zabkit/zabkit/wire"
)

// Stat is the metadata of a znode; see wire.Stat for its fields.
type Stat = wire.Stat

// ACL grants permission bits to an identity; see wire.ACL.
type ACL = wire.ACL

// ID is an identity: a scheme and an id within it.
type ID = wire.ID

// ClientInfo is one identity of the session, as WhoAmI reports it.
type ClientInfo = wire.ClientInfo

// CreateMode selects the kind of znode Create makes.
type CreateMode = wire.CreateMode

// Create modes.
const (
	ModePersistent                  = wire.ModePersistent
	ModeEphemeral                   = wire.ModeEphemeral
	ModePersistentSequential        = wire.ModePersistentSequential
	ModeEphemeralSequential         = wire.ModeEphemeralSequential
	ModeContainer                   = wire.ModeContainer
	ModePersistentWithTTL           = wire.ModePersistentWithTTL
	ModePersistentSequentialWithTTL = wire.ModePersistentSequentialWithTTL
)

// Permission bits of an ACL.
const (
	PermRead   = wire.PermRead
	PermWrite  = wire.PermWrite
	PermCreate = wire.PermCreate
	PermDelete = wire.PermDelete
	PermAdmin  = wire.PermAdmin
	PermAll    = wire.PermAll
)

// AnyVersion matches every version in Delete, Set, SetACL and CheckOp.
const AnyVersion int32 = -1

// OpenACL gives everyone every permission (world:anyone, ZooDefs.Ids
// OPEN_ACL_UNSAFE). A nil ACL passed to Create means OpenACL.
func OpenACL() []ACL { return []ACL{{Perms: PermAll, ID: wire.WorldAnyone}} }

// ReadACL gives everyone read permission (world:anyone).
func ReadACL() []ACL { return []ACL{{Perms: PermRead, ID: wire.WorldAnyone}} }

// CreatorACL gives every permission to the identities the creating session
// authenticated with (auth:, ZooDefs.Ids CREATOR_ALL_ACL). The session must
// have added an identity (WithDigestAuth, AddAuth) or the server answers
// ErrInvalidACL.
func CreatorACL() []ACL { return []ACL{{Perms: PermAll, ID: wire.AuthIDs}} }

// WorldACL gives everyone the permission bits perms.
func WorldACL(perms int32) []ACL { return []ACL{{Perms: perms, ID: wire.WorldAnyone}} }

// DigestACL gives perms to the digest identity user:password. The server
// stores the identity as user:base64(sha1(user:password)); this computes it.
func DigestACL(perms int32, user, password string) []ACL {
	return []ACL{{Perms: perms, ID: ID{Scheme: "digest", ID: DigestID(user, password)}}}
}

// DigestID returns the digest-scheme id of user:password as ZooKeeper's
// DigestAuthenticationProvider computes it: user:base64(sha1(user:password)).
func DigestID(user, password string) string {
	h := sha1.Sum([]byte(user + ":" + password))
	return user + ":" + base64.StdEncoding.EncodeToString(h[:])
}
