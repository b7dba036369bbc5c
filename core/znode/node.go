package znode

import (
	"slices"
	"strings"

	"github.com/zabkit/zabkit/wire"
)

// node is one znode. Its layout is what keeps a million empty znodes under
// 250 bytes of heap each (see doc.go): 104 bytes here (112 with the
// allocator's size class; the snapshot generation cost the step from 96),
// no name (the parent's children map holds it as the key), no per-node
// map until the node has a child, and the ACL as a 4-byte reference into
// the tree's shared ACL cache (ZooKeeper's ReferenceCountedACLCache idea).
type node struct {
	czxid, mzxid, pzxid int64
	ctime, mtime        int64
	owner               int64 // the stored ephemeralOwner (container/TTL encodings included)
	version             int32
	cversion            int32 // stored as ZooKeeper does: the number of child creations
	aversion            int32
	acl                 aclRef
	gen                 uint32 // snapshot generation of the last preserve (see cow.go)
	data                []byte
	children            map[string]*node // nil while the node has no child
}

// stat returns the client-visible Stat, translated as ZooKeeper's
// DataNode.copyStat does: cversion counts creates and deletes (stored
// cversion*2 - numChildren) and ephemeralOwner is 0 unless a session owns
// the node.
func (n *node) stat(extended bool) wire.Stat {
	nc := int32(len(n.children))
	owner := n.owner
	if kindOf(owner, extended) != ownerSession {
		owner = 0
	}
	return wire.Stat{
		Czxid:          n.czxid,
		Mzxid:          n.mzxid,
		Ctime:          n.ctime,
		Mtime:          n.mtime,
		Version:        n.version,
		Cversion:       n.cversion*2 - nc,
		Aversion:       n.aversion,
		EphemeralOwner: owner,
		DataLength:     int32(len(n.data)),
		NumChildren:    nc,
		Pzxid:          n.pzxid,
	}
}

// sortedChildren returns the names of n's children in byte order.
func (n *node) sortedChildren() []string {
	if len(n.children) == 0 {
		return nil
	}
	names := make([]string, 0, len(n.children))
	for name := range n.children {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// lookup returns the node at path or nil. Like ZooKeeper's node table, ""
// is an alias of the root. Paths are not validated: an invalid path simply
// names no node.
func (t *Tree) lookup(path string) *node {
	if path == "/" || path == "" {
		return t.root
	}
	if path[0] != '/' {
		return nil
	}
	n := t.root
	rest := path[1:]
	for {
		i := strings.IndexByte(rest, '/')
		seg := rest
		if i >= 0 {
			seg = rest[:i]
		}
		c := n.children[seg]
		if c == nil {
			return nil
		}
		n = c
		if i < 0 {
			return n
		}
		rest = rest[i+1:]
	}
}

// walk calls fn for path and every node below it, in pre-order with
// children in byte order. fn returning false stops the walk.
func walk(path string, n *node, fn func(path string, n *node) bool) bool {
	if !fn(path, n) {
		return false
	}
	for _, name := range n.sortedChildren() {
		if !walk(join(path, name), n.children[name], fn) {
			return false
		}
	}
	return true
}

// countDescendants returns the number of nodes strictly below n.
func countDescendants(n *node) int64 {
	var c int64
	for _, ch := range n.children {
		c += 1 + countDescendants(ch)
	}
	return c
}
