package cache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// Fault: the cache's client is cut off the ensemble (every zktest.Partition
// kind) for less than its session timeout while the tree changes.
// Expectation: the stream says stale; after the heal, on the same session,
// it reports what changed meanwhile (the servers replay nothing for a
// persistent watch), says synced, and ends equal to the servers' tree.
func TestFaultLinkCut(t *testing.T) {
	modes(t, func(t *testing.T, opts ...Option) {
		zktest.Partitions(t, func(t *testing.T, p *zktest.Partition) {
			ctx := zktest.Ctx(t)
			root := zktest.Root(t)
			w := zktest.Dial(t)
			mk(t, ctx, w, root+"/a/x", "x")
			mk(t, ctx, w, root+"/b/c", "c")
			conn := p.Dial(t, client.WithSessionTimeout(zktest.SurvivingSessionTimeout))
			c, err := New(ctx, conn, root, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			m := listen(t, ctx, c)
			m.consistent(ctx, c, w, -1)
			p.Cut(t)
			del(t, ctx, w, root+"/a")
			set(t, ctx, w, root+"/b/c", "c2")
			mk(t, ctx, w, root+"/d/e", "e")
			m.until("stale", func() bool { return m.stale })
			p.Heal(t)
			m.consistent(ctx, c, w, -1)
			if m.syncs == 0 {
				t.Fatal("no synced event after the heal")
			}
			if g := conn.Session().Generation(); g != 1 {
				t.Fatalf("session generation %d: the session did not survive the cut", g)
			}
		})
	})
}

// Fault: the cache's client is cut off until the servers expire its
// session, the tree changes meanwhile (an ephemeral node of that session
// goes with it), then the link heals; the Conn has renewal.
// Expectation: the cache follows the new session: it reports the
// differences it missed (the ephemeral node deleted among them) and ends
// equal to the servers' tree, then follows new changes.
func TestFaultExpiredWhileCut(t *testing.T) {
	modes(t, func(t *testing.T, opts ...Option) {
		zktest.Partitions(t, func(t *testing.T, p *zktest.Partition) {
			ctx := zktest.Ctx(t)
			root := zktest.Root(t)
			w := zktest.Dial(t)
			mk(t, ctx, w, root+"/a/x", "x")
			conn := p.Dial(t, client.WithSessionRenewal(true))
			if _, _, err := conn.Create(ctx, root+"/eph", []byte("mine"), client.ModeEphemeral, nil); err != nil {
				t.Fatal(err)
			}
			c, err := New(ctx, conn, root, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			m := listen(t, ctx, c)
			m.consistent(ctx, c, w, -1)
			p.Cut(t)
			waitGone(t, ctx, w, root+"/eph")
			set(t, ctx, w, root+"/a/x", "x2")
			mk(t, ctx, w, root+"/new", "n")
			p.Heal(t)
			m.consistent(ctx, c, w, -1)
			if _, ok := m.nodes[root+"/eph"]; ok || m.syncs == 0 {
				t.Fatalf("after the new session: eph cached %v, %d synced events", ok, m.syncs)
			}
			if g := conn.Session().Generation(); g < 2 {
				t.Fatalf("session generation %d after the expiry", g)
			}
			set(t, ctx, w, root+"/new", "n2")
			m.consistent(ctx, c, w, -1)
		})
	})
}

// waitGone waits, with a watch, until p does not exist.
func waitGone(t testing.TB, ctx context.Context, w *client.Conn, p string) {
	t.Helper()
	for {
		ok, _, ch, err := w.ExistsW(ctx, p)
		if client.IsRetryable(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("%s still exists", p)
		}
	}
}

// Fault: the session is expired on the servers (zktest.Expire) while the
// tree is idle, then the tree changes; the Conn has renewal.
// Expectation: stale, then synced on the new session, and the changes
// after it are followed (the watch is in place on the new session).
func TestFaultSessionExpired(t *testing.T) {
	modes(t, func(t *testing.T, opts ...Option) {
		ctx := zktest.Ctx(t)
		root := zktest.Root(t)
		w := zktest.Dial(t)
		mk(t, ctx, w, root+"/a", "a")
		conn := zktest.Dial(t, client.WithSessionRenewal(true))
		c, err := New(ctx, conn, root, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		m := listen(t, ctx, c)
		m.consistent(ctx, c, w, -1)
		zktest.Expire(t, conn)
		m.until("synced on the new session", func() bool { return m.syncs > 0 && !m.stale })
		mk(t, ctx, w, root+"/b", "b")
		set(t, ctx, w, root+"/a", "a2")
		m.consistent(ctx, c, w, -1)
		if c.Err() != nil {
			t.Fatalf("Err = %v", c.Err())
		}
	})
}

// Fault: the session expires on a Conn without renewal.
// Expectation: the stream reports stale and closes; Err matches ErrStopped
// and client.ErrSessionExpired; reads answer from the last copy.
func TestFaultSessionExpiredNoRenewal(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	w := zktest.Dial(t)
	mk(t, ctx, w, root+"/a", "a")
	conn := zktest.Dial(t, client.WithSessionRenewal(false))
	c, err := New(ctx, conn, root)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := listen(t, ctx, c)
	m.consistent(ctx, c, w, -1)
	zktest.Expire(t, conn)
	for !m.closed {
		m.next("the stream to close")
	}
	if last := m.history[len(m.history)-1]; last.Type != EventStale {
		t.Fatalf("last event %v, want stale", last.Type)
	}
	if err := c.Err(); !errors.Is(err, ErrStopped) || !errors.Is(err, client.ErrSessionExpired) {
		t.Fatalf("Err = %v", err)
	}
	if n, ok := c.Get(root + "/a"); !ok || string(n.Data) != "a" || !c.Stale() {
		t.Fatalf("Get after the end = %+v %v, stale %v", n, ok, c.Stale())
	}
	for range c.Listen(ctx) { // a new stream: the snapshot, then closed
	}
}

// Fault: random changes of a small tree (seeded; the seed is logged),
// with the cache's session expired by takeover at random points (renewal
// on) and the cache's link cut and healed.
// Expectation: after each burst the stream and the cache end equal to the
// servers' tree.
func TestFaultRandomChangesAndExpiries(t *testing.T) {
	modes(t, func(t *testing.T, opts ...Option) {
		seed := rand.Uint64()
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, seed))
		ctx := zktest.Ctx(t)
		root := zktest.Root(t)
		w := zktest.Dial(t)
		mk(t, ctx, w, root, "")
		link := ensembletest.Link(t, zktest.Servers(t))
		conn := zktest.DialTo(t, link.Servers(), client.WithSessionRenewal(true))
		c, err := New(ctx, conn, root, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		m := listen(t, ctx, c)
		paths := []string{"/a", "/b", "/a/x", "/a/y", "/b/x", "/a/x/deep"}
		for round := range 4 {
			for range 10 {
				p := root + paths[rng.IntN(len(paths))]
				switch rng.IntN(3) {
				case 0:
					err = client.Retry(ctx, func(ctx context.Context) error {
						_, _, err := w.Create(ctx, p, []byte(fmt.Sprint(rng.IntN(100))), client.ModePersistent, nil)
						return err
					})
				case 1:
					err = client.Retry(ctx, func(ctx context.Context) error {
						_, err := w.Set(ctx, p, []byte(fmt.Sprint(rng.IntN(100))), client.AnyVersion)
						return err
					})
				default:
					err = client.Retry(ctx, func(ctx context.Context) error { return w.Delete(ctx, p, client.AnyVersion) })
				}
				if err != nil && !errors.Is(err, client.ErrNodeExists) && !errors.Is(err, client.ErrNoNode) && !errors.Is(err, client.ErrNotEmpty) {
					t.Fatalf("round %d: %s: %v", round, p, err)
				}
				if rng.IntN(12) == 0 {
					zktest.Expire(t, conn)
				}
			}
			if round%2 == 1 { // the same burst while the link is cut, then healed
				link.Cut()
				mk(t, ctx, w, fmt.Sprintf("%s/cut%d", root, round), "cut")
				set(t, ctx, w, root, fmt.Sprint(round))
				link.Heal()
			}
			m.consistent(ctx, c, w, -1)
		}
	})
}
