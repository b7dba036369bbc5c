package registry_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/registry"
)

// A service registers itself (again after a session expiry, thanks to
// WithRedial) and a consumer picks instances round robin.
func Example() {
	ctx := context.Background()
	const servers = "127.0.0.1:2181"
	dial := func(ctx context.Context) (*client.Conn, error) {
		return client.Dial(ctx, servers, client.WithSessionTimeout(10*time.Second))
	}
	conn, err := dial(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)

	reg := registry.New(conn, "/services", registry.WithRedial(dial))
	defer reg.Close(ctx)
	err = reg.Register(ctx, registry.Instance{
		Name: "orders", ID: client.NewUUID(), Address: "10.0.0.7", Port: registry.Int(8080), Enabled: true,
	})
	if err != nil {
		log.Fatal(err)
	}

	cache, err := registry.NewCache(ctx, conn, "/services", "orders")
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close()
	p := cache.Provider(registry.NewRoundRobin())
	inst, err := p.Get()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("calling %s:%d\n", inst.Address, *inst.Port)
	// On a failed call: p.MarkDown(inst.ID, 30*time.Second)
}
