package client_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

// renewalBackend returns the connect string the session renewal tests
// use and the ways they can expire a session there: the ensemble in
// ZABKIT_ZK_SERVERS when set (Apache ZooKeeper in CI), where a session is
// expired by takeover, otherwise an in-process zabkit ensemble, where the
// leader can also expire it at once (ensemble.ExpireSession).
func renewalBackend(t *testing.T) (servers string, expirers []namedExpirer) {
	t.Helper()
	b := ensembletest.Use(t)
	if b.External() {
		return b.Servers, []namedExpirer{{"takeover", expireByTakeover}}
	}
	byServer := func(t *testing.T, ctx context.Context, _ string, c *client.Conn) {
		t.Helper()
		if err := b.Ensemble.ExpireSession(ctx, c.SessionID()); err != nil {
			t.Fatal(err)
		}
	}
	return b.Servers, []namedExpirer{{"takeover", expireByTakeover}, {"server", byServer}}
}

// expirer expires c's session on the servers.
type expirer func(t *testing.T, ctx context.Context, servers string, c *client.Conn)

type namedExpirer struct {
	name   string
	expire expirer
}

func renewalDial(t *testing.T, ctx context.Context, servers string, opts ...client.Option) *client.Conn {
	t.Helper()
	c, err := client.Dial(ctx, servers, append([]client.Option{client.WithSessionTimeout(4 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatalf("Dial(%q): %v", servers, err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// expireByTakeover expires c's session the classic way, which works on any
// ZooKeeper server: a second client resumes the session with its id and
// password (the server drops c's connection) and closes it; c finds it
// expired when it reconnects.
func expireByTakeover(t *testing.T, ctx context.Context, servers string, c *client.Conn) {
	t.Helper()
	thief, err := client.Dial(ctx, servers, client.WithSession(c.SessionID(), c.SessionPassword()), client.WithSessionRenewal(false))
	if err != nil {
		t.Fatalf("take over session 0x%x: %v", c.SessionID(), err)
	}
	if err := thief.Close(ctx); err != nil {
		t.Fatalf("close the taken-over session: %v", err)
	}
}

// untilState reads states until want; it fails if the stream closes first.
func untilState(t *testing.T, states <-chan client.State, want client.State) {
	t.Helper()
	for s := range states {
		if s == want {
			return
		}
	}
	t.Fatalf("state stream closed before %v", want)
}

// TestSessionRenewal runs testSessionRenewal with each way of expiring a
// session the backend offers.
func TestSessionRenewal(t *testing.T) {
	servers, expirers := renewalBackend(t)
	for _, x := range expirers {
		t.Run(x.name, func(t *testing.T) { testSessionRenewal(t, servers, x.expire) })
	}
}

// testSessionRenewal expires a session with renewal on, against a real
// server, and checks what the package doc promises: Expired then Connected
// on the state stream, a new Session (new id, generation 2) while the old
// one is Done with ErrSessionExpired, the old session's ephemeral gone and
// not recreated, the one-shot watch closed without an event, the auth
// info in force again (a node readable only with it), the persistent
// recursive watch delivering changes made after the renewal, and a new
// ephemeral owned by the new session.
func testSessionRenewal(t *testing.T, servers string, expire expirer) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := renewalDial(t, ctx, servers, client.WithSessionRenewal(true))
	other := renewalDial(t, ctx, servers)
	root := fmt.Sprintf("/zabkit-renewal-%d", rand.Uint64())
	if _, _, err := other.Create(ctx, root, nil, client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = other.AddAuth(ctx, "digest", []byte("renewal:secret")) // to list secret's children
		if err := removeTree(ctx, other, root); err != nil {
			t.Logf("cleanup %s: %v", root, err)
		}
	})
	if err := c.AddAuth(ctx, "digest", []byte("renewal:secret")); err != nil {
		t.Fatal(err)
	}
	secret, _, err := c.Create(ctx, root+"/secret", []byte("s"), client.ModePersistent, client.DigestACL(client.PermAll, "renewal", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	eph, _, err := c.Create(ctx, root+"/eph", nil, client.ModeEphemeral, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, oneShot, err := c.GetW(ctx, root+"/secret")
	if err != nil {
		t.Fatal(err)
	}
	pw, err := c.AddWatch(ctx, root, client.AddWatchPersistentRecursive)
	if err != nil {
		t.Fatal(err)
	}
	s1 := c.Session()
	states := c.States(ctx)

	expire(t, ctx, servers, c)
	untilState(t, states, client.StateExpired)
	untilState(t, states, client.StateConnected)

	if !errors.Is(s1.Err(), client.ErrSessionExpired) {
		t.Fatalf("old session %v: Err %v, want ErrSessionExpired", s1, s1.Err())
	}
	<-s1.Done()
	s2, err := c.WaitSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Generation() != 2 || s2.ID() == s1.ID() || s2.ID() == 0 || c.SessionID() != s2.ID() || c.Err() != nil {
		t.Fatalf("after renewal: session %v (old %v), SessionID 0x%x, Err %v", s2, s1, c.SessionID(), c.Err())
	}
	if ev, ok := <-oneShot; ok {
		t.Fatalf("one-shot watch of the expired session got %+v, want closed", ev)
	}
	if err := other.Sync(ctx, root); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := other.Exists(ctx, eph); err != nil || ok {
		t.Fatalf("ephemeral of the expired session: exists %v, err %v", ok, err)
	}
	// This read also orders the re-adding of the watch (sent before it on
	// the new session) before the change below.
	if data, _, err := c.Get(ctx, secret); err != nil || string(data) != "s" {
		t.Fatalf("node readable only with the re-sent auth: %q, %v", data, err)
	}
	if _, _, err := other.Get(ctx, secret); !errors.Is(err, client.ErrNoAuth) {
		t.Fatalf("the same node without the auth: %v, want ErrNoAuth", err)
	}
	eph2, st, err := c.Create(ctx, root+"/eph2", nil, client.ModeEphemeral, nil)
	if err != nil || st.EphemeralOwner != s2.ID() {
		t.Fatalf("ephemeral on the new session: owner 0x%x, err %v; want 0x%x", st.EphemeralOwner, err, s2.ID())
	}
	if _, _, err := other.Create(ctx, root+"/after", nil, client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	// Events of the old session (the deletion of eph) may come first.
	want := client.Event{Type: client.EventNodeCreated, Path: root + "/after"}
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-pw.Events():
			if !ok {
				t.Fatalf("persistent watch closed before %+v", want)
			}
			if ev == want {
				return
			}
			if ev.Path != eph2 && ev != (client.Event{Type: client.EventNodeDeleted, Path: eph}) {
				t.Fatalf("persistent watch: unexpected %+v while waiting for %+v", ev, want)
			}
		case <-timeout:
			t.Fatalf("persistent watch: no %+v within 20s of the renewal", want)
		}
	}
}

// removeTree deletes path and everything below it.
func removeTree(ctx context.Context, c *client.Conn, path string) error {
	kids, _, err := c.Children(ctx, path)
	if errors.Is(err, client.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, k := range kids {
		if err := removeTree(ctx, c, path+"/"+k); err != nil {
			return err
		}
	}
	if err := c.Delete(ctx, path, client.AnyVersion); err != nil && !errors.Is(err, client.ErrNoNode) {
		return err
	}
	return nil
}

// TestSessionRenewalRepeated expires the session of one Conn twice: each
// renewal gives a new session with the next generation and a new id and
// ends the previous one, a follower that holds one Session at a time
// (WaitSession, then its Done) sees increasing generations up to the
// third, and the persistent watch delivers on each new session.
func TestSessionRenewalRepeated(t *testing.T) {
	servers, expirers := renewalBackend(t)
	expire := expirers[len(expirers)-1].expire
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := renewalDial(t, ctx, servers, client.WithSessionRenewal(true))
	other := renewalDial(t, ctx, servers)
	root := fmt.Sprintf("/zabkit-renewal-%d", rand.Uint64())
	if _, _, err := other.Create(ctx, root, nil, client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := removeTree(ctx, other, root); err != nil {
			t.Logf("cleanup %s: %v", root, err)
		}
	})
	pw, err := c.AddWatch(ctx, root, client.AddWatchPersistent)
	if err != nil {
		t.Fatal(err)
	}
	fctx, stopFollower := context.WithCancel(ctx)
	followed := make(chan uint64, 10)
	followerDone := make(chan struct{})
	defer func() { stopFollower(); <-followerDone }()
	go func() {
		defer close(followerDone)
		for {
			s, err := c.WaitSession(fctx)
			if err != nil {
				return
			}
			followed <- s.Generation()
			select {
			case <-s.Done():
			case <-fctx.Done():
				return
			}
		}
	}()
	states := c.States(ctx)
	ids := map[int64]bool{c.SessionID(): true}
	for want := uint64(2); want <= 3; want++ {
		prev := c.Session()
		expire(t, ctx, servers, c)
		untilState(t, states, client.StateExpired)
		untilState(t, states, client.StateConnected)
		s := c.Session()
		if s.Generation() != want || ids[s.ID()] || prev.Err() == nil {
			t.Fatalf("renewal %d: session %v (ids so far %v), previous %v ended with %v", want-1, s, ids, prev, prev.Err())
		}
		ids[s.ID()] = true
		// The watch is re-added before c's first request on the new
		// session: once one is answered, a change made by another client
		// is reported.
		if err := c.Sync(ctx, root); err != nil {
			t.Fatal(err)
		}
		data := fmt.Sprint(want)
		if _, err := other.Set(ctx, root, []byte(data), client.AnyVersion); err != nil {
			t.Fatal(err)
		}
		ev := client.Event{Type: client.EventNodeDataChanged, Path: root}
		select {
		case got := <-pw.Events():
			if got != ev {
				t.Fatalf("persistent watch on session %d: %+v, want %+v", want, got, ev)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("persistent watch: no %+v on session %d within 20s", ev, want)
		}
	}
	var gens []uint64
	for len(gens) == 0 || gens[len(gens)-1] < 3 {
		select {
		case g := <-followed:
			if len(gens) > 0 && g <= gens[len(gens)-1] || len(gens) == 0 && g != 1 {
				t.Fatalf("follower saw generations %v then %d, want increasing from 1", gens, g)
			}
			gens = append(gens, g)
		case <-time.After(20 * time.Second):
			t.Fatalf("follower saw generations %v, none after within 20s", gens)
		}
	}
}
