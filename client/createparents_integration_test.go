package client_test

import (
	"errors"
	"testing"

	"github.com/zabkit/zabkit/client"
)

// TestIntegrationCreateParentContainers: on a real server, Create with
// WithParentContainers makes the missing ancestors as containers (which
// the server reaps once empty) and the node in its own mode.
func TestIntegrationCreateParentContainers(t *testing.T) {
	c := dialTest(t, testServers(t))
	ctx := testCtx(t)
	root := testRoot(t, c)

	p, st, err := c.Create(ctx, root+"/a/b/n", []byte("v"), client.ModeEphemeral, nil, client.WithParentContainers())
	if err != nil || p != root+"/a/b/n" || st.EphemeralOwner != c.SessionID() {
		t.Fatalf("Create with parents = %q %+v %v", p, st, err)
	}
	for _, dir := range []string{root + "/a", root + "/a/b"} {
		ok, st, err := c.Exists(ctx, dir)
		if err != nil || !ok || st.EphemeralOwner != 0 {
			t.Fatalf("%s: exists %v %+v %v", dir, ok, st, err)
		}
	}
	if _, _, err := c.Create(ctx, root+"/a/b/n", nil, client.ModeEphemeral, nil, client.WithParentContainers()); !errors.Is(err, client.ErrNodeExists) {
		t.Fatalf("second Create = %v, want ErrNodeExists", err)
	}
}
