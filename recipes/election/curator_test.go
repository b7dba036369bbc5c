package election

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/curatortest"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// The interop tests run Apache Curator's LeaderLatch
// (testdata/curator/Latch.java) beside the Go election on the same
// directory, through curatortest (skipped without Java and Curator's
// jars). Every leader, Go or Java, creates an ephemeral marker node when
// it starts to lead and deletes it before it resigns: a leader that finds
// the marker of another found two leaders at once.

// Go leads, a Java LeaderLatch joins, Go resigns, Java leads, a Go
// candidate joins, Java closes, Go leads. Expectation: the leadership
// passes both ways without two leaders at once, and each side names the
// other as leader with the value (participant id) it gave.
func TestCuratorLeaderLatchHandOver(t *testing.T) {
	j := curatortest.New(t)
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t)
	dir, marker := root+"/election", root+"/leader"
	java := j.Start(t, "Latch", zktest.Servers(t), dir, marker)
	java.Expect(ctx, t, "ready")
	expect := func(want ...string) []string {
		t.Helper()
		f := java.Next(ctx, t)
		if !slices.Equal(f[:min(len(f), len(want))], want) {
			t.Fatalf("Java printed %q, want %q", f, want)
		}
		return f
	}
	lead := func() {
		t.Helper()
		if _, _, err := c.Create(ctx, marker, nil, client.ModeEphemeral, nil); err != nil {
			t.Fatalf("Go leader's marker: %v (another leader still acting?)", err)
		}
	}

	e := New(c, dir)
	if err := e.Campaign(ctx, "go-1"); err != nil {
		t.Fatal(err)
	}
	lead()
	java.Send(t, "start java-1")
	expect("started")
	awaitCandidates(ctx, t, c, dir, 2)
	java.Send(t, "query")
	expect("query", "false", "go-1", "go-1,java-1")

	if err := c.Delete(ctx, marker, client.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if err := e.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	expect("leader")
	if v, err := e.Leader(ctx); err != nil || v != "java-1" {
		t.Fatalf("Leader while Java leads: %q, %v; want java-1", v, err)
	}

	won := make(chan error, 1)
	go func() { won <- e.Campaign(ctx, "go-2") }()
	awaitCandidates(ctx, t, c, dir, 2)
	java.Send(t, "query")
	expect("query", "true", "java-1", "java-1,go-2")
	java.Send(t, "close")
	// Closing a leading latch reports notLeader, then closed.
	for f := java.Next(ctx, t); f[0] != "closed"; f = java.Next(ctx, t) {
		if f[0] != "notleader" {
			t.Fatalf("Java printed %q while closing", f)
		}
	}
	if err := <-won; err != nil {
		t.Fatal(err)
	}
	lead()
	if v, err := e.Leader(ctx); err != nil || v != "go-2" {
		t.Fatalf("Leader after Java closed: %q, %v; want go-2", v, err)
	}
}

// awaitCandidates waits until dir has n children (candidates' nodes).
func awaitCandidates(ctx context.Context, t *testing.T, c *client.Conn, dir string, n int) {
	t.Helper()
	for {
		kids, _, ev, err := c.ChildrenW(ctx, dir)
		if err != nil && !errors.Is(err, client.ErrNoNode) {
			t.Fatal(err)
		}
		if len(kids) >= n {
			return
		}
		if errors.Is(err, client.ErrNoNode) {
			var ok bool
			if ok, _, ev, err = c.ExistsW(ctx, dir); err != nil {
				t.Fatal(err)
			} else if ok {
				continue // created meanwhile
			}
		}
		select {
		case <-ev:
		case <-ctx.Done():
			t.Fatalf("waiting for %d candidates in %s: %v", n, dir, ctx.Err())
		}
	}
}
