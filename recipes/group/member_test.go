package group

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/cache"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

func join(t *testing.T, c *client.Conn, path, id, payload string) *Member {
	t.Helper()
	m, err := Join(zktest.Ctx(t), c, path, id, []byte(payload))
	if err != nil {
		t.Fatalf("Join %s: %v", id, err)
	}
	t.Cleanup(func() {
		// bounded: after a failure the Conn may be cut off for good
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.Close(ctx)
	})
	return m
}

// view follows a Member's Listen stream into a map of id -> payload.
type view struct {
	t      *testing.T
	events <-chan cache.Event
	m      map[string]string
}

func follow(t *testing.T, m *Member) *view {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return &view{t: t, events: m.Listen(ctx), m: map[string]string{}}
}

// until applies events until the view satisfies ok.
func (v *view) until(what string, ok func(map[string]string) bool) {
	v.t.Helper()
	ctx := zktest.Ctx(v.t)
	for !ok(v.m) {
		select {
		case ev, open := <-v.events:
			if !open {
				v.t.Fatalf("stream closed waiting for %s", what)
			}
			switch ev.Type {
			case cache.EventCreated, cache.EventChanged:
				v.m[ID(ev.Node.Path)] = string(ev.Node.Data)
			case cache.EventDeleted:
				delete(v.m, ID(ev.Node.Path))
			}
		case <-ctx.Done():
			v.t.Fatalf("timed out waiting for %s; view %v", what, v.m)
		}
	}
}

func ids(m map[string][]byte) []string { return slices.Sorted(maps.Keys(m)) }

// Members on separate sessions see each other with their payloads, see a
// payload change, and see a member leave by Close and one whose session
// ends (its process died: its Conn closed without leaving).
func TestMembersSeeEachOther(t *testing.T) {
	root := zktest.Root(t)
	ca, cb, cc := zktest.Dial(t), zktest.Dial(t), zktest.Dial(t)
	g := root + "/g"
	a := join(t, ca, g, "a", "pa")
	va := follow(t, a)
	b := join(t, cb, g, "b", "pb")
	join(t, cc, g, "c", "pc")
	va.until("b and c", func(m map[string]string) bool { return len(m) == 3 && m["b"] == "pb" && m["c"] == "pc" })
	follow(t, b).until("b to see a, b and c", func(m map[string]string) bool {
		return m["a"] == "pa" && m["b"] == "pb" && m["c"] == "pc"
	})
	if err := b.SetPayload(zktest.Ctx(t), []byte("pb2")); err != nil {
		t.Fatal(err)
	}
	va.until("b's new payload", func(m map[string]string) bool { return m["b"] == "pb2" })
	if string(a.Members()["b"]) != "pb2" {
		t.Fatalf("Members: %q", a.Members())
	}
	if err := b.Close(zktest.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	va.until("b to leave", func(m map[string]string) bool { _, ok := m["b"]; return !ok })
	_ = cc.Close(zktest.Ctx(t)) // c dies: its session ends with its Conn
	va.until("c to leave", func(m map[string]string) bool { _, ok := m["c"]; return !ok })
	if got := ids(a.Members()); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("Members after b and c left: %v", got)
	}
}

// A member always counts itself, and its node is Curator's layout: an
// ephemeral node path/id of its session with the payload.
func TestMemberLayout(t *testing.T) {
	root := zktest.Root(t)
	c := zktest.Dial(t)
	m := join(t, c, root+"/g", "w1", "payload")
	data, st, err := c.Get(zktest.Ctx(t), root+"/g/w1")
	if err != nil || string(data) != "payload" || st.EphemeralOwner != c.Session().ID() {
		t.Fatalf("member node: %q %+v %v", data, st, err)
	}
	if got := m.Members(); len(got) != 1 || string(got["w1"]) != "payload" {
		t.Fatalf("Members = %q", got)
	}
	if _, err := Join(zktest.Ctx(t), c, root+"/g", "a/b", nil); err == nil {
		t.Fatal("Join with a '/' in the id succeeded")
	}
}

// With renewal, a member whose session expires is seen to leave and come
// back (its node on the new session); the member itself goes on.
func TestMemberSessionExpiredRenewal(t *testing.T) {
	root := zktest.Root(t)
	ca := zktest.Dial(t)
	cb := zktest.Dial(t, client.WithSessionRenewal(true))
	g := root + "/g"
	a := join(t, ca, g, "a", "pa")
	va := follow(t, a)
	b := join(t, cb, g, "b", "pb")
	va.until("b", func(m map[string]string) bool { return m["b"] == "pb" })
	old := cb.Session()
	zktest.Expire(t, cb)
	va.until("b to leave", func(m map[string]string) bool { _, ok := m["b"]; return !ok })
	va.until("b back", func(m map[string]string) bool { return m["b"] == "pb" })
	_, st, err := ca.Get(zktest.Ctx(t), g+"/b")
	if err != nil || st.EphemeralOwner == old.ID() || st.EphemeralOwner != cb.Session().ID() {
		t.Fatalf("b's node after expiry: owner 0x%x (old session %v, now %v), %v", st.EphemeralOwner, old, cb.Session(), err)
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
}

// Without renewal a member ends with its session: Err matches ErrStopped
// and client.ErrSessionExpired; the others see it leave.
func TestMemberSessionExpiredNoRenewal(t *testing.T) {
	root := zktest.Root(t)
	ca := zktest.Dial(t)
	cb := zktest.Dial(t, client.WithSessionRenewal(false))
	g := root + "/g"
	a := join(t, ca, g, "a", "pa")
	va := follow(t, a)
	b := join(t, cb, g, "b", "pb")
	va.until("b", func(m map[string]string) bool { return m["b"] == "pb" })
	zktest.Expire(t, cb)
	va.until("b to leave", func(m map[string]string) bool { _, ok := m["b"]; return !ok })
	zktest.Wait(t, b.node.Done(), 30*time.Second, "b to stop")
	if err := b.Err(); !errors.Is(err, ErrStopped) || !errors.Is(err, client.ErrSessionExpired) {
		t.Fatalf("Err = %v", err)
	}
}

// A member whose link is cut and healed within its session stays in the
// group; one whose node another client deleted meanwhile comes back.
func TestMemberLinkCut(t *testing.T) {
	zktest.Partitions(t, func(t *testing.T, p *zktest.Partition) {
		root := zktest.Root(t)
		ca := zktest.Dial(t)
		cb := p.Dial(t, client.WithSessionTimeout(zktest.SurvivingSessionTimeout))
		g := root + "/g"
		a := join(t, ca, g, "a", "pa")
		va := follow(t, a)
		join(t, cb, g, "b", "pb")
		va.until("b", func(m map[string]string) bool { return m["b"] == "pb" })
		sid := cb.Session().ID()
		p.Cut(t)
		// ca may have been on the server cut off: it moves, and the delete
		// is retried after a lost reply
		err := client.Retry(zktest.Ctx(t), func(ctx context.Context) error {
			err := ca.Delete(ctx, g+"/b", client.AnyVersion)
			if errors.Is(err, client.ErrNoNode) {
				return nil
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		va.until("b deleted", func(m map[string]string) bool { _, ok := m["b"]; return !ok })
		p.Heal(t)
		va.until("b back", func(m map[string]string) bool { return m["b"] == "pb" })
		if _, st, err := ca.Get(zktest.Ctx(t), g+"/b"); err != nil || st.EphemeralOwner != sid {
			t.Fatalf("b's node: owner 0x%x, want its unchanged session 0x%x: %v", st.EphemeralOwner, sid, err)
		}
	})
}
