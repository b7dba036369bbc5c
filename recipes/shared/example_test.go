package shared_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log"

	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/recipes/shared"
)

// Two processes share a counter of requests and a configured worker count.
func Example() {
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

	hits := shared.NewAtomicLong(conn, "/app/hits")
	for range 3 {
		if _, err := hits.Increment(ctx); err != nil {
			log.Fatal(err)
		}
	}
	r, err := hits.Add(ctx, 10)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("hits: %d -> %d\n", r.Pre, r.Post)

	workers := shared.NewCount(conn, "/app/workers", 4)
	v, err := workers.Get(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("workers:", v.Value)
	if _, err := workers.TrySet(ctx, v, 8); err != nil {
		log.Fatal(err)
	}
	// A writer still holding the old version loses.
	if _, err := workers.TrySet(ctx, v, 6); errors.Is(err, shared.ErrConflict) {
		fmt.Println("stale TrySet:", "conflict")
	}
	watch, stop := context.WithCancel(ctx)
	defer stop()
	fmt.Println("watched:", (<-workers.Watch(watch)).Value)
	// Output:
	// hits: 3 -> 13
	// workers: 4
	// stale TrySet: conflict
	// watched: 8
}

// A transfer between two balances: both read, both written, committed
// only if neither changed meanwhile (else run again).
func ExampleAtomically() {
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
	for _, acct := range []string{"/bank/alice", "/bank/bob"} {
		if _, err := shared.NewAtomicLong(conn, acct).Initialize(ctx, 100); err != nil {
			log.Fatal(err)
		}
	}

	err = shared.Atomically(ctx, conn, func(ctx context.Context, tx *shared.Tx) error {
		a, _, err := tx.Get(ctx, "/bank/alice")
		if err != nil {
			return err
		}
		b, _, err := tx.Get(ctx, "/bank/bob")
		if err != nil {
			return err
		}
		x, y := int64(binary.BigEndian.Uint64(a)), int64(binary.BigEndian.Uint64(b))
		if x < 30 {
			return errors.New("insufficient funds")
		}
		if err := tx.Put(ctx, "/bank/alice", binary.BigEndian.AppendUint64(nil, uint64(x-30))); err != nil {
			return err
		}
		return tx.Put(ctx, "/bank/bob", binary.BigEndian.AppendUint64(nil, uint64(y+30)))
	})
	if err != nil {
		log.Fatal(err)
	}
	a, _ := shared.NewAtomicLong(conn, "/bank/alice").Get(ctx)
	b, _ := shared.NewAtomicLong(conn, "/bank/bob").Get(ctx)
	fmt.Println("alice", a, "bob", b)
	// Output:
	// alice 70 bob 130
}
