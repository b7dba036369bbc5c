package registry_test

import (
	"context"
	"fmt"
	"log"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/recipes/registry"
)

// A service registers itself (again after a session expiry, since its
// Conn replaces an expired session) and a consumer picks instances round
// robin.
func Example() {
	ctx := context.Background()
	// An in-process ensemble stands in for the ZooKeeper servers; in
	// production: client.Dial(ctx, "zk1:2181,zk2:2181,zk3:2181", ...)
	e, err := ensemble.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	conn, err := e.Connect(ctx, client.WithSessionRenewal(true))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)

	reg := registry.New(conn, "/services")
	defer reg.Close(ctx)
	for i, addr := range []string{"10.0.0.7", "10.0.0.8"} {
		err = reg.Register(ctx, registry.Instance{
			Name: "orders", ID: fmt.Sprint("orders-", i+1), Address: addr, Port: registry.Int(8080),
		})
		if err != nil {
			log.Fatal(err)
		}
	}

	cache, err := registry.NewCache(ctx, conn, "/services", "orders")
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close()
	p := cache.Provider(registry.NewRoundRobin())
	for range 3 { // on a failed call: p.MarkDown(inst.ID, 30*time.Second)
		inst, err := p.Get()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("calling %s at %s:%d\n", inst.ID, inst.Address, *inst.Port)
	}
	// Output:
	// calling orders-1 at 10.0.0.7:8080
	// calling orders-2 at 10.0.0.8:8080
	// calling orders-1 at 10.0.0.7:8080
}
