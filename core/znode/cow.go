package znode

// Copy-on-write for open snapshots.
//
// BeginSnapshot gives the tree a new generation number g and registers a
// Snapshot with it. Every node carries the generation of the last time it
// was preserved (or of its creation). Before Apply changes a node n whose
// generation is below g for the first time, preserve stores n's fields as
// they are (the node as of the freeze) in the snapshot's pre-images and
// raises n's generation, so each later change of n costs one comparison.
// Changes to a preserved node's children set are logged as deltas (names
// added since the freeze, names removed with the node they named) instead
// of copying the children map, so a parent with a million children costs
// O(1) per change too. Nodes created after the freeze are never reached
// by the snapshot's walk: the deltas hide them.
//
// Several snapshots may be open at once: each has its own generation and
// pre-images, and preserve records n in every open snapshot whose
// generation is above n's.

// preImage is a node as it was when a snapshot froze the tree, and how
// its children set changed since.
type preImage struct {
	n       node                // fields at the freeze (children unused)
	added   map[string]struct{} // names created after the freeze and still present
	removed map[string]*node    // names present at the freeze and deleted since, with their node
}

// preserve must run before any change to n's fields or children set.
func (t *Tree) preserve(n *node) {
	if n.gen == t.snapGen {
		return
	}
	for _, s := range t.snaps {
		if n.gen < s.gen {
			p := &preImage{n: *n}
			p.n.children = nil
			s.pre[n] = p
		}
	}
	n.gen = t.snapGen
}

// childAdded records that name is about to be linked under parent (which
// has no child of that name); preserve(parent) must have run.
func (t *Tree) childAdded(parent *node, name string) {
	for _, s := range t.snaps {
		p := s.pre[parent]
		if p == nil { // parent created after this freeze
			continue
		}
		if _, ok := p.removed[name]; ok {
			continue // the frozen view keeps the removed node
		}
		if p.added == nil {
			p.added = map[string]struct{}{}
		}
		p.added[name] = struct{}{}
	}
}

// childRemoved records that name (naming c) is about to be unlinked from
// parent; preserve(parent) must have run.
func (t *Tree) childRemoved(parent *node, name string, c *node) {
	for _, s := range t.snaps {
		p := s.pre[parent]
		if p == nil {
			continue
		}
		if _, ok := p.added[name]; ok {
			delete(p.added, name) // created and deleted after the freeze
			continue
		}
		if _, ok := p.removed[name]; ok {
			continue
		}
		if p.removed == nil {
			p.removed = map[string]*node{}
		}
		p.removed[name] = c
	}
}
