package client

import (
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zabkit/zabkit/wire"
)

// TestCreateParentContainers: Create with WithParentContainers makes the
// missing ancestors as containers, top down, then the node in its own
// mode; without the option a missing parent is ErrNoNode and nothing is
// made; an option that does not apply to Create is refused before any
// request.
func TestCreateParentContainers(t *testing.T) {
	s := newFakeServer(t)
	tree := newFakeTree(s)
	tree.mkdir("/app")
	c := dialFake(t, []*fakeServer{s})
	ctx := bg(t)

	if _, _, err := c.Create(ctx, "/app/a/b/n", nil, ModePersistent, nil); !errors.Is(err, ErrNoNode) {
		t.Fatalf("Create without parents = %v, want ErrNoNode", err)
	}
	_, _, err := c.Create(ctx, "/app/a/b/n", nil, ModePersistent, nil, WithParentContainers(), fastRetry)
	if !errors.Is(err, ErrBadArguments) || !strings.Contains(err.Error(), "WithRetryBackOff") {
		t.Fatalf("Create with a retry option = %v, want ErrBadArguments naming it", err)
	}
	if got := tree.ops("container", "create"); len(got) != 0 {
		t.Fatalf("failed Creates made %v", got)
	}

	p, _, err := c.Create(ctx, "/app/a/b/n", []byte("v"), ModePersistent, nil, WithParentContainers())
	if err != nil || p != "/app/a/b/n" {
		t.Fatalf("Create with parents = %q, %v", p, err)
	}
	want := []string{"container /app/a", "container /app/a/b", "create /app/a/b/n"}
	if got := tree.ops("container", "create"); !slices.Equal(got, want) {
		t.Fatalf("creates = %v, want %v", got, want)
	}
	if n, _ := tree.node("/app/a/b/n"); n.container {
		t.Fatal("the node itself was made a container")
	}
	if n, _ := tree.node("/app"); n.container {
		t.Fatal("the existing /app was recreated")
	}
}

// TestCreateParentContainersSurvivesReaping: the server may reap an empty
// container between its creation and its child's (ZooKeeper does so every
// containerCheckInterval). Here /app/a is deleted right after Create made
// it and before it makes /app/a/b; Create must make the parents again and
// succeed, not fail with ErrNoNode.
func TestCreateParentContainersSurvivesReaping(t *testing.T) {
	s := newFakeServer(t)
	tree := newFakeTree(s)
	tree.mkdir("/app")
	var reaped atomic.Bool
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpCreateContainer && !reaped.Load() {
			var req wire.CreateRequest
			_ = wire.Unmarshal(body, &req)
			if req.Path == "/app/a/b" {
				reaped.Store(true)
				tree.mu.Lock()
				delete(tree.nodes, "/app/a")
				tree.mu.Unlock()
			}
		}
		tree.handle(fc, hdr, body)
	})
	c := dialFake(t, []*fakeServer{s})
	if _, _, err := c.Create(bg(t), "/app/a/b/n", nil, ModeEphemeral, nil, WithParentContainers()); err != nil {
		t.Fatalf("Create after /app/a was reaped: %v", err)
	}
	if !reaped.Load() {
		t.Fatal("the test's reaping never ran")
	}
	want := []string{"container /app/a", "container /app/a", "container /app/a/b", "create /app/a/b/n"}
	if got := tree.ops("container", "create"); !slices.Equal(got, want) {
		t.Fatalf("creates = %v, want %v", got, want)
	}
	if n, ok := tree.node("/app/a/b/n"); !ok || n.owner != c.SessionID() {
		t.Fatalf("node /app/a/b/n: %+v %v", n, ok)
	}
}
