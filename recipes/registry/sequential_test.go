package registry

import (
	"errors"
	"testing"

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
