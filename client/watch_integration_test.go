package client_test

import (
	"errors"
	"testing"

	"github.com/zabkit/zabkit/client"
)

func TestIntegrationPersistentWatches(t *testing.T) {
	srv := testServers(t)
	c := dialTest(t, srv)
	ctx := testCtx(t)
	root := testRoot(t, c)

	rec, err := c.AddWatch(ctx, root, client.AddWatchPersistentRecursive)
	if err != nil {
		t.Fatal(err)
	}
	// A session has one persistent watch mode per path on the server (the
	// last AddWatch wins), so the plain persistent watch goes on the child.
	if _, _, err := c.Create(ctx, root+"/a", nil, client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	pw, err := c.AddWatch(ctx, root+"/a", client.AddWatchPersistent)
	if err != nil {
		t.Fatal(err)
	}
	// Nobody reads while the changes happen: delivery must not block the
	// connection nor drop anything.
	for _, step := range []func() error{
		func() error { _, _, err := c.Create(ctx, root+"/a/b", nil, client.ModePersistent, nil); return err },
		func() error { _, err := c.Set(ctx, root+"/a/b", []byte("1"), client.AnyVersion); return err },
		func() error { return c.Delete(ctx, root+"/a/b", client.AnyVersion) },
		func() error { _, err := c.Set(ctx, root+"/a", []byte("r"), client.AnyVersion); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	wantRec := []client.Event{
		{client.EventNodeCreated, root + "/a"},
		{client.EventNodeCreated, root + "/a/b"},
		{client.EventNodeDataChanged, root + "/a/b"},
		{client.EventNodeDeleted, root + "/a/b"},
		{client.EventNodeDataChanged, root + "/a"},
	}
	for i, want := range wantRec {
		if ev := recvEvent(t, rec.Events()); ev != want {
			t.Fatalf("recursive event %d = %+v, want %+v", i, ev, want)
		}
	}
	wantP := []client.Event{
		{client.EventNodeChildrenChanged, root + "/a"},
		{client.EventNodeChildrenChanged, root + "/a"},
		{client.EventNodeDataChanged, root + "/a"},
	}
	for i, want := range wantP {
		if ev := recvEvent(t, pw.Events()); ev != want {
			t.Fatalf("persistent event %d = %+v, want %+v", i, ev, want)
		}
	}
	if err := pw.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, pw.Events()); ev.Type != client.EventPersistentWatchRemoved {
		t.Fatalf("after Remove: %+v", ev)
	}
	expectClosed(t, pw.Events())
	if err := c.RemoveWatches(ctx, root, client.WatcherAny); err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, rec.Events()); ev.Type != client.EventPersistentWatchRemoved {
		t.Fatalf("after RemoveWatches: %+v", ev)
	}
	expectClosed(t, rec.Events())
	if err := c.RemoveWatches(ctx, root, client.WatcherAny); !errors.Is(err, client.ErrNoWatcher) {
		t.Fatalf("RemoveWatches with none left: %v, want ErrNoWatcher", err)
	}
}

// TestIntegrationSessionExpiry: with WithSessionRenewal(false) an expiry
// ends the Conn.
func TestIntegrationSessionExpiry(t *testing.T) {
	srv := testServers(t)
	c := dialTest(t, srv, client.WithSessionRenewal(false))
	ctx := testCtx(t)
	root := testRoot(t, c)
	states := c.States(ctx)
	waitState(t, states, client.StateConnected)
	_, _, dataCh, err := c.GetW(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := c.AddWatch(ctx, root, client.AddWatchPersistent)
	if err != nil {
		t.Fatal(err)
	}
	eph, _, err := c.Create(ctx, root+"/eph", nil, client.ModeEphemeral, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Another client takes over the session and closes it: the first Conn
	// finds it expired when it reconnects.
	thief, err := client.Dial(ctx, srv, client.WithSession(c.SessionID(), c.SessionPassword()), client.WithSessionRenewal(false))
	if err != nil {
		t.Fatal(err)
	}
	if err := thief.Close(ctx); err != nil {
		t.Fatal(err)
	}
	waitState(t, states, client.StateDisconnected)
	for s := range states {
		if s.Terminal() {
			if s != client.StateExpired {
				t.Fatalf("terminal state %v, want Expired", s)
			}
			break
		}
	}
	<-c.Done()
	if !errors.Is(c.Err(), client.ErrSessionExpired) {
		t.Fatalf("Err() = %v", c.Err())
	}
	expectClosed(t, dataCh)
	for range pw.Events() {
	}
	if _, _, err := c.Get(ctx, root); !errors.Is(err, client.ErrSessionExpired) {
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
	e, err := client.Dial(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := e.Create(ctx, root+"/e", nil, client.ModeEphemeral, nil)
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
	if e.State() != client.StateClosed || !errors.Is(e.Err(), client.ErrClosed) {
		t.Fatalf("after Close: %v %v", e.State(), e.Err())
	}
	if _, _, err := e.Get(ctx, p); !errors.Is(err, client.ErrClosed) {
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
