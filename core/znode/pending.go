package znode

import "github.com/zabkit/zabkit/wire"

// change is what Prep knows about a node that txns prepared but not yet
// applied will have changed: ZooKeeper's ChangeRecord. A deleted node has
// exists == false.
type change struct {
	zxid       int64
	path       string
	exists     bool
	version    int32
	cversion   int32
	aversion   int32
	owner      int64
	childCount int
	acl        []wire.ACL
}

// pending is the overlay of prepared changes (ZooKeeper's
// outstandingChanges and outstandingChangesForPath). Prep reads through
// it, so a request prepared right after another sees its effect before it
// is applied; Apply retires the changes of every txn up to its zxid.
type pending struct {
	byPath map[string]*change
	queue  []*change // in zxid order
	head   int
}

func newPending() pending { return pending{byPath: map[string]*change{}} }

func (p *pending) add(c *change) {
	p.byPath[c.path] = c
	p.queue = append(p.queue, c)
}

// retire forgets the changes of txns with zxid <= zxid, unless a later
// change of the same path superseded them.
func (p *pending) retire(zxid int64) {
	for p.head < len(p.queue) && p.queue[p.head].zxid <= zxid {
		c := p.queue[p.head]
		p.queue[p.head] = nil
		p.head++
		if p.byPath[c.path] == c {
			delete(p.byPath, c.path)
		}
	}
	if p.head == len(p.queue) {
		p.queue = p.queue[:0]
		p.head = 0
	}
}

// ResetPending forgets every prepared but unapplied change. The server
// calls it when prepared txns will never be applied: when this replica
// stops leading, or a proposal is abandoned.
func (t *Tree) ResetPending() { t.pending = newPending() }

// PendingCount returns the number of paths with prepared, unapplied
// changes.
func (t *Tree) PendingCount() int { return len(t.pending.byPath) }

// stage is the set of changes one Prep call makes: visible to the later
// ops of the same multi, committed to the overlay only if the request
// succeeds (ZooKeeper rolls back a failed multi's change records).
type stage struct {
	byPath map[string]*change
	order  []*change
}

func (s *stage) put(c *change) {
	if s.byPath == nil {
		s.byPath = map[string]*change{}
	}
	s.byPath[c.path] = c
	s.order = append(s.order, c)
}

func normPath(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// record returns the current view of path through the stage, the overlay
// and the tree, or nil if the node does not exist (ZooKeeper's
// getRecordForPath). The result is a copy the caller may modify.
func (t *Tree) record(s *stage, path string) *change {
	path = normPath(path)
	var c *change
	if sc, ok := s.byPath[path]; ok {
		c = sc
	} else if pc, ok := t.pending.byPath[path]; ok {
		c = pc
	} else if n := t.lookup(path); n != nil {
		return &change{
			path: path, exists: true,
			version: n.version, cversion: n.cversion, aversion: n.aversion,
			owner: n.owner, childCount: len(n.children), acl: t.acls.get(n.acl),
		}
	}
	if c == nil || !c.exists {
		return nil
	}
	cp := *c
	return &cp
}
