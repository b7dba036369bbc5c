package persistent

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/curatortest"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// The interop test runs Apache Curator's PersistentNode
// (testdata/curator/PNode.java) beside a Go Node under the same parent,
// through curatortest (skipped without Java and Curator's jars).

// A protected ephemeral-sequential Node and Curator's PersistentNode in
// the same mode under one parent: each side reads the other's name as
// protected (same id, same name and sequence once normalized); a node
// deleted by the other side's client is created again by its owner; and
// the Java node goes when its PersistentNode is closed.
func TestCuratorPersistentNodeProtected(t *testing.T) {
	j := curatortest.New(t)
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t) + "/nodes"
	java := j.Start(t, "PNode", zktest.Servers(t), dir+"/n", "java")
	jpath := java.Expect(ctx, t, "created")[1]
	c := zktest.Dial(t)
	n := start(t, c, dir+"/n", client.ModeEphemeralSequential, []byte("go"), WithProtection())
	gpath := n.Path()

	seqName := regexp.MustCompile(`^n[0-9]{10}$`)
	jname := jpath[len(dir)+1:]
	if !client.IsProtected(jname) || !seqName.MatchString(client.StripProtected(jname)) {
		t.Fatalf("Curator's node %s is not protected-sequential as Go reads it", jpath)
	}
	gname := gpath[len(dir)+1:]
	java.Send(t, "check "+gname)
	f := java.Expect(ctx, t, "check")
	id, _ := client.ProtectedID(gname)
	if f[1] != "true" || f[2] != id || f[3] != client.StripProtected(gname) {
		t.Fatalf("Curator reads the Go node %s as %q; want protected, id %s, name %s", gname, f[1:], id, client.StripProtected(gname))
	}

	// Java deletes the Go node: the Node creates it again, same path, data
	// and session.
	_, before, err := c.Get(ctx, gpath)
	if err != nil {
		t.Fatal(err)
	}
	java.Send(t, "delete "+gpath)
	java.Expect(ctx, t, "deleted")
	waitNode(t, c, gpath, "the Go node back", func(ok bool, data []byte, st client.Stat) bool {
		return ok && st.Czxid > before.Czxid && string(data) == "go" && st.EphemeralOwner == c.Session().ID()
	})

	// Go deletes the Java node: Curator creates it again (under a new
	// protected name).
	if err := c.Delete(ctx, jpath, client.AnyVersion); err != nil {
		t.Fatal(err)
	}
	javaNodes := func() []string {
		kids, _, ev, err := c.ChildrenW(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range kids {
			if data, _, err := c.Get(ctx, dir+"/"+k); err == nil && string(data) == "java" {
				out = append(out, dir+"/"+k)
			}
		}
		if len(out) == 0 {
			zktest.Wait(t, ev, zktest.SessionTimeout*5, "Curator to create its node again")
		}
		return out
	}
	var again []string
	for again = javaNodes(); len(again) == 0; again = javaNodes() {
	}
	java.Send(t, "path")
	if p := java.Expect(ctx, t, "path")[1]; !slices.Contains(again, p) || !strings.HasPrefix(p, dir+"/_c_") {
		t.Fatalf("Curator's node is %s; nodes with its data: %v", p, again)
	}

	if err := java.Stop(); err != nil {
		t.Fatalf("java: %v\n%s", err, java.Stderr())
	}
	kids, _, err := synced(t, c).Children(ctx, dir)
	if err != nil || len(kids) != 1 || dir+"/"+kids[0] != gpath {
		t.Fatalf("after Curator's close: children %v, %v; want only the Go node", kids, err)
	}
}
