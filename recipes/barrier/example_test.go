package barrier_test

import (
	"context"
	"log"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/barrier"
)

// Three workers start and finish a batch together.
func ExampleDoubleBarrier() {
	ctx := context.Background()
	conn, err := client.Dial(ctx, "127.0.0.1:2181")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)

	b := barrier.NewDoubleBarrier(conn, "/app/barriers/batch-42", 3)
	if err := b.Enter(ctx); err != nil {
		log.Fatal(err)
	}
	// ... process this worker's share of the batch ...
	if err := b.Leave(ctx); err != nil {
		log.Fatal(err)
	}
}

// Consumers wait until a producer lowers the barrier.
func ExampleBarrier() {
	ctx := context.Background()
	conn, err := client.Dial(ctx, "127.0.0.1:2181")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)

	b := barrier.New(conn, "/app/barriers/schema-migrated")
	if err := b.Wait(ctx); err != nil { // returns once the producer calls Remove
		log.Fatal(err)
	}
}
