package znode

import (
	"strconv"
	"strings"

	"github.com/zabkit/zabkit/wire"
)

// aclRef names an ACL list in the tree's ACL cache. openACLRef is
// world:anyone ALL, which needs no cache entry (ZooKeeper's
// OPEN_UNSAFE_ACL_ID).
type aclRef uint32

const openACLRef aclRef = 0

type aclEntry struct {
	acl   []wire.ACL
	key   string
	hash  uint64
	count int64
}

// aclCache shares ACL lists between nodes with reference counts, like
// ZooKeeper's ReferenceCountedACLCache: a node stores a 4-byte reference,
// and the list lives once however many nodes use it. References are given
// out in increasing order from next, so every replica that applies the same
// txns from the same state hands out the same references.
type aclCache struct {
	byRef map[aclRef]*aclEntry
	byKey map[string]aclRef
	next  aclRef
}

func newACLCache() aclCache {
	return aclCache{byRef: map[aclRef]*aclEntry{}, byKey: map[string]aclRef{}, next: 1}
}

func aclKey(acl []wire.ACL) string {
	var b strings.Builder
	for _, a := range acl {
		b.WriteString(strconv.FormatInt(int64(a.Perms), 10))
		b.WriteByte(0)
		b.WriteString(a.ID.Scheme)
		b.WriteByte(0)
		b.WriteString(a.ID.ID)
		b.WriteByte(0)
	}
	return b.String()
}

func isOpenACL(acl []wire.ACL) bool {
	return len(acl) == 1 && acl[0].Perms == wire.PermAll && acl[0].ID == AnyoneID
}

// add returns a reference to acl, adding one usage.
func (c *aclCache) add(acl []wire.ACL) aclRef {
	if isOpenACL(acl) {
		return openACLRef
	}
	key := aclKey(acl)
	if ref, ok := c.byKey[key]; ok {
		c.byRef[ref].count++
		return ref
	}
	ref := c.next
	c.next++
	c.byRef[ref] = &aclEntry{acl: cloneACL(acl), key: key, hash: hashString(key), count: 1}
	c.byKey[key] = ref
	return ref
}

// release drops one usage of ref, forgetting the list at zero.
func (c *aclCache) release(ref aclRef) {
	if ref == openACLRef {
		return
	}
	e := c.byRef[ref]
	if e == nil {
		return
	}
	e.count--
	if e.count <= 0 {
		delete(c.byRef, ref)
		delete(c.byKey, e.key)
	}
}

// get returns the list behind ref. The result must not be modified.
func (c *aclCache) get(ref aclRef) []wire.ACL {
	if ref == openACLRef {
		return OpenACLUnsafe
	}
	if e := c.byRef[ref]; e != nil {
		return e.acl
	}
	return nil
}

// hashOf returns the content hash of the list behind ref (for the digest,
// which must not depend on reference numbers).
func (c *aclCache) hashOf(ref aclRef) uint64 {
	if ref == openACLRef {
		return openACLHash
	}
	if e := c.byRef[ref]; e != nil {
		return e.hash
	}
	return 0
}

var openACLHash = hashString(aclKey(OpenACLUnsafe))

func cloneACL(acl []wire.ACL) []wire.ACL {
	if acl == nil {
		return nil
	}
	return append(make([]wire.ACL, 0, len(acl)), acl...)
}
