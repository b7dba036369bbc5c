package conformance

import (
	"context"
	"fmt"
	"testing"
)

// One-shot data, exists and child watches; event order; persistent and
// persistent-recursive watches.

var watchChecks = []check{
	{name: "watch-data", run: checkWatchData},
	{name: "watch-exists", run: checkWatchExists},
	{name: "watch-event-before-own-reply", run: checkWatchBeforeReply},
	{name: "watch-child", run: checkWatchChild},
	{name: "watch-one-shot-and-order", needs: []feature{featEventLog}, run: checkWatchOrder},
	{name: "watch-child-ignores-data", needs: []feature{featEventLog}, run: checkWatchChildIgnoresData},
	{name: "watch-setacl-fires-nothing", needs: []feature{featEventLog}, run: checkWatchSetACL},
	{name: "watch-multi-triggers", needs: []feature{featMulti}, run: checkWatchMulti},
	{name: "watch-noauth-sets-nothing", needs: []feature{featEventLog}, run: checkWatchNoAuth},
	{name: "watch-server-registry", needs: []feature{featRemoveWatches}, run: checkWatchRegistry},
	{name: "watch-remove", needs: []feature{featRemoveWatches}, run: checkWatchRemove},
	{name: "watch-persistent", needs: []feature{featPersistentWatch}, run: checkWatchPersistent},
	{name: "watch-same-order-on-every-server", needs: []feature{featPersistentWatch}, run: checkWatchOrderAcrossServers},
	{name: "watch-persistent-recursive", needs: []feature{featPersistentWatch}, run: checkWatchRecursive},
}

// eventLog is implemented by drivers that see every watch event of a
// connection in arrival order (featEventLog).
type eventLog interface {
	EventCount() int
	WaitEvents(ctx context.Context, from, n int) ([]Event, error)
}

func checkWatchData(t *testing.T, e *env) {
	w := e.dial()
	c := e.dial()
	ctx := e.ctx()
	p := e.create(c, e.p("n"), "v0", ModePersistent)
	e.sync(w)

	data, _, watch, err := w.GetW(ctx, p)
	e.must(err, "getW")
	if string(data) != "v0" {
		t.Errorf("getW data = %q", data)
	}
	_, err = c.Set(ctx, p, []byte("v1"), -1)
	e.must(err, "set")
	e.next(watch, EventDataChanged, p)
	// A client sees the event before it can read the data that caused it.
	if data, _, err := w.Get(ctx, p); err != nil || string(data) != "v1" {
		t.Errorf("get after the event = %q, %v; want v1", data, err)
	}

	_, _, watch, err = w.GetW(ctx, p)
	e.must(err, "getW again")
	e.must(c.Delete(ctx, p, -1), "delete")
	e.next(watch, EventDeleted, p)

	// getW on a missing node fails and sets no watch.
	_, _, _, err = w.GetW(ctx, p)
	e.code(err, CodeNoNode, "getW on a missing node")
}

// checkWatchBeforeReply: when a client changes a node it watches, the
// server sends the watch event before the reply to the change, so the event
// is already there when the call returns (no waiting).
func checkWatchBeforeReply(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	p := e.create(c, e.p("n"), "", ModePersistent)
	_, _, dw, err := c.GetW(ctx, p)
	e.must(err, "getW")
	_, _, cw, err := c.ChildrenW(ctx, p)
	e.must(err, "childrenW")
	_, err = c.Set(ctx, p, []byte("x"), -1)
	e.must(err, "set")
	if ev, ok := dw.TryNext(); !ok || ev != (Event{EventDataChanged, p, 0}) {
		t.Errorf("after set returned: data watch has %v (delivered %v), want NodeDataChanged already delivered", ev, ok)
	}
	e.create(c, p+"/k", "", ModePersistent)
	if ev, ok := cw.TryNext(); !ok || ev != (Event{EventChildrenChanged, p, 0}) {
		t.Errorf("after create returned: child watch has %v (delivered %v), want NodeChildrenChanged already delivered", ev, ok)
	}
}

func checkWatchExists(t *testing.T, e *env) {
	w := e.dial()
	c := e.dial()
	ctx := e.ctx()
	p := e.p("n")

	ok, _, watch, err := w.ExistsW(ctx, p)
	e.must(err, "existsW on a missing node")
	if ok {
		t.Fatalf("existsW: %s exists", p)
	}
	e.create(c, p, "", ModePersistent)
	e.next(watch, EventCreated, p)

	_, _, watch, err = w.ExistsW(ctx, p)
	e.must(err, "existsW")
	_, err = c.Set(ctx, p, []byte("x"), -1)
	e.must(err, "set")
	e.next(watch, EventDataChanged, p)

	_, _, watch, err = w.ExistsW(ctx, p)
	e.must(err, "existsW")
	e.must(c.Delete(ctx, p, -1), "delete")
	e.next(watch, EventDeleted, p)
}

func checkWatchChild(t *testing.T, e *env) {
	w := e.dial()
	c := e.dial()
	ctx := e.ctx()
	p := e.create(c, e.p("dir"), "", ModePersistent)

	e.sync(w)
	_, _, watch, err := w.ChildrenW(ctx, p)
	e.must(err, "childrenW")
	e.create(c, p+"/a", "", ModePersistent)
	e.next(watch, EventChildrenChanged, p)

	_, _, watch, err = w.ChildrenW(ctx, p)
	e.must(err, "childrenW")
	e.must(c.Delete(ctx, p+"/a", -1), "delete child")
	e.next(watch, EventChildrenChanged, p)

	// Deleting the watched node itself fires NodeDeleted on a child watch.
	_, _, watch, err = w.ChildrenW(ctx, p)
	e.must(err, "childrenW")
	e.must(c.Delete(ctx, p, -1), "delete dir")
	e.next(watch, EventDeleted, p)

	_, _, _, err = w.ChildrenW(ctx, p)
	e.code(err, CodeNoNode, "childrenW on a missing node")
}

// marker makes c trigger an exists watch of w on a fresh node and returns
// once w has set it, so that every event the server sends w before the
// marker's NodeCreated is in w's event log when the marker arrives.
func (e *env) marker(w, c Client, name string) {
	e.t.Helper()
	p := e.p(name)
	_, _, _, err := w.ExistsW(e.ctx(), p)
	e.must(err, "existsW marker")
	e.create(c, p, "", ModePersistent)
}

func checkWatchOrder(t *testing.T, e *env) {
	w := e.dial()
	c := e.dial()
	ctx := e.ctx()
	log := w.(eventLog)
	a := e.create(c, e.p("a"), "", ModePersistent)
	b := e.create(c, e.p("b"), "", ModePersistent)
	d := e.create(c, e.p("d"), "", ModePersistent)
	e.sync(w)
	for _, p := range []string{a, b, d} {
		_, _, _, err := w.GetW(ctx, p)
		e.must(err, "getW %s", p)
	}
	from := log.EventCount()
	// Events arrive in the order of the changes that fired them, and a
	// one-shot watch fires once: the second set of b fires nothing.
	for _, p := range []string{d, b, b, a} {
		_, err := c.Set(ctx, p, []byte("x"), -1)
		e.must(err, "set %s", p)
	}
	e.marker(w, c, "marker")
	got, err := log.WaitEvents(ctx, from, 4)
	e.must(err, "events")
	want := []Event{{EventDataChanged, d, 0}, {EventDataChanged, b, 0}, {EventDataChanged, a, 0}, {EventCreated, e.p("marker"), 0}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func checkWatchChildIgnoresData(t *testing.T, e *env) {
	w := e.dial()
	c := e.dial()
	ctx := e.ctx()
	log := w.(eventLog)
	p := e.create(c, e.p("dir"), "", ModePersistent)
	kid := e.create(c, p+"/kid", "", ModePersistent)
	e.sync(w)
	_, _, _, err := w.ChildrenW(ctx, p)
	e.must(err, "childrenW")
	from := log.EventCount()
	// Neither a child's data nor the parent's own data is a children change.
	_, err = c.Set(ctx, kid, []byte("x"), -1)
	e.must(err, "set child")
	_, err = c.Set(ctx, p, []byte("x"), -1)
	e.must(err, "set parent")
	e.marker(w, c, "marker")
	got, err := log.WaitEvents(ctx, from, 1)
	e.must(err, "events")
	if want := (Event{EventCreated, e.p("marker"), 0}); got[0] != want {
		t.Errorf("first event after data changes = %v, want only the marker %v", got[0], want)
	}
}

// checkWatchSetACL: an ACL change is not a data change; it fires no watch.
func checkWatchSetACL(t *testing.T, e *env) {
	w := e.dial()
	c := e.dial()
	ctx := e.ctx()
	log := w.(eventLog)
	p := e.create(c, e.p("n"), "", ModePersistent)
	e.sync(w)
	_, _, _, err := w.GetW(ctx, p)
	e.must(err, "getW")
	_, _, _, err = w.ChildrenW(ctx, p)
	e.must(err, "childrenW")
	from := log.EventCount()
	_, err = c.SetACL(ctx, p, []ACL{{PermAll &^ PermAdmin, "world", "anyone"}}, -1)
	e.must(err, "setACL")
	e.marker(w, c, "marker")
	got, err := log.WaitEvents(ctx, from, 1)
	e.must(err, "events")
	if want := (Event{EventCreated, e.p("marker"), 0}); got[0] != want {
		t.Errorf("first event after setACL = %v, want only the marker %v", got[0], want)
	}
}

func checkWatchMulti(t *testing.T, e *env) {
	w := e.dial()
	c := e.dial()
	ctx := e.ctx()
	dir := e.create(c, e.p("dir"), "", ModePersistent)
	n := e.create(c, e.p("n"), "", ModePersistent)
	e.sync(w)
	_, _, cw, err := w.ChildrenW(ctx, dir)
	e.must(err, "childrenW")
	_, _, dw, err := w.GetW(ctx, n)
	e.must(err, "getW")
	_, _, ew, err := w.ExistsW(ctx, e.p("new"))
	e.must(err, "existsW")
	_, err = c.Multi(ctx,
		Op{Kind: OpCreate, Path: dir + "/k", ACL: OpenACL},
		Op{Kind: OpSetData, Path: n, Data: []byte("x"), Version: -1},
		Op{Kind: OpCreate, Path: e.p("new"), ACL: OpenACL},
	)
	e.must(err, "multi")
	e.next(cw, EventChildrenChanged, dir)
	e.next(dw, EventDataChanged, n)
	e.next(ew, EventCreated, e.p("new"))
}

func checkWatchNoAuth(t *testing.T, e *env) {
	w := e.dial()
	c := e.dial()
	ctx := e.ctx()
	log := w.(eventLog)
	p := e.p("wo")
	_, err := c.Create(ctx, p, nil, ModePersistent, []ACL{{PermWrite, "world", "anyone"}}, 0)
	e.must(err, "create")
	e.sync(w)
	from := log.EventCount()
	_, _, _, err = w.GetW(ctx, p)
	e.code(err, CodeNoAuth, "getW without READ")
	_, err = c.Set(ctx, p, []byte("x"), -1)
	e.must(err, "set")
	e.marker(w, c, "marker")
	got, err := log.WaitEvents(ctx, from, 1)
	e.must(err, "events")
	if want := (Event{EventCreated, e.p("marker"), 0}); got[0] != want {
		t.Errorf("a refused getW left a watch: first event %v, want the marker %v", got[0], want)
	}
}

// expectEvents reads len(want) events from a persistent watch.
func (e *env) expectEvents(w Watch, want ...Event) {
	e.t.Helper()
	ctx := e.ctx()
	for i, we := range want {
		ev, err := w.Next(ctx)
		if err != nil {
			e.t.Fatalf("event %d: waiting for %v: %v", i, we, err)
		}
		if ev != we {
			e.t.Errorf("event %d = %v, want %v", i, ev, we)
		}
	}
}

func checkWatchPersistent(t *testing.T, e *env) {
	w := e.dial()
	c := e.dial()
	ctx := e.ctx()
	p := e.p("n")
	watch, err := w.AddWatch(ctx, p, false)
	e.must(err, "addWatch persistent on a missing node")
	e.create(c, p, "", ModePersistent)
	_, err = c.Set(ctx, p, []byte("1"), -1)
	e.must(err, "set")
	_, err = c.Set(ctx, p, []byte("2"), -1)
	e.must(err, "set")
	e.create(c, p+"/kid", "", ModePersistent)
	_, err = c.Set(ctx, p+"/kid", []byte("x"), -1) // not watched: a grandchild-level change
	e.must(err, "set kid")
	e.must(c.Delete(ctx, p+"/kid", -1), "delete kid")
	e.must(c.Delete(ctx, p, -1), "delete")
	e.create(c, p, "", ModePersistent) // the watch outlives the node
	e.expectEvents(watch,
		Event{EventCreated, p, 0},
		Event{EventDataChanged, p, 0},
		Event{EventDataChanged, p, 0},
		Event{EventChildrenChanged, p, 0},
		Event{EventChildrenChanged, p, 0},
		Event{EventDeleted, p, 0},
		Event{EventCreated, p, 0},
	)
}

func checkWatchRecursive(t *testing.T, e *env) {
	w := e.dial()
	c := e.dial()
	ctx := e.ctx()
	p := e.create(c, e.p("tree"), "", ModePersistent)
	e.sync(w)
	watch, err := w.AddWatch(ctx, p, true)
	e.must(err, "addWatch recursive")
	// Recursive watches report creates, deletes and data changes of the node
	// and every descendant, never NodeChildrenChanged.
	e.create(c, p+"/a", "", ModePersistent)
	e.create(c, p+"/a/b", "", ModePersistent)
	_, err = c.Set(ctx, p+"/a/b", []byte("x"), -1)
	e.must(err, "set")
	e.must(c.Delete(ctx, p+"/a/b", -1), "delete b")
	_, err = c.Set(ctx, p, []byte("y"), -1)
	e.must(err, "set root")
	e.create(c, e.p("sibling"), "", ModePersistent) // outside the tree
	e.must(c.Delete(ctx, p+"/a", -1), "delete a")
	e.expectEvents(watch,
		Event{EventCreated, p + "/a", 0},
		Event{EventCreated, p + "/a/b", 0},
		Event{EventDataChanged, p + "/a/b", 0},
		Event{EventDeleted, p + "/a/b", 0},
		Event{EventDataChanged, p, 0},
		Event{EventDeleted, p + "/a", 0},
	)
}

// checkWatchRegistry asks the server (checkWatches) which watches the
// session holds: one-shot watches are forgotten once fired, refused reads
// set none, and an exists watch on a missing node is a data watch.
func checkWatchRegistry(t *testing.T, e *env) {
	w := e.dial()
	c := e.dial()
	ctx := e.ctx()
	p := e.create(c, e.p("n"), "", ModePersistent)
	wo := e.p("write-only")
	_, err := c.Create(ctx, wo, nil, ModePersistent, []ACL{{PermWrite, "world", "anyone"}}, 0)
	e.must(err, "create")
	e.sync(w)

	e.code(w.CheckWatches(ctx, p, WatcherAny), CodeNoWatcher, "checkWatches with no watch")
	_, _, dw, err := w.GetW(ctx, p)
	e.must(err, "getW")
	e.must(w.CheckWatches(ctx, p, WatcherData), "checkWatches data after getW")
	e.code(w.CheckWatches(ctx, p, WatcherChildren), CodeNoWatcher, "checkWatches children after only getW")
	_, err = c.Set(ctx, p, []byte("x"), -1)
	e.must(err, "set")
	e.next(dw, EventDataChanged, p)
	e.code(w.CheckWatches(ctx, p, WatcherData), CodeNoWatcher, "checkWatches after the one-shot watch fired")

	_, _, _, err = w.GetW(ctx, wo)
	e.code(err, CodeNoAuth, "getW without READ")
	e.code(w.CheckWatches(ctx, wo, WatcherAny), CodeNoWatcher, "checkWatches after a refused getW")

	missing := e.p("missing")
	_, _, _, err = w.ExistsW(ctx, missing)
	e.must(err, "existsW")
	e.must(w.CheckWatches(ctx, missing, WatcherData), "checkWatches data after existsW on a missing node")
	_, _, _, err = w.ChildrenW(ctx, p)
	e.must(err, "childrenW")
	e.must(w.CheckWatches(ctx, p, WatcherChildren), "checkWatches children after childrenW")
	e.must(w.CheckWatches(ctx, p, WatcherAny), "checkWatches any after childrenW")
}

// checkWatchRemove removes watches on the server: the removed one-shot
// watch ends with a *WatchRemoved event and the server forgets it.
func checkWatchRemove(t *testing.T, e *env) {
	w := e.dial()
	ctx := e.ctx()
	p := e.create(w, e.p("n"), "", ModePersistent)

	e.code(w.RemoveWatches(ctx, p, WatcherData), CodeNoWatcher, "removeWatches with no watch")
	_, _, cw, err := w.ChildrenW(ctx, p)
	e.must(err, "childrenW")
	_, _, dw, err := w.GetW(ctx, p)
	e.must(err, "getW")
	e.must(w.RemoveWatches(ctx, p, WatcherChildren), "removeWatches children")
	e.next(cw, EventChildWatchRemoved, p)
	e.code(w.CheckWatches(ctx, p, WatcherChildren), CodeNoWatcher, "checkWatches children after removal")
	e.must(w.CheckWatches(ctx, p, WatcherData), "the data watch is still there")
	e.must(w.RemoveWatches(ctx, p, WatcherAny), "removeWatches any")
	e.next(dw, EventDataWatchRemoved, p)
	e.code(w.CheckWatches(ctx, p, WatcherAny), CodeNoWatcher, "checkWatches after removing all")

	if e.driver.Lacks(featPersistentWatch) == "" {
		pw, err := w.AddWatch(ctx, p, true)
		e.must(err, "addWatch")
		e.must(w.CheckWatches(ctx, p, WatcherAny), "checkWatches after addWatch")
		e.must(w.RemoveWatches(ctx, p, WatcherAny), "removeWatches of a persistent watch")
		e.next(pw, EventPersistentWatchRemoved, p)
		e.code(w.CheckWatches(ctx, p, WatcherAny), CodeNoWatcher, "checkWatches after removing the persistent watch")
	}
}

// checkWatchOrderAcrossServers: a watcher on each server of the ensemble
// sees the same changes in the same order (the order of the writes).
func checkWatchOrderAcrossServers(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	tree := e.create(c, e.p("tree"), "", ModePersistent)
	var watches []Watch
	for _, addr := range e.serverList() {
		w := e.dialTo(addr)
		rw, err := w.AddWatch(ctx, tree, true)
		e.must(err, "addWatch on %s", addr)
		watches = append(watches, rw)
	}
	var want []Event
	for i := 0; i < 5; i++ {
		p := fmt.Sprintf("%s/n%d", tree, i)
		e.create(c, p, "", ModePersistent)
		want = append(want, Event{EventCreated, p, 0})
		_, err := c.Set(ctx, p, []byte("x"), -1)
		e.must(err, "set")
		want = append(want, Event{EventDataChanged, p, 0})
		if i%2 == 1 {
			e.must(c.Delete(ctx, p, -1), "delete")
			want = append(want, Event{EventDeleted, p, 0})
		}
	}
	for i, w := range watches {
		t.Run(e.serverList()[i], func(t *testing.T) {
			ee := *e
			ee.t = t
			ee.expectEvents(w, want...)
		})
	}
}
