// Command config shows recipes/config at work: an application follows its
// database URL with Watch while an operator changes it; two operators
// editing the same version collide and compare-and-set refuses the second;
// midway (in process) the application's server is killed, a change is made
// while it reconnects, and Watch still ends on the latest value.
//
//	go run ./examples/config
//	go run ./examples/config -servers 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/examples/internal/exenv"
	"github.com/zabkit/zabkit/recipes/config"
)

func main() { exenv.Main(run) }

func run(ctx context.Context, out io.Writer, servers string) error {
	cl, err := exenv.Start(ctx, out, servers)
	if err != nil {
		return err
	}
	defer cl.Close()
	base := exenv.Root("config")

	// The application's Conn replaces an expired session by itself, and
	// the Center (Watch included) goes on on the new one.
	appConn, err := client.Dial(ctx, cl.Servers, client.WithSessionTimeout(exenv.SessionTimeout),
		client.WithSessionRenewal(true))
	if err != nil {
		return err
	}
	defer appConn.Close(context.Background())
	opConn, err := cl.Connect(ctx)
	if err != nil {
		return err
	}
	defer opConn.Close(context.Background())
	app := config.New(appConn, base)
	ops := config.New(opConn, base)

	v, err := ops.Set(ctx, "db/url", []byte("postgres://db1/orders"), config.AnyVersion)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "operator sets db/url = %s (version %d)\n", v.Data, v.Version)

	wctx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	watch := app.Watch(wctx, "db/url")
	// await reads the application's stream until it shows want.
	await := func(want string) error {
		for v := range watch {
			if string(v.Data) == want {
				fmt.Fprintf(out, "application sees db/url = %s\n", v.Data)
				return nil
			}
		}
		return errors.New("the watch ended")
	}
	if err := await("postgres://db1/orders"); err != nil {
		return err
	}

	// Two operators read version v.Version and both try to change it.
	v2, err := ops.Set(ctx, "db/url", []byte("postgres://db2/orders"), v.Version)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "operator A moves it to %s (version %d -> %d)\n", v2.Data, v.Version, v2.Version)
	_, err = ops.Set(ctx, "db/url", []byte("postgres://db3/orders"), v.Version)
	if !errors.Is(err, config.ErrConflict) {
		return fmt.Errorf("a stale compare-and-set: %v, want ErrConflict", err)
	}
	fmt.Fprintf(out, "operator B, still at version %d, is refused: %v\n", v.Version, err)
	if err := await("postgres://db2/orders"); err != nil {
		return err
	}

	if cl.Ensemble != nil {
		victim := slices.Index(serversOf(cl), appConn.Server())
		fmt.Fprintf(out, "  >> killing server %d, the application's server\n", cl.Ensemble.ID(victim))
		if err := cl.Ensemble.Kill(victim); err != nil {
			return err
		}
	}
	// A new operator session: the first one may have been on the killed
	// server, and a write whose reply was lost needs a re-read to retry.
	opConn2, err := cl.Connect(ctx)
	if err != nil {
		return err
	}
	defer opConn2.Close(context.Background())
	v3, err := config.New(opConn2, base).Set(ctx, "db/url", []byte("postgres://db4/orders"), v2.Version)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "operator moves it to %s while the application reconnects\n", v3.Data)
	if err := await("postgres://db4/orders"); err != nil {
		return err
	}

	cache, err := app.NewCache(ctx)
	if err != nil {
		return err
	}
	defer cache.Close()
	got, _ := cache.Get("db/url")
	fmt.Fprintf(out, "done: a local cache of %s reads db/url = %s (stale: %v)\n", base, got.Data, cache.Stale())
	return nil
}

func serversOf(cl *exenv.Cluster) []string {
	out := make([]string, cl.Ensemble.Size())
	for i := range out {
		out[i] = cl.Ensemble.ClientAddr(i)
	}
	return out
}
