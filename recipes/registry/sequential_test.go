package registry

import (
	"errors"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// sequentialNodes returns the children of dir that are DynamicSequential
// nodes of id, with their ephemeral owners.
func sequentialNodes(t *testing.T, c *client.Conn, dir, id string) map[string]int64 {
	t.Helper()
	ctx := zktest.Ctx(t)
	kids, _, err := c.Children(ctx, dir)
	if errors.Is(err, client.ErrNoNode) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, k := range kids {
		if !isSequentialOf(k, id) {
			continue
		}
		if ok, st, err := c.Exists(ctx, dir+"/"+k); err != nil {
			t.Fatal(err)
		} else if ok {
			out[k] = st.EphemeralOwner
		}
	}
	return out
}

// A DynamicSequential instance is one ephemeral-sequential node
// <id>NNNNNNNNNN of the registering session, as Curator writes it;
// registering it again updates that node, and Close deletes it.
func TestDynamicSequentialIsEphemeralSequential(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	c := zktest.Dial(t)
	reg := New(c, base)
	defer reg.Close(ctx)
	inst := Instance{Name: "s", ID: "seq", Address: "h1", ServiceType: DynamicSequential}
	if err := reg.Register(ctx, inst); err != nil {
		t.Fatal(err)
	}
	nodes := sequentialNodes(t, c, base+"/s", "seq")
	if len(nodes) != 1 {
		t.Fatalf("nodes %v, want one seqNNNNNNNNNN", nodes)
	}
	var name string
	for k, owner := range nodes {
		name = k
		if owner != c.SessionID() {
			t.Fatalf("node %s owned by %#x, want an ephemeral of session %#x", k, owner, c.SessionID())
		}
	}
	inst.Address = "h2"
	if err := reg.Register(ctx, inst); err != nil {
		t.Fatal(err)
	}
	if again := sequentialNodes(t, c, base+"/s", "seq"); len(again) != 1 || again[name] == 0 {
		t.Fatalf("after registering again: %v, want only %s", again, name)
	}
	data, _, err := c.Get(ctx, base+"/s/"+name)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal(data)
	if err != nil || got.ID != "seq" || got.Address != "h2" || got.ServiceType != DynamicSequential {
		t.Fatalf("node %s reads %+v %v", name, got, err)
	}
	if err := reg.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if left := sequentialNodes(t, c, base+"/s", "seq"); len(left) != 0 {
		t.Fatalf("after Close: %v left behind", left)
	}
}

// Fault: the session of a DynamicSequential instance expires.
// Expectation: the Registry (WithRedial) registers it again as one new
// ephemeral-sequential node of the new session.
func TestFaultDynamicSequentialSessionExpired(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	c := zktest.Dial(t, client.WithSessionRenewal(false)) // WithRedial redials when the Conn ends
	reg, dials := redialing(t, c, base)
	defer reg.Close(ctx)
	if err := reg.Register(ctx, Instance{Name: "s", ID: "seq", ServiceType: DynamicSequential}); err != nil {
		t.Fatal(err)
	}
	watcher := zktest.Dial(t)
	zktest.Expire(t, c)
	nc := zktest.Wait(t, dials, 20*time.Second, "the Registry to dial a new session")
	for {
		_, _, ev, err := watcher.ChildrenW(ctx, base+"/s")
		if err != nil && !errors.Is(err, client.ErrNoNode) {
			t.Fatal(err)
		}
		nodes := sequentialNodes(t, watcher, base+"/s", "seq")
		if len(nodes) == 1 {
			for k, owner := range nodes {
				if owner != nc.SessionID() {
					t.Fatalf("node %s owned by %#x, want the new session %#x", k, owner, nc.SessionID())
				}
			}
			break
		}
		if len(nodes) > 1 {
			t.Fatalf("nodes %v, want one", nodes)
		}
		if ev == nil { // no service node yet: wait for it
			_, _, ev, err = watcher.ExistsW(ctx, base+"/s")
			if err != nil {
				t.Fatal(err)
			}
		}
		zktest.Wait(t, ev, 20*time.Second, "re-registration")
	}
}
