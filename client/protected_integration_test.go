package client_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/zabkit/zabkit/client"
)

// TestIntegrationCreateProtectedParents: on a real server, missing parents
// are made with WithParentContainers, and refused (ErrNoNode, nothing
// left behind) without it.
func TestIntegrationCreateProtectedParents(t *testing.T) {
	c := dialTest(t, testServers(t))
	ctx := testCtx(t)
	root := testRoot(t, c)

	if _, _, err := c.CreateProtected(ctx, root+"/a/b/lock-", nil, client.ModeEphemeralSequential, nil); !errors.Is(err, client.ErrNoNode) {
		t.Fatalf("without parents: %v, want ErrNoNode", err)
	}
	p, st, err := c.CreateProtected(ctx, root+"/a/b/lock-", []byte("v"), client.ModeEphemeralSequential, nil, client.WithParentContainers())
	if err != nil {
		t.Fatal(err)
	}
	name := p[len(root+"/a/b/"):]
	if !strings.HasPrefix(p, root+"/a/b/") || !client.IsProtected(name) || client.StripProtected(name) != "lock-0000000000" ||
		st.EphemeralOwner != c.SessionID() {
		t.Fatalf("CreateProtected = %q %+v", p, st)
	}
	d, _, err := c.Get(ctx, p)
	if err != nil || string(d) != "v" {
		t.Fatalf("Get(%s) = %q %v", p, d, err)
	}
	kids, _, err := c.Children(ctx, root+"/a/b")
	if err != nil || !slices.Equal(kids, []string{name}) {
		t.Fatalf("children = %v %v", kids, err)
	}
}
