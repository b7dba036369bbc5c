package group

import (
	"testing"

	"github.com/zabkit/zabkit/recipes/internal/curatortest"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// The interop test runs Apache Curator's GroupMember
// (testdata/curator/Group.java) beside a Go Member on the same group path,
// through curatortest (skipped without Java and Curator's jars).

// A Java GroupMember and a Go Member are in one group: each sees the
// other with its payload, each sees the other's payload change, and the
// Java member sees the Go one leave and the Go one the Java one.
func TestCuratorGroupMemberMixed(t *testing.T) {
	j := curatortest.New(t)
	ctx := zktest.Ctx(t)
	g := zktest.Root(t) + "/group"
	java := j.Start(t, "Group", zktest.Servers(t), g, "java", "pj")
	java.Expect(ctx, t, "started")
	// javaSees asks the Java member for getCurrentMembers until it is want
	// (its cache follows the servers by watches).
	javaSees := func(want string) {
		t.Helper()
		for {
			java.Send(t, "members")
			f := java.Expect(ctx, t, "members")
			if len(f) > 1 && f[1] == want {
				return
			}
			if ctx.Err() != nil {
				t.Fatalf("Java member sees %q, want %q", f, want)
			}
		}
	}

	m := join(t, zktest.Dial(t), g, "go", "pg")
	v := follow(t, m)
	v.until("the Java member", func(m map[string]string) bool { return m["java"] == "pj" && m["go"] == "pg" })
	javaSees("go=pg,java=pj")

	java.Send(t, "payload pj2")
	java.Expect(ctx, t, "set")
	v.until("the Java member's new payload", func(m map[string]string) bool { return m["java"] == "pj2" })
	if err := m.SetPayload(ctx, []byte("pg2")); err != nil {
		t.Fatal(err)
	}
	javaSees("go=pg2,java=pj2")

	other := join(t, zktest.Dial(t), g, "go2", "p2")
	javaSees("go=pg2,go2=p2,java=pj2")
	if err := other.Close(ctx); err != nil {
		t.Fatal(err)
	}
	javaSees("go=pg2,java=pj2")

	if err := java.Stop(); err != nil {
		t.Fatalf("java: %v\n%s", err, java.Stderr())
	}
	v.until("the Java member leave", func(m map[string]string) bool { _, ok := m["java"]; return !ok })
	if got := ids(m.Members()); len(got) != 1 || got[0] != "go" {
		t.Fatalf("Members after the Java member left: %v", got)
	}
}
