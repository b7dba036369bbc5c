package wire

// ID is an authenticated identity (jute org.apache.zookeeper.data.Id): a
// scheme such as "world", "auth", "digest" or "ip", and an id within it.
type ID struct {
	Scheme string
	ID     string
}

// Encode writes the record.
func (r *ID) Encode(e *Encoder) {
	e.WriteString(r.Scheme)
	e.WriteString(r.ID)
}

// Decode reads the record.
func (r *ID) Decode(d *Decoder) error {
	r.Scheme = d.str("Id.scheme")
	r.ID = d.str("Id.id")
	return d.err
}

// ACL grants the permission bits Perms (PermRead, ...) to ID (jute
// org.apache.zookeeper.data.ACL).
type ACL struct {
	Perms int32
	ID    ID
}

// Encode writes the record.
func (r *ACL) Encode(e *Encoder) {
	e.WriteInt32(r.Perms)
	r.ID.Encode(e)
}

// Decode reads the record.
func (r *ACL) Decode(d *Decoder) error {
	r.Perms = d.i32("ACL.perms")
	return r.ID.Decode(d)
}

// Well-known identities and ACLs (ZooDefs.Ids). The ACL slices are shared:
// do not modify them.
var (
	// WorldAnyone is the identity every client has ("world", "anyone").
	WorldAnyone = ID{Scheme: "world", ID: "anyone"}
	// AuthIDs stands for the identities the creating client authenticated
	// with ("auth", "").
	AuthIDs = ID{Scheme: "auth", ID: ""}
	// OpenACLUnsafe gives everyone every permission.
	OpenACLUnsafe = []ACL{{Perms: PermAll, ID: WorldAnyone}}
	// CreatorAllACL gives every permission to the creator's identities.
	CreatorAllACL = []ACL{{Perms: PermAll, ID: AuthIDs}}
	// ReadACLUnsafe gives everyone read permission.
	ReadACLUnsafe = []ACL{{Perms: PermRead, ID: WorldAnyone}}
)

// minACLSize is the smallest encoding of an ACL: perms and two empty strings.
const minACLSize = 4 + 4 + 4

// writeACLs writes a vector<ACL>; nil is the null vector.
func writeACLs(e *Encoder, acl []ACL) {
	if acl == nil {
		e.WriteInt32(-1)
		return
	}
	e.WriteInt32(int32(len(acl)))
	for i := range acl {
		acl[i].Encode(e)
	}
}

// readACLs reads a vector<ACL>; the null vector is nil.
func readACLs(d *Decoder, what string) []ACL {
	n := d.vectorLen(what, minACLSize)
	if n < 0 || d.err != nil {
		return nil
	}
	out := make([]ACL, n)
	for i := range out {
		if out[i].Decode(d) != nil {
			return nil
		}
	}
	return out
}

// StatSize is the encoded size of a Stat in bytes.
const StatSize = 68

// Stat is the metadata of a znode (jute org.apache.zookeeper.data.Stat).
//
// ZooKeeper stores a marker in the owner of container and TTL nodes (see
// EphemeralOwnerContainer, TTLEphemeralOwner) but reports EphemeralOwner 0
// for them to clients; and it reports Cversion as twice the stored cversion
// minus NumChildren (DataNode.copyStat).
type Stat struct {
	Czxid          int64 // zxid of the create
	Mzxid          int64 // zxid of the last data change
	Ctime          int64 // create time, milliseconds since the epoch
	Mtime          int64 // last data change time, milliseconds since the epoch
	Version        int32 // number of data changes
	Cversion       int32 // number of child changes
	Aversion       int32 // number of ACL changes
	EphemeralOwner int64 // owning session id if ephemeral, else 0 (see below)
	DataLength     int32 // length of the data
	NumChildren    int32 // number of children
	Pzxid          int64 // zxid of the last child change
}

// Encode writes the record.
func (r *Stat) Encode(e *Encoder) {
	e.WriteInt64(r.Czxid)
	e.WriteInt64(r.Mzxid)
	e.WriteInt64(r.Ctime)
	e.WriteInt64(r.Mtime)
	e.WriteInt32(r.Version)
	e.WriteInt32(r.Cversion)
	e.WriteInt32(r.Aversion)
	e.WriteInt64(r.EphemeralOwner)
	e.WriteInt32(r.DataLength)
	e.WriteInt32(r.NumChildren)
	e.WriteInt64(r.Pzxid)
}

// Decode reads the record.
func (r *Stat) Decode(d *Decoder) error {
	r.Czxid = d.i64("Stat.czxid")
	r.Mzxid = d.i64("Stat.mzxid")
	r.Ctime = d.i64("Stat.ctime")
	r.Mtime = d.i64("Stat.mtime")
	r.Version = d.i32("Stat.version")
	r.Cversion = d.i32("Stat.cversion")
	r.Aversion = d.i32("Stat.aversion")
	r.EphemeralOwner = d.i64("Stat.ephemeralOwner")
	r.DataLength = d.i32("Stat.dataLength")
	r.NumChildren = d.i32("Stat.numChildren")
	r.Pzxid = d.i64("Stat.pzxid")
	return d.err
}

// StatPersisted is the Stat as ZooKeeper stores it in snapshots (jute
// org.apache.zookeeper.data.StatPersisted): without dataLength and
// numChildren, which are derived.
type StatPersisted struct {
	Czxid          int64
	Mzxid          int64
	Ctime          int64
	Mtime          int64
	Version        int32
	Cversion       int32
	Aversion       int32
	EphemeralOwner int64
	Pzxid          int64
}

// Encode writes the record.
func (r *StatPersisted) Encode(e *Encoder) {
	e.WriteInt64(r.Czxid)
	e.WriteInt64(r.Mzxid)
	e.WriteInt64(r.Ctime)
	e.WriteInt64(r.Mtime)
	e.WriteInt32(r.Version)
	e.WriteInt32(r.Cversion)
	e.WriteInt32(r.Aversion)
	e.WriteInt64(r.EphemeralOwner)
	e.WriteInt64(r.Pzxid)
}

// Decode reads the record.
func (r *StatPersisted) Decode(d *Decoder) error {
	r.Czxid = d.i64("StatPersisted.czxid")
	r.Mzxid = d.i64("StatPersisted.mzxid")
	r.Ctime = d.i64("StatPersisted.ctime")
	r.Mtime = d.i64("StatPersisted.mtime")
	r.Version = d.i32("StatPersisted.version")
	r.Cversion = d.i32("StatPersisted.cversion")
	r.Aversion = d.i32("StatPersisted.aversion")
	r.EphemeralOwner = d.i64("StatPersisted.ephemeralOwner")
	r.Pzxid = d.i64("StatPersisted.pzxid")
	return d.err
}

// ClientInfo is one identity of a session as reported by whoAmI (jute
// org.apache.zookeeper.data.ClientInfo).
type ClientInfo struct {
	AuthScheme string
	User       string
}

// Encode writes the record.
func (r *ClientInfo) Encode(e *Encoder) {
	e.WriteString(r.AuthScheme)
	e.WriteString(r.User)
}

// Decode reads the record.
func (r *ClientInfo) Decode(d *Decoder) error {
	r.AuthScheme = d.str("ClientInfo.authScheme")
	r.User = d.str("ClientInfo.user")
	return d.err
}
