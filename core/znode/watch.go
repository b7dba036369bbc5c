package znode

import (
	"errors"
	"reflect"
	"slices"
	"sync"

	"github.com/zabkit/zabkit/wire"
)

// Watcher identifies whoever registered a watch: an opaque handle the
// server supplies, typically a pointer to its connection. It must be
// comparable (a pointer, an integer, a string, or a struct of those);
// registration rejects others with ErrWatcherNotComparable.
type Watcher any

// ErrWatcherNotComparable is returned when a Watcher value cannot be used
// as a map key.
var ErrWatcherNotComparable = errors.New("znode: watcher is not comparable")

// Event is one watch notification triggered by an applied txn: every
// watcher listed gets a WatcherEvent with this type and path (state
// SyncConnected). Watchers are listed in registration order.
//
// ACL is the ACL of the node the event is about (of the parent for
// NodeChildrenChanged). ZooKeeper 3.8.4 delivers an event only to
// connections that have READ on it (CheckACL(ev.ACL, wire.PermRead,
// auth)); the watch is consumed either way. The slice is shared and must
// not be modified.
type Event struct {
	Type     wire.EventType
	Path     string
	Watchers []Watcher
	ACL      []wire.ACL
}

type watchMode uint8

const (
	modeStandard watchMode = iota
	modePersistent
	modeRecursive
)

type watchEntry struct {
	mode watchMode
	seq  uint64
}

// watchTable is one of ZooKeeper's two WatchManagers (data or child): a
// watcher has at most one mode per path, and the last registration wins,
// as in ZooKeeper 3.8 (a getData watch on a path with a persistent watch of
// the same watcher turns it into a one-shot watch).
type watchTable struct {
	byPath    map[string]map[Watcher]watchEntry
	byWatcher map[Watcher]map[string]struct{}
	recursive int
}

func newWatchTable() watchTable {
	return watchTable{byPath: map[string]map[Watcher]watchEntry{}, byWatcher: map[Watcher]map[string]struct{}{}}
}

func (t *watchTable) add(path string, w Watcher, mode watchMode, seq uint64) {
	ws := t.byPath[path]
	if ws == nil {
		ws = map[Watcher]watchEntry{}
		t.byPath[path] = ws
	}
	if old, ok := ws[w]; ok {
		if old.mode == modeRecursive {
			t.recursive--
		}
		seq = old.seq
	}
	if mode == modeRecursive {
		t.recursive++
	}
	ws[w] = watchEntry{mode: mode, seq: seq}
	ps := t.byWatcher[w]
	if ps == nil {
		ps = map[string]struct{}{}
		t.byWatcher[w] = ps
	}
	ps[path] = struct{}{}
}

func (t *watchTable) remove(path string, w Watcher) bool {
	ws := t.byPath[path]
	e, ok := ws[w]
	if !ok {
		return false
	}
	if e.mode == modeRecursive {
		t.recursive--
	}
	delete(ws, w)
	if len(ws) == 0 {
		delete(t.byPath, path)
	}
	if ps := t.byWatcher[w]; ps != nil {
		delete(ps, path)
		if len(ps) == 0 {
			delete(t.byWatcher, w)
		}
	}
	return true
}

func (t *watchTable) removeWatcher(w Watcher) {
	for path := range t.byWatcher[w] {
		t.remove(path, w)
	}
}

type hit struct {
	w   Watcher
	seq uint64
}

// trigger implements WatchManager.triggerWatch: watchers on path itself
// fire (one-shot ones are removed), and, when recursive watches exist,
// recursive watchers on path or any ancestor fire too, except for
// NodeChildrenChanged. Watchers in skip are removed as usual but not
// reported.
func (t *watchTable) trigger(path string, typ wire.EventType, skip map[Watcher]struct{}, out map[Watcher]uint64) {
	p := path
	atParent := false
	for {
		ws := t.byPath[p]
		for w, e := range ws {
			switch {
			case e.mode == modeRecursive:
				if typ != wire.EventNodeChildrenChanged {
					out[w] = e.seq
				}
			case !atParent:
				out[w] = e.seq
				if e.mode == modeStandard {
					t.remove(p, w)
				}
			}
		}
		if t.recursive == 0 || p == "/" {
			break
		}
		parent, _, ok := splitPath(p)
		if !ok {
			break
		}
		p = parent
		atParent = true
	}
	for w := range skip {
		delete(out, w)
	}
}

// watches is the watch registry of a tree: ZooKeeper's data and child
// WatchManagers. It has its own mutex, so reads that register watches may
// run concurrently (under the server's read lock) with each other; Apply,
// which triggers watches, holds the server's write lock.
type watches struct {
	mu    sync.Mutex
	data  watchTable
	child watchTable
	seq   uint64
}

func newWatches() *watches {
	return &watches{data: newWatchTable(), child: newWatchTable()}
}

func checkWatcher(w Watcher) error {
	if w == nil {
		return ErrWatcherNotComparable
	}
	if !reflect.TypeOf(w).Comparable() {
		return ErrWatcherNotComparable
	}
	return nil
}

func (ws *watches) add(data bool, path string, w Watcher, mode watchMode) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.seq++
	if data {
		ws.data.add(path, w, mode, ws.seq)
	} else {
		ws.child.add(path, w, mode, ws.seq)
	}
}

func (ws *watches) addBoth(path string, w Watcher, mode watchMode) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.seq++
	ws.child.add(path, w, mode, ws.seq)
	ws.data.add(path, w, mode, ws.seq)
}

func sortedHits(m map[Watcher]uint64) []Watcher {
	if len(m) == 0 {
		return nil
	}
	hs := make([]hit, 0, len(m))
	for w, s := range m {
		hs = append(hs, hit{w, s})
	}
	slices.SortFunc(hs, func(a, b hit) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	out := make([]Watcher, len(hs))
	for i, h := range hs {
		out[i] = h.w
	}
	return out
}

// triggerEvents returns the events of one tree change, in ZooKeeper's
// order, appending them to evs:
//
//	created:  NodeCreated(path) on data watches, NodeChildrenChanged(parent) on child watches
//	deleted:  NodeDeleted(path) on data then child watches (each watcher once),
//	          NodeChildrenChanged(parent) on child watches
//	changed:  NodeDataChanged(path) on data watches
func (ws *watches) triggerEvents(evs []Event, typ wire.EventType, path string, acl, parentACL []wire.ACL) []Event {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if len(ws.data.byPath) == 0 && len(ws.child.byPath) == 0 {
		return evs
	}
	parent, _, _ := splitPath(path)
	emit := func(t wire.EventType, p string, m map[Watcher]uint64, a []wire.ACL) {
		if len(m) > 0 {
			evs = append(evs, Event{Type: t, Path: p, Watchers: sortedHits(m), ACL: a})
		}
	}
	switch typ {
	case wire.EventNodeCreated:
		m := map[Watcher]uint64{}
		ws.data.trigger(path, wire.EventNodeCreated, nil, m)
		emit(wire.EventNodeCreated, path, m, acl)
		m = map[Watcher]uint64{}
		ws.child.trigger(parent, wire.EventNodeChildrenChanged, nil, m)
		emit(wire.EventNodeChildrenChanged, parent, m, parentACL)
	case wire.EventNodeDeleted:
		m := map[Watcher]uint64{}
		ws.data.trigger(path, wire.EventNodeDeleted, nil, m)
		seen := make(map[Watcher]struct{}, len(m))
		for w := range m {
			seen[w] = struct{}{}
		}
		first := sortedHits(m)
		m2 := map[Watcher]uint64{}
		ws.child.trigger(path, wire.EventNodeDeleted, seen, m2)
		all := append(first, sortedHits(m2)...)
		if len(all) > 0 {
			evs = append(evs, Event{Type: wire.EventNodeDeleted, Path: path, Watchers: all, ACL: acl})
		}
		m = map[Watcher]uint64{}
		ws.child.trigger(parent, wire.EventNodeChildrenChanged, nil, m)
		emit(wire.EventNodeChildrenChanged, parent, m, parentACL)
	case wire.EventNodeDataChanged:
		m := map[Watcher]uint64{}
		ws.data.trigger(path, wire.EventNodeDataChanged, nil, m)
		emit(wire.EventNodeDataChanged, path, m, acl)
	}
	return evs
}

func (ws *watches) remove(path string, typ wire.WatcherType, w Watcher) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	removed := false
	if typ == wire.WatcherChildren || typ == wire.WatcherAny {
		removed = ws.child.remove(path, w) || removed
	}
	if typ == wire.WatcherData || typ == wire.WatcherAny {
		removed = ws.data.remove(path, w) || removed
	}
	return removed
}

// contains reports whether w has a watch registered on path itself. Like
// ZooKeeper 3.8's checkWatches, a recursive watch on an ancestor does not
// count.
func (t *watchTable) contains(path string, w Watcher) bool {
	_, ok := t.byPath[path][w]
	return ok
}

func (ws *watches) contains(path string, typ wire.WatcherType, w Watcher) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if (typ == wire.WatcherChildren || typ == wire.WatcherAny) && ws.child.contains(path, w) {
		return true
	}
	return (typ == wire.WatcherData || typ == wire.WatcherAny) && ws.data.contains(path, w)
}

func (ws *watches) removeWatcher(w Watcher) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.data.removeWatcher(w)
	ws.child.removeWatcher(w)
}

func (ws *watches) count() (data, child int) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, m := range ws.data.byPath {
		data += len(m)
	}
	for _, m := range ws.child.byPath {
		child += len(m)
	}
	return data, child
}
