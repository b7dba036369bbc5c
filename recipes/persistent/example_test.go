package persistent_test

import (
	"context"
	"fmt"
	"log"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/recipes/persistent"
)

// An ephemeral node that another client deletes comes back.
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

	n, err := persistent.New(conn, "/app/workers/w1", client.ModeEphemeral, []byte("10.0.0.7:80"))
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close(context.Background())
	if err := n.WaitForInitialCreate(ctx); err != nil {
		log.Fatal(err)
	}

	other, err := e.Connect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer other.Close(context.Background())
	if err := other.Delete(ctx, n.Path(), client.AnyVersion); err != nil {
		log.Fatal(err)
	}
	for { // wait for the node to be back
		ok, _, ev, err := other.ExistsW(ctx, n.Path())
		if err != nil {
			log.Fatal(err)
		}
		if ok {
			break
		}
		<-ev
	}
	data, _, err := other.Get(ctx, n.Path())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s is back: %s\n", n.Path(), data)
	// Output: /app/workers/w1 is back: 10.0.0.7:80
}
