package client

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// recvEvent waits for one event on ch.
func recvEvent(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("watch channel closed without an event")
		}
		return ev
	case <-time.After(20 * time.Second):
		t.Fatal("no watch event within 20s")
	}
	return Event{}
}

// expectClosed checks that ch is closed (after at most its pending event).
func expectClosed(t *testing.T, ch <-chan Event) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if ok {
			t.Fatalf("unexpected event %+v", ev)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("channel not closed within 20s")
	}
}

func TestIntegrationOneShotWatches(t *testing.T) {
	srv := testServers(t)
	c := dialTest(t, srv)
	w := dialTest(t, srv)
	ctx := testCtx(t)
	root := testRoot(t, c)
	p := root + "/n"

	ok, _, existsCh, err := c.ExistsW(ctx, p)
	if err != nil || ok {
		t.Fatalf("ExistsW = %v %v", ok, err)
	}
	_, _, childCh, err := c.ChildrenW(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Create(ctx, p, nil, ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, existsCh); ev != (Event{Type: EventNodeCreated, Path: p}) {
		t.Fatalf("exists watch: %+v", ev)
	}
	expectClosed(t, existsCh)
	if ev := recvEvent(t, childCh); ev != (Event{Type: EventNodeChildrenChanged, Path: root}) {
		t.Fatalf("child watch: %+v", ev)
	}

	_, _, dataCh, err := c.GetW(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	_, _, dataCh2, err := c.GetW(ctx, p) // a second watcher on the same path
	if err != nil {
		t.Fatal(err)
	}
	ok, _, existsCh, err = c.ExistsW(ctx, p)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, err := w.Set(ctx, p, []byte("x"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan Event{dataCh, dataCh2, existsCh} {
		if ev := recvEvent(t, ch); ev != (Event{Type: EventNodeDataChanged, Path: p}) {
			t.Fatalf("data watch: %+v", ev)
		}
	}
	// One-shot: a second change does not fire the same watch again.
	_, _, dataCh, _ = c.GetW(ctx, p)
	_, _, childCh, _ = c.ChildrenW(ctx, p)
	if err := w.Delete(ctx, p, AnyVersion); err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, dataCh); ev != (Event{Type: EventNodeDeleted, Path: p}) {
		t.Fatalf("data watch on delete: %+v", ev)
	}
	if ev := recvEvent(t, childCh); ev != (Event{Type: EventNodeDeleted, Path: p}) {
		t.Fatalf("child watch on delete: %+v", ev)
	}
	// No watch is set when the read fails.
	if _, _, ch, err := c.GetW(ctx, p); !errors.Is(err, ErrNoNode) || ch != nil {
		t.Fatalf("GetW on missing node = %v %v", ch, err)
	}
}

func TestIntegrationPersistentWatches(t *testing.T) {
	srv := testServers(t)
	c := dialTest(t, srv)
	ctx := testCtx(t)
	root := testRoot(t, c)

	rec, err := c.AddWatch(ctx, root, AddWatchPersistentRecursive)
	if err != nil {
		t.Fatal(err)
	}
	// A session has one persistent watch mode per path on the server (the
	// last AddWatch wins), so the plain persistent watch goes on the child.
	if _, _, err := c.Create(ctx, root+"/a", nil, ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	pw, err := c.AddWatch(ctx, root+"/a", AddWatchPersistent)
	if err != nil {
		t.Fatal(err)
	}
	// Nobody reads while the changes happen: delivery must not block the
	// connection nor drop anything.
	for _, step := range []func() error{
		func() error { _, _, err := c.Create(ctx, root+"/a/b", nil, ModePersistent, nil); return err },
		func() error { _, err := c.Set(ctx, root+"/a/b", []byte("1"), AnyVersion); return err },
		func() error { return c.Delete(ctx, root+"/a/b", AnyVersion) },
		func() error { _, err := c.Set(ctx, root+"/a", []byte("r"), AnyVersion); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	wantRec := []Event{
		{EventNodeCreated, root + "/a"},
		{EventNodeCreated, root + "/a/b"},
		{EventNodeDataChanged, root + "/a/b"},
		{EventNodeDeleted, root + "/a/b"},
		{EventNodeDataChanged, root + "/a"},
	}
	for i, want := range wantRec {
		if ev := recvEvent(t, rec.Events()); ev != want {
			t.Fatalf("recursive event %d = %+v, want %+v", i, ev, want)
		}
	}
	wantP := []Event{
		{EventNodeChildrenChanged, root + "/a"},
		{EventNodeChildrenChanged, root + "/a"},
		{EventNodeDataChanged, root + "/a"},
	}
	for i, want := range wantP {
		if ev := recvEvent(t, pw.Events()); ev != want {
			t.Fatalf("persistent event %d = %+v, want %+v", i, ev, want)
		}
	}
	if err := pw.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, pw.Events()); ev.Type != EventPersistentWatchRemoved {
		t.Fatalf("after Remove: %+v", ev)
	}
	expectClosed(t, pw.Events())
	if err := c.RemoveWatches(ctx, root, WatcherAny); err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, rec.Events()); ev.Type != EventPersistentWatchRemoved {
		t.Fatalf("after RemoveWatches: %+v", ev)
	}
	expectClosed(t, rec.Events())
	if err := c.RemoveWatches(ctx, root, WatcherAny); !errors.Is(err, ErrNoWatcher) {
		t.Fatalf("RemoveWatches with none left: %v, want ErrNoWatcher", err)
	}
}

func TestIntegrationRemoveOneShotWatches(t *testing.T) {
	srv := testServers(t)
	c := dialTest(t, srv)
	ctx := testCtx(t)
	root := testRoot(t, c)
	_, _, dataCh, err := c.GetW(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	_, _, childCh, err := c.ChildrenW(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckWatches(ctx, root, WatcherData); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveWatches(ctx, root, WatcherChildren); err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, childCh); ev != (Event{EventChildWatchRemoved, root}) {
		t.Fatalf("child watch removal: %+v", ev)
	}
	if err := c.CheckWatches(ctx, root, WatcherChildren); !errors.Is(err, ErrNoWatcher) {
		t.Fatalf("CheckWatches after removal: %v", err)
	}
	if err := c.RemoveWatches(ctx, root, WatcherData); err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, dataCh); ev != (Event{EventDataWatchRemoved, root}) {
		t.Fatalf("data watch removal: %+v", ev)
	}
}

// breakableDialer records the connections it opens so a test can cut them.
type breakableDialer struct {
	mu    sync.Mutex
	conns []net.Conn
	block bool // refuse new connections
}

func (d *breakableDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.block {
		return nil, errors.New("test: dialing blocked")
	}
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err == nil {
		d.conns = append(d.conns, c)
	}
	return c, err
}

// cut closes every connection opened so far; with block, new ones fail
// until unblock.
func (d *breakableDialer) cut(block bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.block = block
	for _, c := range d.conns {
		c.Close()
	}
	d.conns = nil
}

func (d *breakableDialer) unblock() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.block = false
}

// waitState reads states until want (failing on a terminal state).
func waitState(t *testing.T, states <-chan State, want State) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case s, ok := <-states:
			if !ok {
				t.Fatalf("state stream closed before %v", want)
			}
			if s == want {
				return
			}
			if s.Terminal() {
				t.Fatalf("state %v before %v", s, want)
			}
		case <-timeout:
			t.Fatalf("no state %v within 20s", want)
		}
	}
}

func TestIntegrationReconnectKeepsSessionAndWatches(t *testing.T) {
	srv := testServers(t)
	d := &breakableDialer{}
	c := dialTest(t, srv, WithDialer(d.dial))
	other := dialTest(t, srv)
	ctx := testCtx(t)
	root := testRoot(t, c)
	states := c.States(ctx)
	waitState(t, states, StateConnected)

	eph, _, err := c.Create(ctx, root+"/eph", nil, ModeEphemeral, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, dataCh, err := c.GetW(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	ok, _, existsCh, err := c.ExistsW(ctx, root+"/later")
	if err != nil || ok {
		t.Fatal(ok, err)
	}
	rec, err := c.AddWatch(ctx, root, AddWatchPersistentRecursive)
	if err != nil {
		t.Fatal(err)
	}
	sid := c.SessionID()

	d.cut(true)
	waitState(t, states, StateDisconnected)
	// Changes while the client is away must fire its watches on reconnect.
	if _, err := other.Set(ctx, root, []byte("changed"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Create(ctx, root+"/later", nil, ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	d.unblock()
	waitState(t, states, StateConnected)
	if c.SessionID() != sid {
		t.Fatalf("session id changed: %x -> %x", sid, c.SessionID())
	}
	if ev := recvEvent(t, dataCh); ev != (Event{EventNodeDataChanged, root}) {
		t.Fatalf("data watch after reconnect: %+v", ev)
	}
	if ev := recvEvent(t, existsCh); ev != (Event{EventNodeCreated, root + "/later"}) {
		t.Fatalf("exists watch after reconnect: %+v", ev)
	}
	// The recursive watch was re-registered too (SetWatches2).
	if _, err := other.Set(ctx, root+"/later", []byte("x"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	for {
		ev := recvEvent(t, rec.Events())
		if ev == (Event{EventNodeDataChanged, root + "/later"}) {
			break
		}
	}
	// The ephemeral node survived: same session.
	if ok, st, err := other.Exists(ctx, eph); err != nil || !ok || st.EphemeralOwner != sid {
		t.Fatalf("ephemeral after reconnect: %v %+v %v", ok, st, err)
	}
}

func TestIntegrationSessionExpiry(t *testing.T) {
	srv := testServers(t)
	c := dialTest(t, srv)
	ctx := testCtx(t)
	root := testRoot(t, c)
	states := c.States(ctx)
	waitState(t, states, StateConnected)
	_, _, dataCh, err := c.GetW(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := c.AddWatch(ctx, root, AddWatchPersistent)
	if err != nil {
		t.Fatal(err)
	}
	eph, _, err := c.Create(ctx, root+"/eph", nil, ModeEphemeral, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Another client takes over the session and closes it: the first Conn
	// finds it expired when it reconnects.
	thief, err := Dial(ctx, srv, WithSession(c.SessionID(), c.SessionPassword()))
	if err != nil {
		t.Fatal(err)
	}
	if err := thief.Close(ctx); err != nil {
		t.Fatal(err)
	}
	waitState(t, states, StateDisconnected)
	for s := range states {
		if s.Terminal() {
			if s != StateExpired {
				t.Fatalf("terminal state %v, want Expired", s)
			}
			break
		}
	}
	<-c.Done()
	if !errors.Is(c.Err(), ErrSessionExpired) {
		t.Fatalf("Err() = %v", c.Err())
	}
	expectClosed(t, dataCh)
	for range pw.Events() {
	}
	if _, _, err := c.Get(ctx, root); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("Get after expiry: %v", err)
	}
	other := dialTest(t, srv)
	if err := other.Sync(ctx, root); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := other.Exists(ctx, eph); err != nil || ok {
		t.Fatalf("ephemeral of expired session still exists: %v %v", ok, err)
	}
}

func TestIntegrationCloseRemovesEphemerals(t *testing.T) {
	srv := testServers(t)
	c := dialTest(t, srv)
	ctx := testCtx(t)
	root := testRoot(t, c)
	e, err := Dial(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := e.Create(ctx, root+"/e", nil, ModeEphemeral, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, ch, err := e.GetW(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, ch)
	if e.State() != StateClosed || !errors.Is(e.Err(), ErrClosed) {
		t.Fatalf("after Close: %v %v", e.State(), e.Err())
	}
	if _, _, err := e.Get(ctx, p); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	// Another server may lag behind the one that closed the session.
	if err := c.Sync(ctx, root); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := c.Exists(ctx, p); err != nil || ok {
		t.Fatalf("ephemeral after Close: %v %v", ok, err)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
