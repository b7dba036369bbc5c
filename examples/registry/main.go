// Command registry shows recipes/registry at work: three instances of an
// "orders" service register (Curator's service-discovery JSON, one
// ephemeral node each); a consumer follows the service through a watched
// cache and picks instances round robin; one instance deregisters cleanly
// and another crashes (its session is closed without deregistering), and
// the consumer follows both departures.
//
//	go run ./examples/registry
//	go run ./examples/registry -servers 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/examples/internal/exenv"
	"github.com/zabkit/zabkit/recipes/registry"
)

func main() { exenv.Main(run) }

func run(ctx context.Context, out io.Writer, servers string) error {
	cl, err := exenv.Start(ctx, out, servers)
	if err != nil {
		return err
	}
	defer cl.Close()
	base := exenv.Root("registry")

	consumer, err := cl.Connect(ctx)
	if err != nil {
		return err
	}
	defer consumer.Close(context.Background())
	cache, err := registry.NewCache(ctx, consumer, base, "orders")
	if err != nil {
		return err
	}
	defer cache.Close()
	cctx, stopFollowing := context.WithCancel(ctx)
	defer stopFollowing()
	changes := cache.Changes(cctx)
	// await reads the consumer's view until it is want.
	await := func(want ...string) error {
		for l := range changes {
			if got := ids(l); slices.Equal(got, want) {
				if len(l) == 0 {
					fmt.Fprintln(out, "consumer follows service orders: no instance yet")
					return nil
				}
				fmt.Fprintf(out, "consumer sees orders at [%s]\n", strings.Join(addrs(l), " "))
				return nil
			}
		}
		return fmt.Errorf("consumer stopped following: %v", cache.Err())
	}
	if err := await(); err != nil {
		return err
	}

	conns := map[string]*client.Conn{}
	regs := map[string]*registry.Registry{}
	for i, id := range []string{"orders-1", "orders-2", "orders-3"} {
		c, err := cl.Connect(ctx)
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		conns[id] = c
		regs[id] = registry.New(c, base)
		inst := registry.Instance{Name: "orders", ID: id, Address: "10.0.0.1" + fmt.Sprint(i), Port: registry.Int(8080)}
		if err := regs[id].Register(ctx, inst); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s registers at %s:%d\n", id, inst.Address, *inst.Port)
	}
	if err := await("orders-1", "orders-2", "orders-3"); err != nil {
		return err
	}

	p := cache.Provider(registry.NewRoundRobin())
	var picks []string
	for range 4 {
		inst, err := p.Get()
		if err != nil {
			return err
		}
		picks = append(picks, inst.ID)
	}
	fmt.Fprintf(out, "round robin picks: %s\n", strings.Join(picks, ", "))

	if err := regs["orders-2"].Unregister(ctx, "orders", "orders-2"); err != nil {
		return err
	}
	fmt.Fprintln(out, "orders-2 deregisters (shutting down cleanly)")
	if err := await("orders-1", "orders-3"); err != nil {
		return err
	}

	if err := conns["orders-3"].Close(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "orders-3 crashes: its session ends and its ephemeral node goes with it")
	if err := await("orders-1"); err != nil {
		return err
	}
	inst, err := p.Get()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "done: the consumer now calls %s at %s:%d\n", inst.ID, inst.Address, *inst.Port)
	for _, r := range regs {
		_ = r.Close(ctx)
	}
	return nil
}

func ids(l []registry.Instance) []string {
	out := make([]string, len(l))
	for i, inst := range l {
		out[i] = inst.ID
	}
	slices.Sort(out)
	return out
}

func addrs(l []registry.Instance) []string {
	out := make([]string, len(l))
	for i, inst := range l {
		out[i] = fmt.Sprintf("%s:%d", inst.Address, *inst.Port)
	}
	slices.Sort(out)
	return out
}
