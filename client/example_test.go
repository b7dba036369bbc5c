package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/zabkit/zabkit/client"
	// Test-only: the external test package may start an in-process
	// ensemble (which imports core); package client itself never does.
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

// exampleServers returns the connect string the examples dial and a
// function that releases it: the ensemble in ZABKIT_ZK_SERVERS when set
// (CI runs the examples against Apache ZooKeeper that way), otherwise a
// fresh in-process zabkit ensemble. The output is the same for both. In
// production the connect string names the servers, e.g.
// "zk1:2181,zk2:2181,zk3:2181".
func exampleServers() (connect string, stop func()) {
	b, err := ensemble.Open(context.Background(), ensembletest.External())
	if err != nil {
		log.Fatal(err)
	}
	return b.Servers, func() { _ = b.Close() }
}

func ExampleDial() {
	servers, stop := exampleServers()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, servers, client.WithSessionTimeout(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(context.Background())

	// Follow the session's state: the current one first, then every change
	// until the session ends (usually read in a goroutine of its own).
	states := c.States(ctx)
	fmt.Println("state:", <-states)
	fmt.Println("connected:", c.State())
	// Output:
	// state: Connected
	// connected: Connected
}

func ExampleConn_Create() {
	servers, stop := exampleServers()
	defer stop()
	ctx := context.Background()
	c, err := client.Dial(ctx, servers)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	base := "/example-create-" + client.NewUUID()
	if _, _, err := c.Create(ctx, base, nil, client.ModePersistent, client.OpenACL()); err != nil {
		log.Fatal(err)
	}
	p, stat, err := c.Create(ctx, base+"/job-", []byte("payload"), client.ModeEphemeralSequential, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p[len(base):], stat.DataLength, stat.EphemeralOwner == c.SessionID())

	if _, _, err := c.Create(ctx, base, nil, client.ModePersistent, nil); errors.Is(err, client.ErrNodeExists) {
		fmt.Println("already exists")
	}
	_ = c.Delete(ctx, p, client.AnyVersion)
	_ = c.Delete(ctx, base, client.AnyVersion)
	// Output:
	// /job-0000000000 7 true
	// already exists
}

func ExampleConn_GetW() {
	servers, stop := exampleServers()
	defer stop()
	ctx := context.Background()
	c, err := client.Dial(ctx, servers)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	p, _, err := c.Create(ctx, "/example-watch-"+client.NewUUID(), []byte("v1"), client.ModeEphemeral, nil)
	if err != nil {
		log.Fatal(err)
	}
	data, _, changed, err := c.GetW(ctx, p)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", data)
	if _, err := c.Set(ctx, p, []byte("v2"), client.AnyVersion); err != nil {
		log.Fatal(err)
	}
	ev := <-changed // exactly one event, then the channel closes
	fmt.Println(ev.Type)
	// Output:
	// v1
	// NodeDataChanged
}

func ExampleConn_AddWatch() {
	servers, stop := exampleServers()
	defer stop()
	ctx := context.Background()
	c, err := client.Dial(ctx, servers)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	base := "/example-addwatch-" + client.NewUUID()
	if _, _, err := c.Create(ctx, base, nil, client.ModeContainer, nil); err != nil {
		log.Fatal(err)
	}
	w, err := c.AddWatch(ctx, base, client.AddWatchPersistentRecursive)
	if err != nil {
		log.Fatal(err)
	}
	if _, _, err := c.Create(ctx, base+"/a", nil, client.ModeEphemeral, nil); err != nil {
		log.Fatal(err)
	}
	ev := <-w.Events()
	fmt.Println(ev.Type, ev.Path[len(base):])
	_ = w.Remove(ctx)
	// Output:
	// NodeCreated /a
}

func ExampleConn_Multi() {
	servers, stop := exampleServers()
	defer stop()
	ctx := context.Background()
	c, err := client.Dial(ctx, servers)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	base := "/example-multi-" + client.NewUUID()
	// All or nothing: the node and its child appear together.
	res, err := c.Multi(ctx,
		client.CreateOp{Path: base, Mode: client.ModePersistent},
		client.CreateOp{Path: base + "/config", Data: []byte("v1"), Mode: client.ModePersistent},
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(res), res[1].Path[len(base):])

	// A failed check aborts the whole multi; the per-op results say why.
	res, err = c.Multi(ctx,
		client.CheckOp{Path: base + "/config", Version: 5},
		client.SetOp{Path: base + "/config", Data: []byte("v2"), Version: client.AnyVersion},
	)
	fmt.Println(errors.Is(err, client.ErrBadVersion), errors.Is(res[0].Err, client.ErrBadVersion))

	_, _ = c.Multi(ctx,
		client.DeleteOp{Path: base + "/config", Version: client.AnyVersion},
		client.DeleteOp{Path: base, Version: client.AnyVersion},
	)
	// Output:
	// 2 /config
	// true true
}

func ExampleRetry() {
	servers, stop := exampleServers()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, servers)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(context.Background())

	// Reads are idempotent: retry them across connection losses.
	data, err := client.RetryValue(ctx, func(ctx context.Context) ([]byte, error) {
		d, _, err := c.Get(ctx, "/")
		return d, err
	})
	fmt.Println(len(data), err)
	// Output:
	// 0 <nil>
}

func ExampleConn_CreateProtected() {
	servers, stop := exampleServers()
	defer stop()
	ctx := context.Background()
	c, err := client.Dial(ctx, servers)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	base := "/example-protected-" + client.NewUUID()
	if _, _, err := c.Create(ctx, base, nil, client.ModeContainer, nil); err != nil {
		log.Fatal(err)
	}
	// Safe to retry: after a lost reply the node is found by its GUID.
	p, _, err := c.CreateProtected(ctx, base+"/lock-", nil, client.ModeEphemeralSequential, nil)
	if err != nil {
		log.Fatal(err)
	}
	name := p[len(base)+1:]
	fmt.Println(client.IsProtected(name), client.StripProtected(name))
	// Output:
	// true lock-0000000000
}
