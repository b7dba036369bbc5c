package config_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/recipes/config"
)

type limits struct {
	MaxConns int `json:"maxConns"`
}

// Values are written with compare-and-set and followed with Watch.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// An in-process ensemble stands in for the ZooKeeper servers; in
	// production: client.Dial(ctx, "zk1:2181,zk2:2181,zk3:2181", ...)
	e, err := ensemble.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	// With session renewal the Conn replaces an expired session, and the
	// Center (Watch included) goes on on the new one.
	conn, err := e.Connect(ctx, client.WithSessionRenewal(true))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(context.Background())

	cfg := config.New(conn, "/app/config")

	v, err := config.SetJSON(ctx, cfg, "limits", limits{MaxConns: 100}, config.AnyVersion)
	if err != nil {
		log.Fatal(err)
	}
	watch := cfg.Watch(ctx, "limits")
	fmt.Printf("limits = %s\n", (<-watch).Data)

	// Raise the limit only if no one changed it meanwhile.
	if _, err := config.SetJSON(ctx, cfg, "limits", limits{MaxConns: 200}, v.Version); err != nil {
		log.Fatal(err)
	}
	// A second writer still at the old version is refused: re-read and retry.
	_, err = config.SetJSON(ctx, cfg, "limits", limits{MaxConns: 150}, v.Version)
	fmt.Println("stale write refused:", errors.Is(err, config.ErrConflict))

	fmt.Printf("limits = %s\n", (<-watch).Data)
	got, _, err := config.GetJSON[limits](ctx, cfg, "limits")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("max connections:", got.MaxConns)
	// Output:
	// limits = {"maxConns":100}
	// stale write refused: true
	// limits = {"maxConns":200}
	// max connections: 200
}
