package election_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/election"
)

// Run keeps a scheduler running on exactly one process at a time; when
// this process loses leadership, fn's context is cancelled and Run
// campaigns again.
func ExampleElection_Run() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := client.Dial(ctx, "127.0.0.1:2181")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(context.Background())

	e := election.New(conn, "/app/election/scheduler", election.WithSuspendGrace(time.Second))
	err = e.Run(ctx, "host-a:8080", func(ctx context.Context) error {
		fmt.Println("leading with token", e.Token())
		<-ctx.Done() // schedule jobs until leadership ends
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
}

// Observe follows who leads without taking part.
func ExampleElection_Observe() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := client.Dial(ctx, "127.0.0.1:2181")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(context.Background())

	for term := range election.New(conn, "/app/election/scheduler").Observe(ctx) {
		fmt.Println("leader:", term.Value, "token:", term.Token)
	}
}
