package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/zabkit/zabkit/wire"
)

// Event is a watch event: what happened (Type) and to which znode (Path,
// relative to the chroot).
type Event struct {
	Type EventType
	Path string
}

// EventType is the type of a watch event.
type EventType = wire.EventType

// Event types, with ZooKeeper's values. The *Removed types are produced by
// the client when a watch is removed with RemoveWatches or Watch.Remove.
const (
	EventNodeCreated            = wire.EventNodeCreated
	EventNodeDeleted            = wire.EventNodeDeleted
	EventNodeDataChanged        = wire.EventNodeDataChanged
	EventNodeChildrenChanged    = wire.EventNodeChildrenChanged
	EventDataWatchRemoved       = wire.EventDataWatchRemoved
	EventChildWatchRemoved      = wire.EventChildWatchRemoved
	EventPersistentWatchRemoved = wire.EventPersistentWatchRemoved
)

// WatcherType selects the watches RemoveWatches removes.
type WatcherType = wire.WatcherType

// Watcher types for RemoveWatches.
const (
	// WatcherChildren: child watches (ChildrenW).
	WatcherChildren = wire.WatcherChildren
	// WatcherData: data and exists watches (GetW, ExistsW).
	WatcherData = wire.WatcherData
	// WatcherAny: every watch on the path, persistent ones included.
	WatcherAny = wire.WatcherAny
)

// AddWatchMode is the mode of a persistent watch.
type AddWatchMode = wire.AddWatchMode

// Persistent watch modes for AddWatch.
const (
	// AddWatchPersistent: data changes, creation and deletion of the path,
	// and changes to its children list.
	AddWatchPersistent = wire.AddWatchPersistent
	// AddWatchPersistentRecursive: creation, deletion and data changes of
	// the path and of every node below it (no NodeChildrenChanged).
	AddWatchPersistentRecursive = wire.AddWatchPersistentRecursive
)

type watchKind int

const (
	watchNone  watchKind = iota
	watchData            // getData, or exists on an existing node
	watchExist           // exists (on a missing node, decided on reply)
	watchChild           // getChildren
	watchPersistent
	watchRecursive
)

// watchReg is what a read request registers when its reply arrives.
type watchReg struct {
	kind watchKind
	path string     // server path
	ch   chan Event // one-shot target (capacity 1)
	pw   *Watch     // persistent target
}

// watchManager holds the session's watches, keyed by server path. Its
// methods are called from the receive loop (register, trigger) and from
// users (remove); every one-shot channel has capacity 1 and receives at
// most one event, so triggering never blocks.
type watchManager struct {
	mu         sync.Mutex
	data       map[string][]chan Event
	exist      map[string][]chan Event
	child      map[string][]chan Event
	persistent map[string][]*Watch
	recursive  map[string][]*Watch
	closed     bool
}

func newWatchManager() *watchManager {
	return &watchManager{
		data:       map[string][]chan Event{},
		exist:      map[string][]chan Event{},
		child:      map[string][]chan Event{},
		persistent: map[string][]*Watch{},
		recursive:  map[string][]*Watch{},
	}
}

// register records w after a successful reply (rc is the reply's code).
// Exists registers a data watch when the node exists and an exist watch
// when it does not; other reads register only on success.
func (m *watchManager) register(w *watchReg, rc wire.Code) bool {
	if w == nil || w.kind == watchNone {
		return false
	}
	kind := w.kind
	switch {
	case kind == watchExist && rc == wire.CodeOK:
		kind = watchData
	case kind == watchExist && rc == wire.CodeNoNode:
	case rc != wire.CodeOK:
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		if w.ch != nil {
			close(w.ch)
		}
		if w.pw != nil {
			w.pw.s.finish()
		}
		return false
	}
	switch kind {
	case watchData:
		m.data[w.path] = append(m.data[w.path], w.ch)
	case watchExist:
		m.exist[w.path] = append(m.exist[w.path], w.ch)
	case watchChild:
		m.child[w.path] = append(m.child[w.path], w.ch)
	case watchPersistent:
		m.persistent[w.path] = append(m.persistent[w.path], w.pw)
	case watchRecursive:
		m.recursive[w.path] = append(m.recursive[w.path], w.pw)
	}
	return true
}

func fire(chs []chan Event, ev Event) {
	for _, ch := range chs {
		ch <- ev // capacity 1, never sent to before: cannot block
		close(ch)
	}
}

// trigger delivers a server event (ev.Path is the server path; client is
// the path to report) to the watches it concerns, as ZooKeeper's client
// does: one-shot watches fire once and are forgotten, persistent ones stay.
func (m *watchManager) trigger(typ EventType, serverPath, clientPath string) {
	ev := Event{Type: typ, Path: clientPath}
	m.mu.Lock()
	defer m.mu.Unlock()
	var fired []chan Event
	take := func(tbl map[string][]chan Event) {
		if chs, ok := tbl[serverPath]; ok {
			fired = append(fired, chs...)
			delete(tbl, serverPath)
		}
	}
	switch typ {
	case EventNodeCreated, EventNodeDataChanged:
		take(m.data)
		take(m.exist)
	case EventNodeChildrenChanged:
		take(m.child)
	case EventNodeDeleted:
		take(m.data)
		take(m.exist)
		take(m.child)
	default:
		return
	}
	fire(fired, ev)
	for _, w := range m.persistent[serverPath] {
		w.s.push(ev)
	}
	if typ == EventNodeChildrenChanged {
		return // recursive watches do not see child-list changes
	}
	for p := serverPath; ; p = parentPath(p) {
		for _, w := range m.recursive[p] {
			w.s.push(ev)
		}
		if p == "/" {
			break
		}
	}
}

// parentPath returns the parent of a znode path ("/" for "/" and "/a").
func parentPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// removeLocal removes the watches of type t on serverPath after a
// successful removeWatches, giving each one-shot watch its *Removed event
// and ending persistent ones with EventPersistentWatchRemoved.
// It returns the number of watches removed.
func (m *watchManager) removeLocal(serverPath, clientPath string, t WatcherType) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	if t == WatcherData || t == WatcherAny {
		ev := Event{Type: EventDataWatchRemoved, Path: clientPath}
		n += len(m.data[serverPath]) + len(m.exist[serverPath])
		fire(m.data[serverPath], ev)
		fire(m.exist[serverPath], ev)
		delete(m.data, serverPath)
		delete(m.exist, serverPath)
	}
	if t == WatcherChildren || t == WatcherAny {
		n += len(m.child[serverPath])
		fire(m.child[serverPath], Event{Type: EventChildWatchRemoved, Path: clientPath})
		delete(m.child, serverPath)
	}
	if t == WatcherAny {
		ev := Event{Type: EventPersistentWatchRemoved, Path: clientPath}
		for _, tbl := range []map[string][]*Watch{m.persistent, m.recursive} {
			n += len(tbl[serverPath])
			for _, w := range tbl[serverPath] {
				w.s.push(ev)
				w.s.finish()
			}
			delete(tbl, serverPath)
		}
	}
	return n
}

// forget removes one persistent watch and reports whether any watch of any
// kind is left on its path.
func (m *watchManager) forget(w *Watch) (othersLeft bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, tbl := range []map[string][]*Watch{m.persistent, m.recursive} {
		ws := tbl[w.serverPath]
		for i, x := range ws {
			if x == w {
				ws = append(ws[:i:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(tbl, w.serverPath)
		} else {
			tbl[w.serverPath] = ws
		}
	}
	p := w.serverPath
	return len(m.data[p])+len(m.exist[p])+len(m.child[p])+len(m.persistent[p])+len(m.recursive[p]) > 0
}

// closeAll ends every watch: one-shot channels close without an event,
// persistent streams close after their queued events. Used when the
// session ends.
func (m *watchManager) closeAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.closeOneShotLocked()
	for _, tbl := range []map[string][]*Watch{m.persistent, m.recursive} {
		for p, ws := range tbl {
			for _, w := range ws {
				w.s.finish()
			}
			delete(tbl, p)
		}
	}
}

// expire ends the one-shot watches of a session that expired: their
// channels close without an event (what they watched may have changed
// unseen, and the new session cannot re-register them). Persistent watches
// stay, to be re-added on the next session.
func (m *watchManager) expire() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closeOneShotLocked()
}

// closeOneShotLocked closes every one-shot watch channel without an event
// and forgets them (m.mu held).
func (m *watchManager) closeOneShotLocked() {
	for _, tbl := range []map[string][]chan Event{m.data, m.exist, m.child} {
		for p, chs := range tbl {
			for _, ch := range chs {
				close(ch)
			}
			delete(tbl, p)
		}
	}
}

// watchSet lists the server paths to re-register after a reconnect.
type watchSet struct {
	data, exist, child, persistent, recursive []string
}

func (m *watchManager) snapshot() watchSet {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := func(tbl map[string][]chan Event) []string {
		out := make([]string, 0, len(tbl))
		for p := range tbl {
			out = append(out, p)
		}
		return out
	}
	pkeys := func(tbl map[string][]*Watch) []string {
		out := make([]string, 0, len(tbl))
		for p := range tbl {
			out = append(out, p)
		}
		return out
	}
	return watchSet{
		data: keys(m.data), exist: keys(m.exist), child: keys(m.child),
		persistent: pkeys(m.persistent), recursive: pkeys(m.recursive),
	}
}

// setWatchesMaxLength bounds the total length of the paths in one
// SetWatches packet, as ZooKeeper's ClientCnxn does (128 KiB), so that a
// session with many watches does not exceed the server's max packet size.
const setWatchesMaxLength = 128 * 1024

// packets splits ws into SetWatches records (SetWatches2 when
// persistent watches exist, as ZooKeeper's client does, so that servers
// older than 3.6 still understand the common case).
func (ws watchSet) packets(relZxid int64) []*request {
	v2 := len(ws.persistent)+len(ws.recursive) > 0
	lists := [][]string{ws.data, ws.exist, ws.child, ws.persistent, ws.recursive}
	var out []*request
	var cur [5][]string
	size := 0
	flush := func() {
		if cur[0] == nil && cur[1] == nil && cur[2] == nil && cur[3] == nil && cur[4] == nil {
			return
		}
		var rec wire.Record
		op := wire.OpSetWatches
		if v2 {
			op = wire.OpSetWatches2
			rec = &wire.SetWatches2{RelativeZxid: relZxid, DataWatches: nonNil(cur[0]), ExistWatches: nonNil(cur[1]),
				ChildWatches: nonNil(cur[2]), PersistentWatches: nonNil(cur[3]), PersistentRecursiveWatches: nonNil(cur[4])}
		} else {
			rec = &wire.SetWatches{RelativeZxid: relZxid, DataWatches: nonNil(cur[0]), ExistWatches: nonNil(cur[1]),
				ChildWatches: nonNil(cur[2])}
		}
		out = append(out, &request{op: op, xid: wire.XidSetWatches, body: wire.Marshal(rec), done: make(chan struct{})})
		cur = [5][]string{}
		size = 0
	}
	for i, l := range lists {
		for _, p := range l {
			if size > 0 && size+len(p) > setWatchesMaxLength {
				flush()
			}
			cur[i] = append(cur[i], p)
			size += len(p)
		}
	}
	flush()
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Watch is a persistent watch set with AddWatch. It delivers every event
// of its path (and, when recursive, of the subtree below it) on Events
// until it is removed or the Conn is finished. With WithSessionRenewal it
// is re-added on the Conn's next session after an expiry (changes made in
// between are not reported; see "Session expiry" in the package doc).
//
// Delivery never drops an event and never blocks the connection: events wait
// in an unbounded queue until received, so a consumer that stops reading
// makes the queue grow. When the watch is removed, Events receives
// EventPersistentWatchRemoved and then closes; when the Conn is finished,
// it closes after the queued events; when Close returns, undelivered events are
// discarded and the channel is closed.
type Watch struct {
	c          *Conn
	path       string // client path
	serverPath string
	mode       AddWatchMode
	s          *stream[Event]
	removeOnce sync.Once
}

// Events returns the channel of the watch's events.
func (w *Watch) Events() <-chan Event { return w.s.out }

// Path returns the watched path.
func (w *Watch) Path() string { return w.path }

// Mode returns the watch's mode.
func (w *Watch) Mode() AddWatchMode { return w.mode }

// Remove stops the watch: Events then receives EventPersistentWatchRemoved
// and closes. The server-side watch is removed (with removeWatches, type
// Any) only when no other watch of this Conn remains on the same path;
// otherwise the server keeps sending events and the client stops routing
// them to this watch. Removing a watch twice is a no-op.
func (w *Watch) Remove(ctx context.Context) error {
	var err error
	w.removeOnce.Do(func() {
		others := w.c.watches.forget(w)
		w.s.push(Event{Type: EventPersistentWatchRemoved, Path: w.path})
		w.s.finish()
		if others {
			return
		}
		req := &wire.RemoveWatchesRequest{Path: w.serverPath, Type: int32(WatcherAny)}
		_, err = w.c.call(ctx, wire.OpRemoveWatches, req, nil, nil)
		if err != nil && !errors.Is(err, ErrNoWatcher) && !IsSessionLost(err) {
			err = fmt.Errorf("zk: remove watch %s: %w", w.path, err)
			return
		}
		err = nil
	})
	return err
}
