package barrier_test

import (
	"context"
	"fmt"
	"log"
	"sync"

	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/recipes/barrier"
)

// Three workers start and finish a batch together.
func ExampleDoubleBarrier() {
	ctx := context.Background()
	// An in-process ensemble stands in for the ZooKeeper servers; in
	// production: conn, err := client.Dial(ctx, "zk1:2181,zk2:2181,zk3:2181")
	e, err := ensemble.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	var wg sync.WaitGroup
	var mu sync.Mutex
	entered := 0
	for range 3 {
		conn, err := e.Connect(ctx)
		if err != nil {
			log.Fatal(err)
		}
		defer conn.Close(ctx)
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := barrier.NewDoubleBarrier(conn, "/app/barriers/batch-42", 3)
			if err := b.Enter(ctx); err != nil {
				log.Fatal(err)
			}
			mu.Lock()
			entered++ // ... process this worker's share of the batch ...
			mu.Unlock()
			if err := b.Leave(ctx); err != nil {
				log.Fatal(err)
			}
		}()
	}
	wg.Wait()
	fmt.Println("workers through the barrier:", entered)
	// Output:
	// workers through the barrier: 3
}

// A consumer waits until a producer lowers the barrier.
func ExampleBarrier() {
	ctx := context.Background()
	e, err := ensemble.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	conn, err := e.Connect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)

	b := barrier.New(conn, "/app/barriers/schema-migrated")
	if err := b.Set(ctx); err != nil {
		log.Fatal(err)
	}
	passed := make(chan struct{})
	go func() {
		if err := b.Wait(ctx); err != nil { // returns once the producer calls Remove
			log.Fatal(err)
		}
		close(passed)
	}()
	fmt.Println("migrating the schema")
	if err := b.Remove(ctx); err != nil {
		log.Fatal(err)
	}
	<-passed
	fmt.Println("the consumer starts")
	// Output:
	// migrating the schema
	// the consumer starts
}
