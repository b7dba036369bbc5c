package conformance

import (
	"fmt"
	"testing"
	"time"
)

// Sessions: ephemerals die with their session, a reconnect within the session
// timeout keeps the session and re-registers watches (SetWatches), and an
// expired session loses its ephemerals and ends its watches.

var sessionChecks = []check{
	{name: "session-ids", run: checkSessionIDs},
	{name: "ephemeral-gone-after-close", run: checkEphemeralClose},
	{name: "reconnect-keeps-session-and-watches", run: checkReconnect},
	{name: "reconnect-keeps-persistent-watches", needs: []feature{featPersistentWatch}, run: checkReconnectPersistent},
	{name: "session-moves-between-servers", run: checkSessionMove},
	{name: "session-expiry", run: checkExpiry},
	{name: "session-resumed-and-closed-elsewhere", needs: []feature{featSessionResume}, run: checkSessionResume},
	{name: "session-resume-wrong-password", needs: []feature{featSessionResume}, run: checkSessionBadPassword},
	{name: "get-ephemerals", needs: []feature{featEphemerals}, run: checkGetEphemerals},
	{name: "all-children-number", needs: []feature{featAllChildren}, run: checkAllChildren},
	{name: "who-am-i", needs: []feature{featWhoAmI}, run: checkWhoAmI},
}

func checkSessionIDs(t *testing.T, e *env) {
	a, b := e.dial(), e.dial()
	if a.SessionID() == 0 || a.SessionID() == b.SessionID() {
		t.Errorf("session ids %#x and %#x: want two distinct non-zero ids", a.SessionID(), b.SessionID())
	}
}

func checkEphemeralClose(t *testing.T, e *env) {
	owner := e.dial()
	observer := e.dial()
	ctx := e.ctx()
	p := e.create(owner, e.p("eph"), "", ModeEphemeral)
	seq := e.create(owner, e.p("eph-"), "", ModeEphemeralSequential)
	e.sync(observer)
	parent := e.stat(observer, e.root)
	_, _, watch, err := observer.ExistsW(ctx, p)
	e.must(err, "existsW")

	owner.Close()
	e.next(watch, EventDeleted, p)
	for _, q := range []string{p, seq} {
		e.must(observer.Sync(ctx, q), "sync")
		if ok, _, err := observer.Exists(ctx, q); err != nil || ok {
			t.Errorf("exists %s after its session closed = %v, %v", q, ok, err)
		}
	}
	after := e.stat(observer, e.root)
	if after.NumChildren != parent.NumChildren-2 || after.Cversion != parent.Cversion+2 || after.Pzxid <= parent.Pzxid {
		t.Errorf("parent after session close = %+v (before %+v): want 2 fewer children, cversion+2, pzxid up", after, parent)
	}
}

func checkReconnect(t *testing.T, e *env) {
	link := e.link()
	w := e.dialVia(link, withTimeout(20*time.Second))
	c := e.dial()
	ctx := e.ctx()
	data := e.create(c, e.p("data"), "", ModePersistent)
	dir := e.create(c, e.p("dir"), "", ModePersistent)
	gone := e.create(c, e.p("gone"), "", ModePersistent)
	missing := e.p("later")
	eph := e.create(w, e.p("eph"), "", ModeEphemeral)
	id := w.SessionID()
	e.sync(w)

	_, _, dw, err := w.GetW(ctx, data)
	e.must(err, "getW")
	_, _, ew, err := w.ExistsW(ctx, missing)
	e.must(err, "existsW")
	_, _, cw, err := w.ChildrenW(ctx, dir)
	e.must(err, "childrenW")
	_, _, quiet, err := w.GetW(ctx, eph)
	e.must(err, "getW eph")
	_, _, gw, err := w.GetW(ctx, gone)
	e.must(err, "getW gone")

	n := w.StateCount()
	link.Cut()
	n, err = w.WaitState(ctx, n, StateDisconnected)
	e.must(err, "disconnect")
	// Changes while w is away.
	_, err = c.Set(ctx, data, []byte("x"), -1)
	e.must(err, "set")
	e.create(c, missing, "", ModePersistent)
	e.create(c, dir+"/k", "", ModePersistent)
	e.must(c.Delete(ctx, gone, -1), "delete")
	link.Heal()
	_, err = w.WaitState(ctx, n, StateConnected)
	e.must(err, "reconnect")

	// The watches were re-registered from w's last zxid, so the server
	// delivers what happened while w was away.
	e.next(dw, EventDataChanged, data)
	e.next(ew, EventCreated, missing)
	e.next(cw, EventChildrenChanged, dir)
	e.next(gw, EventDeleted, gone)
	if w.SessionID() != id {
		t.Errorf("session id changed across a reconnect: %#x → %#x", id, w.SessionID())
	}
	e.sync(c)
	if s := e.stat(c, eph); s.EphemeralOwner != id {
		t.Errorf("ephemeral owner after reconnect = %#x, want %#x", s.EphemeralOwner, id)
	}
	// A re-registered watch on an unchanged node still works.
	_, err = c.Set(ctx, eph, []byte("y"), -1)
	e.must(err, "set eph")
	e.next(quiet, EventDataChanged, eph)
}

// checkReconnectPersistent checks that persistent watches survive a
// reconnect (SetWatches2). Apache ZooKeeper 3.8 re-adds them without
// catching up: changes made while the client was away are not delivered
// (DataTree.setWatches); the check accepts a server that does deliver them.
func checkReconnectPersistent(t *testing.T, e *env) {
	link := e.link()
	w := e.dialVia(link, withTimeout(20*time.Second))
	c := e.dial()
	ctx := e.ctx()
	dir := e.create(c, e.p("dir"), "", ModePersistent)
	e.sync(w)
	rw, err := w.AddWatch(ctx, dir, true)
	e.must(err, "addWatch recursive")

	n := w.StateCount()
	link.Cut()
	n, err = w.WaitState(ctx, n, StateDisconnected)
	e.must(err, "disconnect")
	e.create(c, dir+"/while-away", "", ModePersistent)
	link.Heal()
	_, err = w.WaitState(ctx, n, StateConnected)
	e.must(err, "reconnect")
	// Requests on one connection are handled in order, so once this sync
	// returns the server has processed the SetWatches sent before it.
	e.must(w.Sync(ctx, dir), "sync after reconnect")
	after := e.create(c, dir+"/after", "", ModePersistent)
	for {
		ev, err := rw.Next(ctx)
		e.must(err, "event after reconnect")
		if ev == (Event{EventCreated, after, 0}) {
			break
		}
		if ev == (Event{EventCreated, dir + "/while-away", 0}) {
			t.Logf("server delivered a change made while the client was away (ZooKeeper 3.8 does not)")
			continue
		}
		t.Fatalf("unexpected event %v on the persistent watch after reconnect", ev)
	}
}

// checkSessionMove moves a session from one server to another: the second
// server takes the session (same id, ephemerals kept) and the watches set on
// the first, and delivers what changed in between.
func checkSessionMove(t *testing.T, e *env) {
	servers := e.serverList()
	if len(servers) < 2 {
		t.Skip("needs at least two servers in the connect string")
	}
	w, link := e.dialServer(servers[0], withTimeout(20*time.Second))
	c := e.dial()
	ctx := e.ctx()
	n := e.create(c, e.p("n"), "", ModePersistent)
	eph := e.create(w, e.p("eph"), "", ModeEphemeral)
	id := w.SessionID()
	e.sync(w)
	_, _, dw, err := w.GetW(ctx, n)
	e.must(err, "getW")

	states := w.StateCount()
	link.Cut()
	states, err = w.WaitState(ctx, states, StateDisconnected)
	e.must(err, "disconnect")
	_, err = c.Set(ctx, n, []byte("moved"), -1)
	e.must(err, "set")
	link.ByTarget(servers[1]).Heal()
	_, err = w.WaitState(ctx, states, StateConnected)
	e.must(err, "reconnect to %s", servers[1])
	e.next(dw, EventDataChanged, n)
	if w.SessionID() != id {
		t.Errorf("session id after moving = %#x, want %#x", w.SessionID(), id)
	}
	// The session works on the new server: reads see its own and others'
	// writes, and its ephemeral is still its own.
	data, _, err := w.Get(ctx, n)
	if err != nil || string(data) != "moved" {
		t.Errorf("get after moving = %q, %v; want moved", data, err)
	}
	if s := e.stat(w, eph); s.EphemeralOwner != id {
		t.Errorf("ephemeral owner after moving = %#x, want %#x", s.EphemeralOwner, id)
	}
	eph2 := e.create(w, e.p("eph2"), "", ModeEphemeral)
	if s := e.stat(w, eph2); s.EphemeralOwner != id {
		t.Errorf("ephemeral created after moving: owner %#x, want %#x", s.EphemeralOwner, id)
	}
}

func checkExpiry(t *testing.T, e *env) {
	link := e.link()
	w := e.dialVia(link, withTimeout(2*time.Second))
	c := e.dial()
	ctx := e.ctx()
	eph := e.create(w, e.p("eph"), "", ModeEphemeral)
	n := e.create(c, e.p("n"), "", ModePersistent)
	e.sync(w)
	_, _, watch, err := w.GetW(ctx, n)
	e.must(err, "getW")

	states := w.StateCount()
	link.Cut()
	// The ensemble expires the session after its timeout and deletes its
	// ephemerals; waitGone waits on c's exists watch, bounded by ctx.
	e.must(e.waitGone(ctx, c, eph), "ephemeral of the expired session")
	link.Heal()
	// The client learns of the expiry when it reconnects.
	_, err = w.WaitState(ctx, states, StateExpired)
	e.must(err, "expired state")
	ev, err := watch.Next(ctx)
	e.must(err, "watch after expiry")
	if ev.Type != EventNone || ev.End != StateExpired {
		t.Errorf("watch of an expired session got %v, want its end with state Expired", ev)
	}
}

func checkGetEphemerals(t *testing.T, e *env) {
	c := e.dial()
	other := e.dial()
	ctx := e.ctx()
	a := e.create(c, e.p("a"), "", ModeEphemeral)
	b := e.create(c, e.p("b-"), "", ModeEphemeralSequential)
	e.create(other, e.p("not-mine"), "", ModeEphemeral)
	e.create(c, e.p("persistent"), "", ModePersistent)
	e.sync(c)
	got, err := c.GetEphemerals(ctx, e.root)
	e.must(err, "getEphemerals")
	if want := sorted([]string{a, b}); fmt.Sprint(sorted(got)) != fmt.Sprint(want) {
		t.Errorf("getEphemerals(%s) = %v, want %v", e.root, got, want)
	}
}

func checkAllChildren(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	e.create(c, e.p("a"), "", ModePersistent)
	e.create(c, e.p("a", "b"), "", ModePersistent)
	e.create(c, e.p("a", "b", "c"), "", ModePersistent)
	e.create(c, e.p("d"), "", ModePersistent)
	n, err := c.AllChildrenNumber(ctx, e.root)
	e.must(err, "getAllChildrenNumber")
	if n != 4 {
		t.Errorf("getAllChildrenNumber = %d, want 4 descendants", n)
	}
	_, err = c.AllChildrenNumber(ctx, e.p("missing"))
	e.code(err, CodeNoNode, "getAllChildrenNumber of a missing node")
}

func checkWhoAmI(t *testing.T, e *env) {
	c := e.dial(withAuth("digest", "dave:pw"))
	ids, err := c.WhoAmI(e.ctx())
	e.must(err, "whoAmI")
	want := "digest:dave"
	found := false
	for _, id := range ids {
		found = found || id == want
	}
	if !found {
		t.Errorf("whoAmI = %v, want %s among them", ids, want)
	}
}

// checkSessionResume attaches a second connection to a live session (as a
// client does after moving to another server), closes the session from
// there, and checks that the first connection then finds it expired.
func checkSessionResume(t *testing.T, e *env) {
	link := e.link()
	a := e.dialVia(link, withTimeout(20*time.Second))
	c := e.dial()
	ctx := e.ctx()
	eph := e.create(a, e.p("eph"), "", ModeEphemeral)
	n := e.create(c, e.p("n"), "", ModePersistent)
	e.sync(a)
	_, _, watch, err := a.GetW(ctx, n)
	e.must(err, "getW")

	states := a.StateCount()
	link.Cut() // keep a away while b holds the session
	_, err = a.WaitState(ctx, states, StateDisconnected)
	e.must(err, "disconnect")
	b, err := e.driver.Dial(ctx, e.servers, sessionConfig{timeout: 20 * time.Second,
		resume: &resumeSession{a.SessionID(), a.SessionPassword()}})
	e.must(err, "resume the session on a second connection")
	if b.SessionID() != a.SessionID() {
		t.Errorf("resumed session id = %#x, want %#x", b.SessionID(), a.SessionID())
	}
	e.sync(b)
	if s := e.stat(b, eph); s.EphemeralOwner != a.SessionID() {
		t.Errorf("ephemeral owner seen from the resumed connection = %#x, want %#x", s.EphemeralOwner, a.SessionID())
	}
	// b's writes belong to the same session: its ephemerals are a's too.
	eph2 := e.create(b, e.p("eph2"), "", ModeEphemeral)
	b.Close() // closes the session itself, not just the connection
	e.must(e.waitGone(ctx, c, eph), "ephemeral of the closed session")
	e.must(e.waitGone(ctx, c, eph2), "ephemeral created through the resumed connection")

	link.Heal()
	_, err = a.WaitState(ctx, states, StateExpired)
	e.must(err, "first connection sees its session expired")
	ev, err := watch.Next(ctx)
	e.must(err, "watch after expiry")
	if ev.Type != EventNone || ev.End != StateExpired {
		t.Errorf("watch of the closed session got %v, want its end with state Expired", ev)
	}
}

// checkSessionBadPassword resumes a live session with a wrong password: the
// server refuses it as expired (a zero timeout in the connect response).
func checkSessionBadPassword(t *testing.T, e *env) {
	a := e.dial()
	ctx := e.ctx()
	bad := a.SessionPassword()
	if len(bad) == 0 {
		t.Fatal("client reported an empty session password")
	}
	bad[0] ^= 0xff
	b, err := e.driver.Dial(ctx, e.servers, sessionConfig{timeout: 10 * time.Second,
		resume: &resumeSession{a.SessionID(), bad}})
	if err == nil {
		b.Close()
		t.Fatal("resuming a session with a wrong password succeeded")
	}
	e.code(err, CodeSessionExpired, "resume with a wrong password")
	// The real owner is unaffected.
	if _, _, err := a.Exists(ctx, e.root); err != nil {
		t.Errorf("owner after a failed resume: %v", err)
	}
}
