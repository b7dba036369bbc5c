package barrier

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/curatortest"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// The interop tests run Apache Curator's DistributedDoubleBarrier
// (testdata/curator/DoubleBarrier.java) beside the Go DoubleBarrier on the
// same directory, through curatortest (skipped without Java and Curator's
// jars).

// Two Java and two Go participants share one double barrier for four.
// Expectation: nobody enters before the last participant (a Go one,
// started last) has joined, then all four enter; nobody leaves before the
// last one (again Go) starts to leave, then all four leave.
func TestCuratorDoubleBarrierMixed(t *testing.T) {
	j := curatortest.New(t)
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t) + "/double"
	const javaN, n = 2, 4
	java := j.Start(t, "DoubleBarrier", zktest.Servers(t), dir, "4", "2")

	javaLines := make(chan []string, 16)
	go func() {
		defer close(javaLines)
		for l := range java.Lines() {
			javaLines <- strings.Split(l, "\t")
		}
	}()
	awaitJava := func(what string) {
		t.Helper()
		for range javaN {
			select {
			case f, ok := <-javaLines:
				if !ok || f[0] != what {
					t.Fatalf("Java printed %q, want %s\n%s", f, what, java.Stderr())
				}
			case <-ctx.Done():
				t.Fatalf("Java: no %s line", what)
			}
		}
	}

	c := zktest.Dial(t)
	first := NewDoubleBarrier(zktest.Dial(t), dir, n)
	last := NewDoubleBarrier(zktest.Dial(t), dir, n)
	firstIn := make(chan error, 1)
	go func() { firstIn <- first.Enter(ctx) }()
	awaitJava("entering")
	awaitParticipants(ctx, t, c, dir, 3)
	// Three participants have joined: none may pass.
	select {
	case err := <-firstIn:
		t.Fatalf("Go participant entered (%v) before the fourth joined", err)
	case f := <-javaLines:
		t.Fatalf("Java printed %q before the fourth participant joined", f)
	default:
	}
	if err := last.Enter(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-firstIn; err != nil {
		t.Fatal(err)
	}
	awaitJava("entered")

	java.Send(t, "leave")
	awaitJava("leaving")
	firstOut := make(chan error, 1)
	go func() { firstOut <- first.Leave(ctx) }()
	select {
	case err := <-firstOut:
		t.Fatalf("Go participant left (%v) before the fourth started to leave", err)
	case f := <-javaLines:
		t.Fatalf("Java printed %q before the fourth participant started to leave", f)
	default:
	}
	if err := last.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-firstOut; err != nil {
		t.Fatal(err)
	}
	awaitJava("left")
	if f := <-javaLines; len(f) == 0 || f[0] != "done" {
		t.Fatalf("Java printed %q, want done", f)
	}
	if err := java.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// awaitParticipants waits until dir has n participant nodes.
func awaitParticipants(ctx context.Context, t *testing.T, c *client.Conn, dir string, n int) {
	t.Helper()
	for {
		kids, _, ev, err := c.ChildrenW(ctx, dir)
		if err != nil && !errors.Is(err, client.ErrNoNode) {
			t.Fatal(err)
		}
		if len(slices.DeleteFunc(kids, func(k string) bool { return k == readyNode })) >= n {
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
			t.Fatalf("waiting for %d participants in %s: %v", n, dir, ctx.Err())
		}
	}
}
