package queue_test

import (
	"context"
	"fmt"
	"log"

	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/recipes/queue"
)

// A producer puts orders on a DistributedQueue; a consumer with a lock
// path handles them, each removed only after its handler returned.
func ExampleQueue() {
	ctx := context.Background()
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
	defer conn.Close(ctx)

	producer := queue.New(conn, "/app/queues/orders")
	for _, order := range []string{"order-1", "order-2", "order-3"} {
		if err := producer.Put(ctx, []byte(order)); err != nil {
			log.Fatal(err)
		}
	}
	consumer := queue.New(conn, "/app/queues/orders", queue.WithLockPath("/app/queues/orders-locks"))
	for range 3 {
		err := consumer.Take(ctx, func(ctx context.Context, item []byte) error {
			fmt.Println("handled", string(item))
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// handled order-1
	// handled order-2
	// handled order-3
}

// Items offered to a SimpleQueue come out in order.
func ExampleSimpleQueue() {
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

	q := queue.NewSimple(conn, "/app/queues/jobs")
	for _, job := range []string{"resize", "upload"} {
		if err := q.Offer(ctx, []byte(job)); err != nil {
			log.Fatal(err)
		}
	}
	for range 2 {
		job, err := q.Take(ctx) // waits while the queue is empty
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(job))
	}
	// Output:
	// resize
	// upload
}

// Lower priorities are taken first.
func ExamplePriorityQueue() {
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

	q := queue.NewPriority(conn, "/app/queues/alerts")
	_ = q.Put(ctx, 10, []byte("disk 80%"))
	_ = q.Put(ctx, 1, []byte("datacenter down"))
	for range 2 {
		_ = q.Take(ctx, func(ctx context.Context, item []byte) error {
			fmt.Println(string(item))
			return nil
		})
	}
	// Output:
	// datacenter down
	// disk 80%
}
