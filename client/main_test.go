package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// serversEnv names the environment variable with the connect string of the
// ZooKeeper ensemble the integration tests run against.
const serversEnv = "ZABKIT_ZK_SERVERS"

// testServers returns the ensemble's connect string, or skips the test.
func testServers(t testing.TB) string {
	t.Helper()
	s := os.Getenv(serversEnv)
	if s == "" {
		t.Skipf("integration test: set %s to a ZooKeeper connect string (e.g. 127.0.0.1:2181,127.0.0.1:2182) to run it", serversEnv)
	}
	return s
}

// testCtx returns a context bounded for one test.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dialTest connects to the ensemble with opts and closes the Conn at cleanup.
func dialTest(t testing.TB, connect string, opts ...Option) *Conn {
	t.Helper()
	ctx := testCtx(t)
	c, err := Dial(ctx, connect, append([]Option{WithSessionTimeout(4 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatalf("Dial(%q): %v", connect, err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// testRoot creates a fresh persistent node for one test and returns its
// path; it and everything below it is deleted at cleanup.
func testRoot(t testing.TB, c *Conn) string {
	t.Helper()
	ctx := testCtx(t)
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	base := "/zabkit-client-test"
	if _, _, err := c.Create(ctx, base, nil, ModePersistent, nil); err != nil && !errors.Is(err, ErrNodeExists) {
		t.Fatalf("create %s: %v", base, err)
	}
	root := fmt.Sprintf("%s/%s-%d", base, name, rand.Uint32())
	if _, _, err := c.Create(ctx, root, nil, ModePersistent, nil); err != nil {
		t.Fatalf("create %s: %v", root, err)
	}
	t.Cleanup(func() {
		cc, err := Dial(context.Background(), testServers(t))
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
func deleteAll(ctx context.Context, c *Conn, path string) error {
	kids, _, err := c.Children(ctx, path)
	if errors.Is(err, ErrNoNode) {
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
	if err := c.Delete(ctx, path, AnyVersion); err != nil && !errors.Is(err, ErrNoNode) {
		return err
	}
	return nil
}
