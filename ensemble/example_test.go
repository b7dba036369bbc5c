package ensemble_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
)

// A three-server ensemble in memory, and a client session on it.
func Example() {
	ctx := context.Background()
	e, err := ensemble.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	c, err := e.Connect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)
	if _, _, err := c.Create(ctx, "/greeting", []byte("hello"), client.ModePersistent, nil); err != nil {
		log.Fatal(err)
	}
	data, _, err := c.Get(ctx, "/greeting")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(data))
	// Output: hello
}

// Killing the leader: the two others elect a new one, the session moves
// over, and the old leader comes back as a follower with what it missed.
func ExampleEnsemble_Kill() {
	ctx := context.Background()
	e, err := ensemble.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	c, err := e.Connect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	old := e.Leader()
	if err := e.Kill(old); err != nil {
		log.Fatal(err)
	}
	// A request in flight on the killed server fails with
	// ErrConnectionLoss and may or may not have been applied: retry, and
	// take ErrNodeExists as the earlier attempt's success.
	err = client.Retry(ctx, func(ctx context.Context) error {
		_, _, err := c.Create(ctx, "/written-during-failover", nil, client.ModePersistent, nil)
		if errors.Is(err, client.ErrNodeExists) {
			return nil
		}
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	l, err := e.WaitLeader(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("new leader differs:", l != old)

	if err := e.Restart(ctx, old); err != nil {
		log.Fatal(err)
	}
	if err := e.WaitServing(ctx); err != nil {
		log.Fatal(err)
	}
	if err := e.WaitConverged(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("replicas equal:", len(e.Digests()) == 3)
	// Output:
	// new leader differs: true
	// replicas equal: true
}
