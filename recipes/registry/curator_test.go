package registry

import (
	"slices"
	"strings"
	"testing"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/curatortest"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// The interoperability tests run Apache Curator itself
// (testdata/curator/Discovery.java) against the test's ensemble through
// curatortest, which skips them without Java and Curator's jars.

// curator returns a function that runs Discovery with args and returns its
// output lines, or skips the test.
func curator(t *testing.T) func(args ...string) []string {
	t.Helper()
	j := curatortest.New(t)
	return func(args ...string) []string {
		t.Helper()
		return j.Run(t, "Discovery", args...)
	}
}

// Curator registers instances as a Java service would (its default
// serializer, the one that writes "enabled", a disabled instance, a
// DYNAMIC_SEQUENTIAL one). Expectation: Go reads each node as Curator
// meant it, and Marshal writes byte for byte the JSON Curator wrote.
func TestCuratorWritesGoReads(t *testing.T) {
	run := curator(t)
	base := zktest.Root(t)
	type node struct {
		name      string
		ephemeral bool
		data      string
	}
	var nodes []node
	for _, l := range run("register", zktest.Servers(t), base) {
		f := strings.SplitN(l, "\t", 4)
		if len(f) != 4 || f[0] != "node" {
			t.Fatalf("unexpected output line %q", l)
		}
		nodes = append(nodes, node{f[1], f[2] == "true", f[3]})
	}
	if len(nodes) != 4 {
		t.Fatalf("Curator wrote %d nodes, want 4: %+v", len(nodes), nodes)
	}
	for _, n := range nodes {
		t.Logf("Curator wrote %s (ephemeral %v): %s", n.name, n.ephemeral, n.data)
		inst, err := Unmarshal([]byte(n.data))
		if err != nil {
			t.Fatalf("node %s: %v", n.name, err)
		}
		if !n.ephemeral {
			t.Errorf("node %s is not ephemeral", n.name)
		}
		wantID, wantDisabled, wantType := n.name, false, Dynamic
		switch {
		case n.name == "off":
			wantDisabled = true
		case isSequentialOf(n.name, "seq"):
			wantID, wantType = "seq", DynamicSequential
		}
		if inst.ID != wantID || inst.Disabled != wantDisabled || inst.ServiceType != wantType || inst.RegistrationTimeUTC != 1700000000000 {
			t.Errorf("node %s reads as %+v", n.name, inst)
		}
		enc, err := Marshal(inst)
		if err != nil {
			t.Fatal(err)
		}
		if n.name == "compat" {
			// Curator's default serializer leaves "enabled" out.
			if strings.Contains(n.data, `"enabled"`) || string(enc) != strings.TrimSuffix(n.data, "}")+`,"enabled":true}` {
				t.Errorf("node compat: Curator wrote %s, Go writes %s", n.data, enc)
			}
		} else if string(enc) != n.data {
			t.Errorf("node %s: Curator wrote\n%s\nGo writes\n%s", n.name, n.data, enc)
		}
	}
	if !slices.ContainsFunc(nodes, func(n node) bool { return isSequentialOf(n.name, "seq") }) {
		t.Errorf("no seqNNNNNNNNNN node among %+v", nodes)
	}
}

// Go registers instances with the Registry. Expectation: Curator's
// queryForNames and queryForInstances read them, enabled unless Disabled;
// and Curator's queryForInstances throws on a node that is not an
// instance (where QueryInstances returns an error naming it).
func TestGoWritesCuratorReads(t *testing.T) {
	run := curator(t)
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	c := zktest.Dial(t)
	reg := New(c, base)
	defer reg.Close(ctx)
	for _, inst := range []Instance{{Name: "svc", ID: "a", Address: "10.0.0.1", Port: Int(8080)},
		{Name: "svc", ID: "off", Disabled: true}, {Name: "svc", ID: "seq", ServiceType: DynamicSequential},
		{Name: "other", ID: "p", ServiceType: Permanent}} {
		if err := reg.Register(ctx, inst); err != nil {
			t.Fatal(err)
		}
	}
	out := run("query", zktest.Servers(t), base, "svc")
	if len(out) != 4 || out[0] != "names\tother,svc" {
		t.Fatalf("Curator read %q", out)
	}
	for i, want := range []Instance{{ID: "a"}, {ID: "off", Disabled: true}, {ID: "seq", ServiceType: DynamicSequential}} {
		data, ok := strings.CutPrefix(out[i+1], "instance\t")
		if !ok {
			t.Fatalf("line %q", out[i+1])
		}
		got, err := Unmarshal([]byte(data))
		if err != nil || got.ID != want.ID || got.Disabled != want.Disabled || (want.ServiceType != "" && got.ServiceType != want.ServiceType) {
			t.Errorf("Curator read %s, want id %s disabled %v", data, want.ID, want.Disabled)
		}
	}

	if _, _, err := c.Create(ctx, base+"/svc/junk", []byte("not json"), client.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	out = run("query", zktest.Servers(t), base, "svc")
	if len(out) != 2 || !strings.HasPrefix(out[1], "error\t") {
		t.Fatalf("Curator's queryForInstances with a bad node: %q, want an exception", out)
	}
	t.Logf("Curator's queryForInstances with a bad node: %s", out[1])
}
