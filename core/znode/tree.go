package znode

import (
	"slices"
	"strings"

	"github.com/zabkit/zabkit/wire"
)

// Config holds the tree options that change semantics. Every replica of an
// ensemble must use the same Config.
type Config struct {
	// ExtendedTypes enables TTL nodes (ZooKeeper's
	// zookeeper.extendedTypesEnabled, off by default there). Without it,
	// createTTL and the TTL create modes are wire.CodeUnimplemented. With
	// it, session ids must not have 0xff as their high byte (server ids up
	// to wire.MaxExtendedServerID), as in ZooKeeper.
	ExtendedTypes bool
}

// Tree is the znode data tree of one replica.
//
// Concurrency: a Tree is not safe for concurrent mutation. The server
// guards it with a sync.RWMutex: Apply, Prep, ResetPending, CreateSession
// bookkeeping and ReadSnapshot run under the write lock (one goroutine at a
// time; Prep and Apply must not interleave with each other); the read
// methods (GetData, Exists, Children, GetACL, AllChildrenNumber,
// Ephemerals, Digest, WriteSnapshot, ...) may run together under the read
// lock. BeginSnapshot and Snapshot.Close run under the write lock;
// Snapshot.Encode takes the read lock itself, in batches. Registering and
// removing watches is internally synchronized, so reads that set a watch
// need only the read lock; because Apply holds the write lock, a read and
// the watch it sets are atomic with respect to every txn, as in ZooKeeper.
type Tree struct {
	cfg        Config
	root       *node
	count      int64 // nodes, the root included
	acls       aclCache
	sessions   map[int64]int32
	ephemerals map[int64]map[string]struct{}
	containers map[string]struct{}
	ttls       map[string]struct{}
	nodeDigest uint64
	lastZxid   int64
	snapGen    uint32      // generation of the newest BeginSnapshot (cow.go)
	snaps      []*Snapshot // open snapshots, oldest first
	quota      quotaTrie
	watches    *watches
	pending    pending
}

// New returns a tree holding only what every ZooKeeper tree holds: "/",
// "/zookeeper", "/zookeeper/quota" and "/zookeeper/config" (the latter
// with the ACL world:anyone READ), all with zero Stat fields and empty
// (not null) data, as ZooKeeper's DataTree makes them (new byte[0]).
func New(cfg Config) *Tree {
	t := newEmpty(cfg)
	t.root = &node{data: []byte{}}
	t.count = 1
	t.nodeDigest = t.nodeHash("/", t.root)
	zk := t.addChild(t.root, "/", "zookeeper", &node{data: []byte{}})
	t.addChild(zk, ZookeeperPath, "quota", &node{data: []byte{}})
	// ZooKeeper sets this ACL with DataTree.setACL(..., version -1),
	// which leaves aversion at -1.
	t.addChild(zk, ZookeeperPath, "config", &node{data: []byte{}, acl: t.acls.add(ReadACLUnsafe), aversion: -1})
	return t
}

// reservedPaths are the nodes New makes, which hold empty data.
var reservedPaths = [...]string{"/", ZookeeperPath, ZookeeperPath + "/quota", ZookeeperPath + "/config"}

func newEmpty(cfg Config) *Tree {
	return &Tree{
		cfg:        cfg,
		acls:       newACLCache(),
		sessions:   map[int64]int32{},
		ephemerals: map[int64]map[string]struct{}{},
		containers: map[string]struct{}{},
		ttls:       map[string]struct{}{},
		watches:    newWatches(),
		pending:    newPending(),
	}
}

// addChild links c under parent (whose path is ppath) and indexes it.
func (t *Tree) addChild(parent *node, ppath, name string, c *node) *node {
	t.preserve(parent)
	t.childAdded(parent, name)
	c.gen = t.snapGen
	if parent.children == nil {
		parent.children = make(map[string]*node, 1)
	}
	parent.children[strings.Clone(name)] = c
	t.count++
	path := join(ppath, name)
	t.nodeDigest += t.nodeHash(path, c)
	t.index(path, c.owner)
	return c
}

func (t *Tree) index(path string, owner int64) {
	switch kindOf(owner, t.cfg.ExtendedTypes) {
	case ownerContainer:
		t.containers[path] = struct{}{}
	case ownerTTL:
		t.ttls[path] = struct{}{}
	case ownerSession:
		s := t.ephemerals[owner]
		if s == nil {
			s = map[string]struct{}{}
			t.ephemerals[owner] = s
		}
		s[path] = struct{}{}
	}
}

func (t *Tree) unindex(path string, owner int64) {
	switch kindOf(owner, t.cfg.ExtendedTypes) {
	case ownerContainer:
		delete(t.containers, path)
	case ownerTTL:
		delete(t.ttls, path)
	case ownerSession:
		if s := t.ephemerals[owner]; s != nil {
			delete(s, path)
			if len(s) == 0 {
				delete(t.ephemerals, owner)
			}
		}
	}
}

// Config returns the tree's configuration.
func (t *Tree) Config() Config { return t.cfg }

// NodeCount returns the number of znodes, the root and the /zookeeper
// nodes included.
func (t *Tree) NodeCount() int64 { return t.count }

// LastZxid returns the zxid of the last applied txn (or of the snapshot
// the tree was read from).
func (t *Tree) LastZxid() int64 { return t.lastZxid }

// Node returns the data and Stat of the node at path without any ACL
// check or watch; ok is false if there is no such node. The returned data
// is shared with the tree and must not be modified.
func (t *Tree) Node(path string) (data []byte, stat wire.Stat, ok bool) {
	n := t.lookup(path)
	if n == nil {
		return nil, wire.Stat{}, false
	}
	return n.data, n.stat(t.cfg.ExtendedTypes), true
}

// GetData answers a getData request as ZooKeeper's FinalRequestProcessor:
// NoNode if the node does not exist, NoAuth without READ permission; with
// a non-nil watcher, a one-shot data watch is left on the node. The
// returned data is shared with the tree and must not be modified. It is
// nil when the node's data is null (created or set with null data) and a
// non-nil empty slice when it is empty, which the wire encodes as length
// -1 and 0, as ZooKeeper does; stat.DataLength is 0 for both.
func (t *Tree) GetData(path string, auth []wire.ID, w Watcher) ([]byte, wire.Stat, error) {
	n := t.lookup(path)
	if n == nil {
		return nil, wire.Stat{}, wire.CodeNoNode
	}
	if err := CheckACL(t.acls.get(n.acl), wire.PermRead, auth); err != nil {
		return nil, wire.Stat{}, err
	}
	if w != nil {
		if err := checkWatcher(w); err != nil {
			return nil, wire.Stat{}, err
		}
		t.watches.add(true, path, w, modeStandard)
	}
	return n.data, n.stat(t.cfg.ExtendedTypes), nil
}

// Exists answers an exists request: BadArguments for a path containing
// NUL, NoAuth without READ on an existing node; with a watcher, a one-shot
// data watch is set whether or not the node exists (it then fires on
// NodeCreated). A missing node is wire.CodeNoNode (the server answers it
// with an empty Stat and error NoNode, as ZooKeeper does).
func (t *Tree) Exists(path string, auth []wire.ID, w Watcher) (wire.Stat, error) {
	if strings.IndexByte(path, 0) >= 0 {
		return wire.Stat{}, wire.CodeBadArguments
	}
	n := t.lookup(path)
	if n != nil {
		if err := CheckACL(t.acls.get(n.acl), wire.PermRead, auth); err != nil {
			return wire.Stat{}, err
		}
	}
	if w != nil {
		if err := checkWatcher(w); err != nil {
			return wire.Stat{}, err
		}
		t.watches.add(true, path, w, modeStandard)
	}
	if n == nil {
		return wire.Stat{}, wire.CodeNoNode
	}
	return n.stat(t.cfg.ExtendedTypes), nil
}

// Children answers getChildren and getChildren2: NoNode, NoAuth without
// READ; the names come in byte order; with a watcher, a one-shot child
// watch is left on the node.
func (t *Tree) Children(path string, auth []wire.ID, w Watcher) ([]string, wire.Stat, error) {
	n := t.lookup(path)
	if n == nil {
		return nil, wire.Stat{}, wire.CodeNoNode
	}
	if err := CheckACL(t.acls.get(n.acl), wire.PermRead, auth); err != nil {
		return nil, wire.Stat{}, err
	}
	if w != nil {
		if err := checkWatcher(w); err != nil {
			return nil, wire.Stat{}, err
		}
		t.watches.add(false, path, w, modeStandard)
	}
	names := n.sortedChildren()
	if names == nil {
		names = []string{}
	}
	return names, n.stat(t.cfg.ExtendedTypes), nil
}

// GetACL answers getACL: NoNode; NoAuth unless the session has READ or
// ADMIN; digest ids are redacted to "user:x" unless it has ADMIN.
func (t *Tree) GetACL(path string, auth []wire.ID) ([]wire.ACL, wire.Stat, error) {
	n := t.lookup(path)
	if n == nil {
		return nil, wire.Stat{}, wire.CodeNoNode
	}
	acl := t.acls.get(n.acl)
	if err := CheckACL(acl, wire.PermRead|wire.PermAdmin, auth); err != nil {
		return nil, wire.Stat{}, err
	}
	if CheckACL(acl, wire.PermAdmin, auth) != nil {
		return RedactACL(acl), n.stat(t.cfg.ExtendedTypes), nil
	}
	return cloneACL(acl), n.stat(t.cfg.ExtendedTypes), nil
}

// AllChildrenNumber answers getAllChildrenNumber: the number of nodes
// below path at any depth (for "/", every node but the root, /zookeeper
// and its children included, as ZooKeeper counts). NoNode, NoAuth without
// READ.
func (t *Tree) AllChildrenNumber(path string, auth []wire.ID) (int32, error) {
	n := t.lookup(path)
	if n == nil {
		return 0, wire.CodeNoNode
	}
	if err := CheckACL(t.acls.get(n.acl), wire.PermRead, auth); err != nil {
		return 0, err
	}
	if n == t.root {
		return int32(t.count - 1), nil
	}
	return int32(countDescendants(n)), nil
}

// Ephemerals answers getEphemerals: the paths of the session's ephemeral
// nodes that start with prefix (all of them for "", "/" or blanks), in
// byte order. Like ZooKeeper, the match is a plain string prefix.
func (t *Tree) Ephemerals(session int64, prefix string) []string {
	all := prefix == "" || strings.TrimSpace(prefix) == "" || strings.TrimSpace(prefix) == "/"
	out := []string{}
	for p := range t.ephemerals[session] {
		if all || strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// Sessions returns the live sessions (created and not closed) with their
// timeouts in milliseconds.
func (t *Tree) Sessions() map[int64]int32 {
	out := make(map[int64]int32, len(t.sessions))
	for id, to := range t.sessions {
		out[id] = to
	}
	return out
}

// ReapCandidates returns, in byte order, the containers and TTL nodes the
// leader should delete now (ZooKeeper's ContainerManager.getCandidates):
// containers without children that once had one (cversion > 0), or that
// never had one and were last modified more than neverUsedGrace ago (0
// disables that rule, ZooKeeper's default); and TTL nodes without children
// whose mtime is more than their TTL before now. Times are milliseconds
// since the epoch. The server deletes each with a deleteContainer request
// through Prep.
func (t *Tree) ReapCandidates(now, neverUsedGrace int64) []string {
	var out []string
	for p := range t.containers {
		n := t.lookup(p)
		if n == nil || len(n.children) > 0 {
			continue
		}
		if n.cversion > 0 || (neverUsedGrace != 0 && now-n.mtime > neverUsedGrace) {
			out = append(out, p)
		}
	}
	for p := range t.ttls {
		n := t.lookup(p)
		if n == nil || len(n.children) > 0 {
			continue
		}
		if ttl, ok := wire.IsTTLEphemeralOwner(n.owner); ok && ttl != 0 && now-n.mtime > ttl {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// AddWatch registers a persistent watch (addWatch mode PERSISTENT) or a
// persistent recursive one on path, for data and child events, as
// ZooKeeper's addWatch: the path need not exist and is not validated.
func (t *Tree) AddWatch(path string, mode wire.AddWatchMode, w Watcher) error {
	if err := checkWatcher(w); err != nil {
		return err
	}
	m := modePersistent
	switch mode {
	case wire.AddWatchPersistent:
	case wire.AddWatchPersistentRecursive:
		m = modeRecursive
	default:
		return wire.CodeBadArguments
	}
	t.watches.addBoth(path, w, m)
	return nil
}

// RemoveWatches removes w's watches of the given type on path (removeWatches
// request); wire.CodeNoWatcher if it had none.
func (t *Tree) RemoveWatches(path string, typ wire.WatcherType, w Watcher) error {
	if checkWatcher(w) != nil || !t.watches.remove(path, typ, w) {
		return wire.CodeNoWatcher
	}
	return nil
}

// CheckWatches answers checkWatches: nil if w has a watch of the given type
// registered on path itself, wire.CodeNoWatcher if not (a recursive watch
// on an ancestor does not count, as in ZooKeeper 3.8).
func (t *Tree) CheckWatches(path string, typ wire.WatcherType, w Watcher) error {
	if checkWatcher(w) != nil || !t.watches.contains(path, typ, w) {
		return wire.CodeNoWatcher
	}
	return nil
}

// RemoveWatcher drops every watch of w (its connection closed).
func (t *Tree) RemoveWatcher(w Watcher) {
	if checkWatcher(w) != nil {
		return
	}
	t.watches.removeWatcher(w)
}

// WatchCount returns the number of registered (path, watcher) pairs in the
// data and child registries.
func (t *Tree) WatchCount() (data, child int) { return t.watches.count() }

// SetWatches re-registers a reconnecting client's watches (setWatches and
// setWatches2) as ZooKeeper's DataTree.setWatches: a data or child watch
// whose node changed after relativeZxid (or vanished) is not set but
// answered at once with the event the client missed; an exist watch on a
// node that now exists is answered with NodeCreated. The returned events
// (one watcher each: w) must be delivered before any later event.
func (t *Tree) SetWatches(relativeZxid int64, data, exist, child, persistent, recursive []string, w Watcher) ([]Event, error) {
	if err := checkWatcher(w); err != nil {
		return nil, err
	}
	var evs []Event
	fire := func(typ wire.EventType, p string) {
		evs = append(evs, Event{Type: typ, Path: p, Watchers: []Watcher{w}})
	}
	for _, p := range data {
		n := t.lookup(p)
		switch {
		case n == nil:
			fire(wire.EventNodeDeleted, p)
		case n.mzxid > relativeZxid:
			fire(wire.EventNodeDataChanged, p)
		default:
			t.watches.add(true, p, w, modeStandard)
		}
	}
	for _, p := range exist {
		if t.lookup(p) != nil {
			fire(wire.EventNodeCreated, p)
		} else {
			t.watches.add(true, p, w, modeStandard)
		}
	}
	for _, p := range child {
		n := t.lookup(p)
		switch {
		case n == nil:
			fire(wire.EventNodeDeleted, p)
		case n.pzxid > relativeZxid:
			fire(wire.EventNodeChildrenChanged, p)
		default:
			t.watches.add(false, p, w, modeStandard)
		}
	}
	for _, p := range persistent {
		t.watches.addBoth(p, w, modePersistent)
	}
	for _, p := range recursive {
		t.watches.addBoth(p, w, modeRecursive)
	}
	return evs, nil
}
