package lock_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/lock"
)

// A worker takes the lock, hands its fencing token to the storage it
// writes to, and stops as soon as ownership may have been lost.
func ExampleMutex() {
	ctx := context.Background()
	conn, err := client.Dial(ctx, "127.0.0.1:2181", client.WithSessionTimeout(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)

	m := lock.NewMutex(conn, "/app/locks/orders", lock.WithSuspendGrace(2*time.Second))
	if err := m.Lock(ctx); err != nil {
		log.Fatal(err)
	}
	defer m.Unlock(ctx)

	work := m.Context() // cancelled when ownership may be lost
	fmt.Println("holding with fencing token", m.Token())
	select {
	case <-work.Done():
		fmt.Println("stop:", context.Cause(work))
	case <-time.After(time.Second):
		fmt.Println("done")
	}
}

// TryLock does not wait: it reports ErrLocked when someone else holds.
func ExampleMutex_TryLock() {
	ctx := context.Background()
	conn, err := client.Dial(ctx, "127.0.0.1:2181")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)

	m := lock.NewMutex(conn, "/app/locks/report")
	switch err := m.TryLock(ctx); {
	case err == nil:
		defer m.Unlock(ctx)
		fmt.Println("generating the report")
	case errors.Is(err, lock.ErrLocked):
		fmt.Println("another process is generating it")
	default:
		log.Fatal(err)
	}
}

// Readers share the lock; a writer waits for them and excludes everyone.
func ExampleRWMutex() {
	ctx := context.Background()
	conn, err := client.Dial(ctx, "127.0.0.1:2181")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)

	rw := lock.NewRWMutex(conn, "/app/locks/catalog")
	if err := rw.RLock(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("reading the catalog")
	if err := rw.RUnlock(ctx); err != nil {
		log.Fatal(err)
	}
}

// At most three workers call the rate-limited API at a time.
func ExampleSemaphore() {
	ctx := context.Background()
	conn, err := client.Dial(ctx, "127.0.0.1:2181")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)

	lease, err := lock.NewSemaphore(conn, "/app/semaphores/api", 3).Acquire(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer lease.Release(ctx)
	fmt.Println("calling the API with lease token", lease.Token())
}
