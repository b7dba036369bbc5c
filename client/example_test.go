package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/zabkit/zabkit/client"
)

// The examples connect to the ensemble named by ZABKIT_ZK_SERVERS (for
// example "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183"). They have no
// "Output:" comment, so `go test` compiles them without running them;
// TestExamples runs them when the variable is set.

func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, os.Getenv("ZABKIT_ZK_SERVERS"),
		client.WithSessionTimeout(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(context.Background())

	// Follow the session's state in the background.
	go func() {
		for s := range c.States(ctx) {
			log.Printf("session state: %v", s)
		}
	}()
	fmt.Println("connected:", c.State())
}

func ExampleConn_Create() {
	ctx := context.Background()
	c, err := client.Dial(ctx, os.Getenv("ZABKIT_ZK_SERVERS"))
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
}

func ExampleConn_GetW() {
	ctx := context.Background()
	c, err := client.Dial(ctx, os.Getenv("ZABKIT_ZK_SERVERS"))
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
}

func ExampleConn_AddWatch() {
	ctx := context.Background()
	c, err := client.Dial(ctx, os.Getenv("ZABKIT_ZK_SERVERS"))
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
}

func ExampleConn_Multi() {
	ctx := context.Background()
	c, err := client.Dial(ctx, os.Getenv("ZABKIT_ZK_SERVERS"))
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
}

func ExampleRetry() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, os.Getenv("ZABKIT_ZK_SERVERS"))
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
}

func ExampleConn_CreateProtected() {
	ctx := context.Background()
	c, err := client.Dial(ctx, os.Getenv("ZABKIT_ZK_SERVERS"))
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
}
