package config_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/config"
)

type limits struct {
	MaxConns int `json:"maxConns"`
}

// Values are written with compare-and-set and followed with Watch.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dial := func(ctx context.Context) (*client.Conn, error) { return client.Dial(ctx, "127.0.0.1:2181") }
	conn, err := dial(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(context.Background())

	cfg := config.New(conn, "/app/config", config.WithRedial(dial))
	defer cfg.Close(context.Background())

	v, err := config.SetJSON(ctx, cfg, "limits", limits{MaxConns: 100}, config.AnyVersion)
	if err != nil {
		log.Fatal(err)
	}
	// Raise the limit only if no one changed it meanwhile.
	if _, err := config.SetJSON(ctx, cfg, "limits", limits{MaxConns: 200}, v.Version); err != nil {
		log.Fatal(err) // errors.Is(err, config.ErrConflict): re-read and retry
	}

	for v := range cfg.Watch(ctx, "limits") {
		fmt.Printf("limits = %s (version %d)\n", v.Data, v.Version)
	}
}
