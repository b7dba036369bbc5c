package client_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/zabkit/zabkit/client"
)

// A Conn outlives its session (WithSessionRenewal, on by default): when the
// session expires (here a second client takes it over and closes it, as a
// long pause or a network cut would make it expire), the Conn reports
// Expired and establishes a new session, with the next generation.
func ExampleWithSessionRenewal() {
	servers, stop := exampleServers()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, servers) // WithSessionRenewal(true) is the default
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(context.Background())
	first := c.Session()
	fmt.Println("generation", first.Generation())
	states := c.States(ctx)

	thief, err := client.Dial(ctx, servers, client.WithSession(c.SessionID(), c.SessionPassword()), client.WithSessionRenewal(false))
	if err != nil {
		log.Fatal(err)
	}
	if err := thief.Close(ctx); err != nil {
		log.Fatal(err)
	}

	expired := false
	for s := range states {
		if s == client.StateExpired {
			expired = true
			fmt.Println(s, first.Err())
		}
		if expired && s == client.StateConnected {
			break
		}
	}
	now := c.Session()
	fmt.Println("generation", now.Generation(), "new id:", now.ID() != first.ID())
	// Output:
	// generation 1
	// Expired zk: session expired
	// generation 2 new id: true
}
