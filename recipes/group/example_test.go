package group_test

import (
	"context"
	"fmt"
	"log"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/recipes/cache"
	"github.com/zabkit/zabkit/recipes/group"
)

// Two members of a group; one leaves, the other sees it go.
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

	a, err := group.Join(ctx, conn, "/app/members", "a", []byte("10.0.0.1:80"))
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close(context.Background())
	events := a.Listen(ctx)
	b, err := group.Join(ctx, conn, "/app/members", "b", []byte("10.0.0.2:80"))
	if err != nil {
		log.Fatal(err)
	}
	if err := b.Close(ctx); err != nil {
		log.Fatal(err)
	}
	for ev := range events {
		switch ev.Type {
		case cache.EventCreated:
			fmt.Printf("%s is in: %s\n", group.ID(ev.Node.Path), ev.Node.Data)
		case cache.EventDeleted:
			fmt.Printf("%s left\n", group.ID(ev.Node.Path))
			fmt.Println(len(a.Members()), "member")
			return
		}
	}
	// Output:
	// a is in: 10.0.0.1:80
	// b is in: 10.0.0.2:80
	// b left
	// 1 member
}
