package cache

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/zabkit/zabkit/client"
)

var (
	// ErrClosed is returned by Err after Close.
	ErrClosed = errors.New("cache: closed")
	// ErrStopped is matched by Err once the cache stopped following the
	// tree: its Conn is finished (a session expiry without renewal, an
	// authentication failure, Close of the Conn) or a read failed with an
	// error that no reconnect cures (such as client.ErrNoAuth); the error
	// also matches that cause.
	ErrStopped = errors.New("cache: stopped following the tree")
)

// Node is one cached znode. Its Stat is the one read with its data; its
// child counters (Cversion, NumChildren, Pzxid) are those of that read and
// are not kept current (use Children).
type Node struct {
	Path string
	Data []byte
	Stat client.Stat
}

// EventType says what an Event reports.
type EventType int

// The events of a Listen stream.
const (
	// EventCreated: a node entered the cache (created on the servers, or
	// found by a re-read, or part of the snapshot a stream starts with).
	EventCreated EventType = iota + 1
	// EventChanged: a cached node's data or Stat changed.
	EventChanged
	// EventDeleted: a node left the cache; Node is its last cached value.
	EventDeleted
	// EventInitialized: the snapshot is complete (once per stream, after
	// the EventCreated of every node cached when it started).
	EventInitialized
	// EventStale: the cache may be behind the servers (no connection, or
	// the session expired); reads still answer from the copy.
	EventStale
	// EventSynced: after EventStale, the tree was read again and every
	// difference was reported: the cache is current again.
	EventSynced
)

// String returns the event type's name: "created", "changed", "deleted",
// "initialized", "stale" or "synced".
func (t EventType) String() string {
	switch t {
	case EventCreated:
		return "created"
	case EventChanged:
		return "changed"
	case EventDeleted:
		return "deleted"
	case EventInitialized:
		return "initialized"
	case EventStale:
		return "stale"
	case EventSynced:
		return "synced"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// Event is one change of the cache. Node is set for created, changed and
// deleted nodes; Old is the previous value of a changed node.
type Event struct {
	Type EventType
	Node Node
	Old  Node
}

// String returns the event's type, and for a node's event its path and
// data (quoted), for logs.
func (e Event) String() string {
	if e.Type == EventCreated || e.Type == EventChanged || e.Type == EventDeleted {
		return fmt.Sprintf("%v %s %q", e.Type, e.Node.Path, e.Node.Data)
	}
	return e.Type.String()
}

// Option configures a Cache.
type Option func(*options)

type options struct {
	depth   int
	oneShot bool
}

// WithDepth limits the cache to depth levels below its path: 0 caches the
// node alone, 1 the node and its children, and a negative depth (the
// default) the whole subtree.
func WithDepth(depth int) Option { return func(o *options) { o.depth = depth } }

// WithOneShotWatches follows the tree with one-shot watches even on a
// server that has persistent ones (the mode used automatically on servers
// before ZooKeeper 3.6).
func WithOneShotWatches() Option { return func(o *options) { o.oneShot = true } }

// Cache is a local copy of a znode and the nodes below it, kept current by
// watches. Its methods are safe for concurrent use.
type Cache struct {
	c     *client.Conn
	root  string
	depth int

	mu      sync.Mutex
	nodes   map[string]Node
	kids    map[string]map[string]struct{} // parent path -> names of its cached children
	stale   bool
	initial bool // the first snapshot is loaded
	err     error
	subs    []*sub
	loaded  chan struct{} // closed after the first snapshot or when the cache ends
	stop    chan struct{} // closed by Close

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New starts caching path on c and returns once the first snapshot is
// read, or ctx ends (the cache is then closed and ctx's error returned),
// or the Conn is finished. Close stops the cache.
func New(ctx context.Context, c *client.Conn, path string, opts ...Option) (*Cache, error) {
	if err := client.ValidatePath(path); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	o := options{depth: -1}
	for _, f := range opts {
		f(&o)
	}
	t := &Cache{c: c, root: path, depth: o.depth, nodes: map[string]Node{},
		kids: map[string]map[string]struct{}{}, stale: true,
		loaded: make(chan struct{}), stop: make(chan struct{})}
	rctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		t.run(rctx, o.oneShot)
	}()
	select {
	case <-t.loaded:
	case <-ctx.Done():
		t.Close()
		return nil, ctx.Err()
	}
	if err := t.Err(); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// Path returns the path the cache follows.
func (t *Cache) Path() string { return t.root }

// Get returns the cached node at path.
func (t *Cache) Get(path string) (Node, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, ok := t.nodes[path]
	return n, ok
}

// Children returns the sorted names of the cached children of path.
func (t *Cache) Children(path string) []string {
	t.mu.Lock()
	out := make([]string, 0, len(t.kids[path]))
	for k := range t.kids[path] {
		out = append(out, k)
	}
	t.mu.Unlock()
	slices.Sort(out)
	return out
}

// Walk calls fn for every cached node in path order (a parent before its
// children) until fn returns false. It works on a copy: fn may call the
// cache.
func (t *Cache) Walk(fn func(Node) bool) {
	for _, n := range t.snapshot() {
		if !fn(n) {
			return
		}
	}
}

// Len returns the number of cached nodes.
func (t *Cache) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.nodes)
}

// Stale reports whether the copy may be behind the servers: the Conn has
// no connection or is between sessions (the tree is read again once it
// has one), or the cache stopped following the tree (Err).
func (t *Cache) Stale() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stale
}

// Err returns nil while the cache follows the tree; then why it stopped:
// an error matching ErrStopped and the Conn's error, or ErrClosed after
// Close.
func (t *Cache) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Close stops the cache, ends every Listen stream and waits for the
// cache's goroutines. Reads keep answering from the last copy.
func (t *Cache) Close() {
	t.mu.Lock()
	select {
	case <-t.stop:
	default:
		close(t.stop)
	}
	if t.err == nil {
		t.err = ErrClosed
	}
	t.stale = true
	t.mu.Unlock()
	t.cancel()
	t.wg.Wait()
}

// snapshot returns the cached nodes sorted by path.
func (t *Cache) snapshot() []Node {
	t.mu.Lock()
	out := make([]Node, 0, len(t.nodes))
	for _, n := range t.nodes {
		out = append(out, n)
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b Node) int { return comparePaths(a.Path, b.Path) })
	return out
}

// comparePaths orders paths so that a parent comes right before its
// subtree.
func comparePaths(a, b string) int {
	return strings.Compare(strings.ReplaceAll(a, "/", "\x00"), strings.ReplaceAll(b, "/", "\x00"))
}

// splitPath returns p's parent path and p's name.
func splitPath(p string) (parent, name string) {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/", p[i+1:]
	}
	return p[:i], p[i+1:]
}

// level returns how deep p is below the root (0 for the root), and false
// if p is not in the root's subtree.
func (t *Cache) level(p string) (int, bool) {
	if p == t.root {
		return 0, true
	}
	prefix := t.root + "/"
	if t.root == "/" {
		prefix = "/"
	}
	r, ok := strings.CutPrefix(p, prefix)
	if !ok || r == "" {
		return 0, false
	}
	return strings.Count(r, "/") + 1, true
}

// within reports whether p is in the cached part of the tree.
func (t *Cache) within(p string) bool {
	l, ok := t.level(p)
	return ok && (t.depth < 0 || l <= t.depth)
}

// set caches n and reports the change.
func (t *Cache) set(n Node) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.setLocked(n)
}

// setLocked is set with t.mu held.
func (t *Cache) setLocked(n Node) {
	old, ok := t.nodes[n.Path]
	switch {
	case !ok:
		t.nodes[n.Path] = n
		if n.Path != t.root {
			parent, name := splitPath(n.Path)
			m := t.kids[parent]
			if m == nil {
				m = map[string]struct{}{}
				t.kids[parent] = m
			}
			m[name] = struct{}{}
		}
		t.emitLocked(Event{Type: EventCreated, Node: n})
	case dataChanged(old, n):
		t.nodes[n.Path] = n
		t.emitLocked(Event{Type: EventChanged, Node: n, Old: old})
	}
}

// dataChanged reports whether n is a new state of old's node: other data
// or another node at the same path. The child counters of a Stat
// (Cversion, NumChildren, Pzxid) are not followed: a persistent watch does
// not report them.
func dataChanged(old, n Node) bool {
	a, b := old.Stat, n.Stat
	return a.Czxid != b.Czxid || a.Mzxid != b.Mzxid || a.Version != b.Version || a.Aversion != b.Aversion ||
		string(old.Data) != string(n.Data)
}

// remove drops p and its cached subtree, reporting children before their
// parents.
func (t *Cache) remove(p string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.removeLocked(p)
}

// removeLocked is remove with t.mu held: p's cached children (found in
// the index, whether p itself is cached or not) go first, deepest first.
func (t *Cache) removeLocked(p string) {
	names := make([]string, 0, len(t.kids[p]))
	for k := range t.kids[p] {
		names = append(names, k)
	}
	slices.Sort(names)
	for i := len(names) - 1; i >= 0; i-- {
		t.removeLocked(client.JoinPath(p, names[i]))
	}
	n, ok := t.nodes[p]
	if !ok {
		return
	}
	delete(t.nodes, p)
	if p != t.root {
		parent, name := splitPath(p)
		delete(t.kids[parent], name)
		if len(t.kids[parent]) == 0 {
			delete(t.kids, parent)
		}
	}
	t.emitLocked(Event{Type: EventDeleted, Node: n})
}

// replace makes fresh (a full read of the tree) the copy, reporting every
// difference: deletions deepest first, then creations and changes parents
// first.
func (t *Cache) replace(fresh map[string]Node) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var gone []string
	for p := range t.nodes {
		if _, ok := fresh[p]; !ok {
			gone = append(gone, p)
		}
	}
	slices.SortFunc(gone, func(a, b string) int { return comparePaths(b, a) })
	for _, p := range gone {
		t.removeLocked(p) // deepest first: their subtrees are gone already
	}
	keys := make([]string, 0, len(fresh))
	for p := range fresh {
		keys = append(keys, p)
	}
	slices.SortFunc(keys, comparePaths)
	for _, p := range keys {
		t.setLocked(fresh[p])
	}
}

// synced marks the copy current after a full read: the first time it
// reports EventInitialized and releases New, later EventSynced.
func (t *Cache) synced() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stale {
		return
	}
	t.stale = false
	if !t.initial {
		t.initial = true
		t.emitLocked(Event{Type: EventInitialized})
		close(t.loaded)
		return
	}
	t.emitLocked(Event{Type: EventSynced})
}

// markStale reports that the copy may be behind.
func (t *Cache) markStale() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stale {
		return
	}
	t.stale = true
	t.emitLocked(Event{Type: EventStale})
}

// end stops following the tree with err (nil: closed).
func (t *Cache) end(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil && err != nil {
		t.err = fmt.Errorf("%w: %w", ErrStopped, err)
	}
	if !t.stale {
		t.stale = true
		t.emitLocked(Event{Type: EventStale})
	}
	for _, s := range t.subs {
		s.ended = true
		s.wakeUp()
	}
	t.subs = nil
	if !t.initial {
		t.initial = true
		close(t.loaded)
	}
}
