package persistent

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// waitNode waits, by watches on c, until the node at path satisfies ok
// (exists is false for a missing node), and returns its data and Stat.
func waitNode(t *testing.T, c *client.Conn, path string, what string, ok func(exists bool, data []byte, st client.Stat) bool) ([]byte, client.Stat) {
	t.Helper()
	ctx := zktest.Ctx(t)
	for {
		exists, _, ev, err := c.ExistsW(ctx, path)
		if err != nil && !client.IsRetryable(err) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		var data []byte
		var st client.Stat
		if err == nil && exists {
			data, st, err = c.Get(ctx, path)
			if errors.Is(err, client.ErrNoNode) {
				exists, err = false, nil
			}
		}
		if err == nil && ok(exists, data, st) {
			return data, st
		}
		if err != nil {
			continue // connection loss: look again
		}
		select {
		case <-ev:
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// synced brings c's server up to date with the leader (Sync), so that
// its next read sees every write completed before, by any client.
func synced(t *testing.T, c *client.Conn) *client.Conn {
	t.Helper()
	if err := c.Sync(zktest.Ctx(t), "/"); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return c
}

func start(t *testing.T, c *client.Conn, path string, mode client.CreateMode, data []byte, opts ...Option) *Node {
	t.Helper()
	n, err := New(c, path, mode, data, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// bounded: after a failure the Conn may be cut off for good
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = n.Close(ctx)
	})
	if err := n.WaitForInitialCreate(zktest.Ctx(t)); err != nil {
		t.Fatalf("WaitForInitialCreate: %v", err)
	}
	return n
}

var protectedName = regexp.MustCompile(`^_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-`)

// Each mode makes Curator's layout: the node (protected names
// _c_<uuid>-name, sequence suffixes) with the data, ephemeral ones owned by
// the session, parents made; Close deletes it.
func TestNodeModes(t *testing.T) {
	root := zktest.Root(t)
	c := zktest.Dial(t)
	ctx := zktest.Ctx(t)
	for _, tc := range []struct {
		name    string
		mode    client.CreateMode
		opts    []Option
		pattern string
	}{
		{"persistent", client.ModePersistent, nil, `^n$`},
		{"ephemeral", client.ModeEphemeral, nil, `^n$`},
		{"ephemeral-protected", client.ModeEphemeral, []Option{WithProtection()}, `^_c_[-0-9a-f]{36}-n$`},
		{"ephemeral-sequential-protected", client.ModeEphemeralSequential, []Option{WithProtection()}, `^_c_[-0-9a-f]{36}-n[0-9]{10}$`},
		{"persistent-sequential", client.ModePersistentSequential, nil, `^n[0-9]{10}$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := root + "/" + tc.name
			n := start(t, c, dir+"/n", tc.mode, []byte("v1"), tc.opts...)
			p := n.Path()
			if name := p[len(dir)+1:]; !regexp.MustCompile(tc.pattern).MatchString(name) || p[:len(dir)] != dir {
				t.Fatalf("path %q: name does not match %s", p, tc.pattern)
			}
			if tc.opts != nil && !protectedName.MatchString(p[len(dir)+1:]) {
				t.Fatalf("path %q is not protected", p)
			}
			data, st, err := c.Get(ctx, p)
			if err != nil || string(data) != "v1" {
				t.Fatalf("Get %s = %q, %v; want v1", p, data, err)
			}
			if want := tc.mode.IsEphemeral(); (st.EphemeralOwner == c.Session().ID()) != want {
				t.Fatalf("ephemeral owner 0x%x, session 0x%x, ephemeral mode %v", st.EphemeralOwner, c.Session().ID(), want)
			}
			if err := n.SetData(ctx, []byte("v2")); err != nil {
				t.Fatal(err)
			}
			if data, _, _ := c.Get(ctx, p); string(data) != "v2" {
				t.Fatalf("after SetData: %q", data)
			}
			if err := n.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if ok, _, err := c.Exists(ctx, p); ok || err != nil {
				t.Fatalf("after Close: exists %v, %v", ok, err)
			}
			if err := n.SetData(ctx, nil); !errors.Is(err, ErrClosed) {
				t.Fatalf("SetData after Close: %v, want ErrClosed", err)
			}
		})
	}
}

// A node deleted by another client is created again, at the same path
// (a sequential one keeps its name), with the latest data.
func TestNodeRecreatedAfterDelete(t *testing.T) {
	root := zktest.Root(t)
	c, other := zktest.Dial(t), zktest.Dial(t)
	ctx := zktest.Ctx(t)
	for _, mode := range []client.CreateMode{client.ModeEphemeralSequential, client.ModePersistent} {
		n := start(t, c, root+"/"+mode.String()+"/n", mode, []byte("a"), WithProtection())
		p := n.Path()
		if err := n.SetData(ctx, []byte("b")); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			_, st, err := synced(t, other).Get(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if err := other.Delete(ctx, p, client.AnyVersion); err != nil {
				t.Fatal(err)
			}
			waitNode(t, other, p, "the node created again", func(ok bool, data []byte, st2 client.Stat) bool {
				return ok && st2.Czxid > st.Czxid && string(data) == "b"
			})
			if n.Path() != p {
				t.Fatalf("round %d: path %s, was %s", i, n.Path(), p)
			}
		}
	}
}

// An ephemeral node of another session at the path is never taken over:
// the Node waits for it to go, then creates its own.
func TestNodeLeavesAnotherSessionsEphemeral(t *testing.T) {
	root := zktest.Root(t)
	c, other := zktest.Dial(t), zktest.Dial(t)
	ctx := zktest.Ctx(t)
	p := root + "/n"
	if err := zktest.CreateAll(ctx, other, root, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Create(ctx, p, []byte("theirs"), client.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	n, err := New(c, p, client.ModeEphemeral, []byte("mine"))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(ctx)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := n.WaitForInitialCreate(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitForInitialCreate with another session's node there: %v", err)
	}
	if data, _, _ := other.Get(ctx, p); string(data) != "theirs" {
		t.Fatalf("the other session's node was written: %q", data)
	}
	if err := other.Delete(ctx, p, client.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if err := n.WaitForInitialCreate(ctx); err != nil {
		t.Fatal(err)
	}
	waitNode(t, other, p, "the Node's own node", func(ok bool, data []byte, st client.Stat) bool {
		return ok && st.EphemeralOwner == c.Session().ID() && string(data) == "mine"
	})
}

// A node deleted while its Conn's link is cut is created again once the
// link is healed (same session); a node that survived the cut is left as
// it is.
func TestNodeLinkCutAndHealed(t *testing.T) {
	root := zktest.Root(t)
	link := ensembletest.Link(t, zktest.Servers(t))
	c := zktest.DialTo(t, link.Servers(), client.WithSessionTimeout(zktest.SurvivingSessionTimeout))
	other := zktest.Dial(t)
	ctx := zktest.Ctx(t)
	kept := start(t, c, root+"/kept", client.ModeEphemeral, []byte("k"))
	gone := start(t, c, root+"/gone", client.ModePersistent, []byte("g"))
	_, keptSt, _ := synced(t, other).Get(ctx, kept.Path())
	_, goneSt, _ := synced(t, other).Get(ctx, gone.Path())
	sid := c.Session().ID()

	link.Cut()
	if err := other.Delete(ctx, gone.Path(), client.AnyVersion); err != nil {
		t.Fatal(err)
	}
	link.Heal()
	waitNode(t, other, gone.Path(), "the deleted node created again", func(ok bool, data []byte, st client.Stat) bool {
		return ok && st.Czxid > goneSt.Czxid && string(data) == "g"
	})
	_, st, err := synced(t, other).Get(ctx, kept.Path())
	if err != nil || st.Czxid != keptSt.Czxid || st.EphemeralOwner != sid || c.Session().ID() != sid {
		t.Fatalf("kept node: %+v, %v (was czxid %d, session 0x%x, now 0x%x)", st, err, keptSt.Czxid, sid, c.Session().ID())
	}
}

// With session renewal, an expired session's ephemeral node is created
// again on the new session, at the same path with the latest data; the
// Node never writes or deletes the old session's node; a persistent node
// is left alone.
func TestNodeSessionExpiredRenewal(t *testing.T) {
	root := zktest.Root(t)
	c := zktest.Dial(t, client.WithSessionRenewal(true))
	other := zktest.Dial(t)
	ctx := zktest.Ctx(t)
	eph := start(t, c, root+"/eph", client.ModeEphemeralSequential, []byte("e1"), WithProtection())
	per := start(t, c, root+"/per", client.ModePersistent, []byte("p"))
	_, perSt, _ := synced(t, other).Get(ctx, per.Path())
	old := c.Session()
	p := eph.Path()

	zktest.Expire(t, c)
	// SetData between sessions: the new node carries it, the old one
	// (gone or going) is never written.
	if err := eph.SetData(ctx, []byte("e2")); err != nil {
		t.Fatal(err)
	}
	data, st := waitNode(t, other, p, "the node on the new session", func(ok bool, data []byte, st client.Stat) bool {
		return ok && st.EphemeralOwner != old.ID()
	})
	now, err := c.WaitSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.EphemeralOwner != now.ID() || now.Generation() <= old.Generation() || string(data) != "e2" {
		t.Fatalf("node %s: owner 0x%x data %q; session %v (was %v)", p, st.EphemeralOwner, data, now, old)
	}
	if eph.Path() != p {
		t.Fatalf("path %s, was %s", eph.Path(), p)
	}
	if _, st, err := synced(t, other).Get(ctx, per.Path()); err != nil || st.Czxid != perSt.Czxid {
		t.Fatalf("persistent node after expiry: %+v, %v", st, err)
	}
	if err := eph.Err(); err != nil {
		t.Fatal(err)
	}
	if err := eph.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := synced(t, other).Exists(ctx, p); ok {
		t.Fatal("Close left the node")
	}
}

// Without renewal the Node ends with the session: Done closes and Err
// matches ErrStopped and client.ErrSessionExpired; Close then returns at
// once.
func TestNodeSessionExpiredNoRenewal(t *testing.T) {
	root := zktest.Root(t)
	c := zktest.Dial(t, client.WithSessionRenewal(false))
	n := start(t, c, root+"/n", client.ModeEphemeral, nil)
	zktest.Expire(t, c)
	zktest.Wait(t, n.Done(), 30*time.Second, "the Node to stop")
	if err := n.Err(); !errors.Is(err, ErrStopped) || !errors.Is(err, client.ErrSessionExpired) {
		t.Fatalf("Err = %v", err)
	}
	if err := n.Close(zktest.Ctx(t)); err != nil {
		t.Fatal(err)
	}
}

// New rejects what it cannot keep.
func TestNewRejects(t *testing.T) {
	c := zktest.Dial(t)
	for _, tc := range []struct {
		path string
		mode client.CreateMode
		opts []Option
	}{
		{"rel", client.ModePersistent, nil},
		{"/", client.ModePersistent, nil},
		{"/a", client.ModePersistentWithTTL, nil},
		{"/a", client.ModePersistent, []Option{WithTTL(time.Second)}},
		{"/a", client.ModePersistentWithTTL, []Option{WithTTL(time.Second), WithProtection()}},
	} {
		if _, err := New(c, tc.path, tc.mode, nil, tc.opts...); err == nil {
			t.Errorf("New(%q, %v) succeeded", tc.path, tc.mode)
		}
	}
}
