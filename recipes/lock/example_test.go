package lock_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/recipes/lock"
)

// A worker takes the lock, hands its fencing token to the storage it
// writes to, and stops as soon as ownership may have been lost.
func ExampleMutex() {
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

	m := lock.NewMutex(conn, "/app/locks/orders")
	if err := m.Lock(ctx); err != nil {
		log.Fatal(err)
	}
	work := m.Context() // cancelled when ownership may be lost
	fmt.Println("holding, with a fencing token:", m.Token() > 0)
	select {
	case <-work.Done():
		fmt.Println("stop:", context.Cause(work))
	default:
		fmt.Println("writing with the token")
	}
	if err := m.Unlock(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("released")
	// Output:
	// holding, with a fencing token: true
	// writing with the token
	// released
}

// TryLock does not wait: it reports ErrLocked when someone else holds.
func ExampleMutex_TryLock() {
	ctx := context.Background()
	e, err := ensemble.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	a, err := e.Connect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close(ctx)
	b, err := e.Connect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close(ctx)

	holder := lock.NewMutex(a, "/app/locks/report")
	if err := holder.Lock(ctx); err != nil {
		log.Fatal(err)
	}
	m := lock.NewMutex(b, "/app/locks/report")
	for range 2 {
		switch err := m.TryLock(ctx); {
		case err == nil:
			fmt.Println("generating the report")
			if err := m.Unlock(ctx); err != nil {
				log.Fatal(err)
			}
		case errors.Is(err, lock.ErrLocked):
			fmt.Println("another process is generating it")
			if err := holder.Unlock(ctx); err != nil {
				log.Fatal(err)
			}
		default:
			log.Fatal(err)
		}
	}
	// Output:
	// another process is generating it
	// generating the report
}

// Readers share the lock; a writer waits for them and excludes everyone.
func ExampleRWMutex() {
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

	r1 := lock.NewRWMutex(conn, "/app/locks/catalog")
	r2 := lock.NewRWMutex(conn, "/app/locks/catalog")
	if err := r1.RLock(ctx); err != nil {
		log.Fatal(err)
	}
	if err := r2.RLock(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("two readers read the catalog together")
	w := lock.NewRWMutex(conn, "/app/locks/catalog")
	fmt.Println("writer while readers hold:", w.TryLock(ctx))
	_ = r1.RUnlock(ctx)
	_ = r2.RUnlock(ctx)
	if err := w.Lock(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("the writer updates the catalog alone")
	if err := w.Unlock(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// two readers read the catalog together
	// writer while readers hold: lock: held by another contender
	// the writer updates the catalog alone
}

// At most two workers call the rate-limited API at a time.
func ExampleSemaphore() {
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

	var leases []*lock.Lease
	for i := 1; i <= 3; i++ {
		l, err := lock.NewSemaphore(conn, "/app/semaphores/api", 2).TryAcquire(ctx)
		if errors.Is(err, lock.ErrLocked) {
			fmt.Printf("worker %d: no lease left\n", i)
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("worker %d calls the API\n", i)
		leases = append(leases, l)
	}
	for _, l := range leases {
		if err := l.Release(ctx); err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// worker 1 calls the API
	// worker 2 calls the API
	// worker 3: no lease left
}
