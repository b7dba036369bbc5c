// Package zktest holds the helpers the recipes' integration tests share:
// the ensemble, sessions, a fresh root per test, session expiry, and
// killing and restarting servers.
//
// Two backends, chosen by ensembletest.Use: when ZABKIT_ZK_SERVERS is set
// (CI's Apache ZooKeeper step), every test uses that ensemble; otherwise
// every test gets its own 3-server in-process zabkit ensemble, started by
// the first helper the test calls, so plain `go test ./...` runs every
// recipe test, fault tests included, without Java. Faults only the
// in-process ensemble can inject (a server partitioned from its quorum,
// pauses) use InProcess, which skips the test on an external ensemble;
// Partitions runs a partition test under every kind the backend supports,
// so cutting a client's network off the ensemble (an ensemble/bridge
// link) runs on both.
package zktest

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

// ServersEnv names the environment variable with the ensemble's connect
// string.
const ServersEnv = ensembletest.ServersEnv

// SessionTimeout is the session timeout the tests ask for.
const SessionTimeout = 4 * time.Second

// Servers returns the connect string: ZABKIT_ZK_SERVERS, or the test's
// in-process ensemble.
func Servers(t testing.TB) string {
	t.Helper()
	return backend(t).Servers
}

// Ctx returns a context bounded for one test.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Dial opens a session that is closed at cleanup.
func Dial(t testing.TB, opts ...client.Option) *client.Conn {
	t.Helper()
	return DialTo(t, Servers(t), opts...)
}

// DialTo opens a session to connect string servers (such as an
// ensembletest.Link's) that is closed at cleanup.
func DialTo(t testing.TB, servers string, opts ...client.Option) *client.Conn {
	t.Helper()
	c, err := client.Dial(Ctx(t), servers, append([]client.Option{client.WithSessionTimeout(SessionTimeout)}, opts...)...)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// Root returns a fresh, not yet existing path for one test; everything
// below it is deleted at cleanup.
func Root(t testing.TB) string {
	t.Helper()
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	root := fmt.Sprintf("/zabkit-recipes-test/%s-%08x", name, rand.Uint32())
	servers := Servers(t)
	if External() == "" {
		return root // the test's own ensemble goes with the test
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := client.Dial(ctx, servers)
		if err != nil {
			t.Logf("cleanup: %v", err)
			return
		}
		defer c.Close(context.Background())
		if err := DeleteAll(ctx, c, root); err != nil {
			t.Logf("cleanup %s: %v", root, err)
		}
	})
	return root
}

// DeleteAll deletes path and its subtree.
func DeleteAll(ctx context.Context, c *client.Conn, path string) error {
	kids, _, err := c.Children(ctx, path)
	if errors.Is(err, client.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, k := range kids {
		if err := DeleteAll(ctx, c, path+"/"+k); err != nil {
			return err
		}
	}
	if err := c.Delete(ctx, path, client.AnyVersion); err != nil && !errors.Is(err, client.ErrNoNode) && !errors.Is(err, client.ErrNotEmpty) {
		return err
	}
	return nil
}

// Wait waits for ch to close or deliver, failing the test after d.
func Wait[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case v := <-ch:
		return v
	case <-tm.C:
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
	var zero T
	return zero
}

// CreateAll creates path with data, and its missing ancestors as
// persistent nodes, retrying when an ancestor that is a container is reaped
// meanwhile.
func CreateAll(ctx context.Context, c *client.Conn, path string, data []byte) error {
	for {
		_, _, err := c.Create(ctx, path, data, client.ModePersistent, nil)
		if !errors.Is(err, client.ErrNoNode) {
			return err
		}
		parent := path[:strings.LastIndexByte(path, '/')]
		if err := CreateAll(ctx, c, parent, nil); err != nil && !errors.Is(err, client.ErrNodeExists) {
			return err
		}
	}
}
