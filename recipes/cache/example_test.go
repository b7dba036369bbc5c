package cache_test

import (
	"context"
	"fmt"
	"log"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/recipes/cache"
)

// A cache of a node and its children: the snapshot, then every change.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// An in-process ensemble stands in for the ZooKeeper servers; in
	// production: client.Dial(ctx, "zk1:2181,zk2:2181,zk3:2181", ...)
	e, err := ensemble.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	conn, err := e.Connect(ctx, client.WithSessionRenewal(true))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, _, err := conn.Create(ctx, "/app/db", []byte("postgres://a"), client.ModePersistent, nil, client.WithParentContainers()); err != nil {
		log.Fatal(err)
	}

	c, err := cache.New(ctx, conn, "/app", cache.WithDepth(1))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	n, _ := c.Get("/app/db") // a local read
	fmt.Printf("db = %s\n", n.Data)

	events := c.Listen(ctx)
	if _, err := conn.Set(ctx, "/app/db", []byte("postgres://b"), client.AnyVersion); err != nil {
		log.Fatal(err)
	}
	for ev := range events {
		fmt.Println(ev)
		if ev.Type == cache.EventChanged {
			break
		}
	}
	// Output:
	// db = postgres://a
	// created /app ""
	// created /app/db "postgres://a"
	// initialized
	// changed /app/db "postgres://b"
}
