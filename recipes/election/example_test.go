package election_test

import (
	"context"
	"fmt"
	"log"

	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/recipes/election"
)

// Run keeps a scheduler running on exactly one process at a time; when
// this process loses leadership, fn's context is cancelled and Run
// campaigns again.
func ExampleElection_Run() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// An in-process ensemble stands in for the ZooKeeper servers; in
	// production: conn, err := client.Dial(ctx, "zk1:2181,zk2:2181,zk3:2181")
	e, err := ensemble.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	conn, err := e.Connect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(context.Background())

	el := election.New(conn, "/app/election/scheduler")
	terms := 0
	err = el.Run(ctx, "host-a:8080", func(ctx context.Context) error {
		terms++
		fmt.Printf("term %d: scheduling jobs\n", terms)
		if terms == 2 {
			cancel() // shutting down: Run returns once fn does
		}
		return nil // resign; Run campaigns again
	})
	fmt.Println("Run returned", err)
	// Output:
	// term 1: scheduling jobs
	// term 2: scheduling jobs
	// Run returned <nil>
}

// Observe follows who leads without taking part.
func ExampleElection_Observe() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, err := ensemble.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	conn, err := e.Connect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(context.Background())

	const dir = "/app/election/scheduler"
	a, b := election.New(conn, dir), election.New(conn, dir)
	if err := a.Campaign(ctx, "host-a:8080"); err != nil {
		log.Fatal(err)
	}
	bLeads := make(chan error, 1)
	go func() { bLeads <- b.Campaign(ctx, "host-b:8080") }()

	terms := election.New(conn, dir).Observe(ctx)
	fmt.Println("leader:", (<-terms).Value)
	if err := a.Resign(ctx); err != nil { // hand over to b
		log.Fatal(err)
	}
	fmt.Println("leader:", (<-terms).Value)
	if err := <-bLeads; err != nil {
		log.Fatal(err)
	}
	// Output:
	// leader: host-a:8080
	// leader: host-b:8080
}
