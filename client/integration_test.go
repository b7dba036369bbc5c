// Package client_test holds the client's integration tests: they run
// against ensembletest.Use, the ensemble in ZABKIT_ZK_SERVERS (Apache
// ZooKeeper in CI) when it is set, otherwise each test's own in-process
// zabkit ensemble, so plain `go test ./...` runs them too.
//
// What the conformance suite (internal/conformance) already checks
// through this client on both backends is not repeated here: the
// operations and their Stat and error codes, create modes, sequential
// names, ephemerals, ACLs and auth, multi, one-shot watches and their
// removal, and watches re-registered after a reconnect. These tests keep
// what is the client's own: chroot, persistent-watch delivery nobody
// reads, the state stream and errors after expiry and Close, watches
// across repeated connection cuts, and protected creates.
package client_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

var (
	testCtx   = client.TestCtx
	waitState = client.WaitState
	recvEvent = client.RecvEvent
)

// testServers returns the connect string of the test's ensemble.
func testServers(t testing.TB) string {
	t.Helper()
	return ensembletest.Use(t).Servers
}

// dialTest connects to the ensemble with opts and closes the Conn at cleanup.
func dialTest(t testing.TB, connect string, opts ...client.Option) *client.Conn {
	t.Helper()
	ctx := testCtx(t)
	c, err := client.Dial(ctx, connect, append([]client.Option{client.WithSessionTimeout(4 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatalf("Dial(%q): %v", connect, err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// testRoot creates a fresh persistent node for one test and returns its
// path; it and everything below it is deleted at cleanup.
func testRoot(t testing.TB, c *client.Conn) string {
	t.Helper()
	ctx := testCtx(t)
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	base := "/zabkit-client-test"
	if _, _, err := c.Create(ctx, base, nil, client.ModePersistent, nil); err != nil && !errors.Is(err, client.ErrNodeExists) {
		t.Fatalf("create %s: %v", base, err)
	}
	root := fmt.Sprintf("%s/%s-%d", base, name, rand.Uint32())
	if _, _, err := c.Create(ctx, root, nil, client.ModePersistent, nil); err != nil {
		t.Fatalf("create %s: %v", root, err)
	}
	if !ensembletest.Use(t).External() {
		return root // the test's own ensemble goes with the test
	}
	t.Cleanup(func() {
		cc, err := client.Dial(context.Background(), testServers(t))
		if err != nil {
			t.Logf("cleanup: %v", err)
			return
		}
		defer cc.Close(context.Background())
		if err := deleteAll(context.Background(), cc, root); err != nil {
			t.Logf("cleanup %s: %v", root, err)
		}
	})
	return root
}

// deleteAll deletes path and its subtree.
func deleteAll(ctx context.Context, c *client.Conn, path string) error {
	kids, _, err := c.Children(ctx, path)
	if errors.Is(err, client.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, k := range kids {
		if err := deleteAll(ctx, c, path+"/"+k); err != nil {
			return err
		}
	}
	if err := c.Delete(ctx, path, client.AnyVersion); err != nil && !errors.Is(err, client.ErrNoNode) {
		return err
	}
	return nil
}

// expectClosed checks that ch is closed (after at most its pending event).
func expectClosed(t *testing.T, ch <-chan client.Event) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if ok {
			t.Fatalf("unexpected event %+v", ev)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("channel not closed within 20s")
	}
}
