// Command registry shows recipes/registry at work: three instances of an
// "orders" service register (Curator's service-discovery JSON, one
// ephemeral node each); a consumer follows the service through a watched
// cache and picks instances round robin; one instance deregisters cleanly;
// the process of another dies without closing its session, so the servers
// expire the session after its timeout and the consumer sees the instance
// leave; the instance restarts and registers again, and the consumer sees
// it back. Every Conn has session renewal: a live instance whose session
// expires (a long pause) is registered again by its Registry.
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
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble/bridge"
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

	dial := func(ctx context.Context, servers string, timeout time.Duration) (*client.Conn, error) {
		return client.Dial(ctx, servers, client.WithSessionTimeout(timeout), client.WithSessionRenewal(true))
	}
	consumer, err := dial(ctx, cl.Servers, exenv.SessionTimeout)
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

	// orders-3's process reaches the servers through a link this program
	// can silence, to play a process that dies without closing its
	// session; its session timeout is short, so the servers notice soon.
	link, err := bridge.NewLink(cl.Servers)
	if err != nil {
		return err
	}
	defer link.Close()
	regs := map[string]*registry.Registry{}
	start := func(id, servers string, timeout time.Duration) (*client.Conn, error) {
		c, err := dial(ctx, servers, timeout)
		if err != nil {
			return nil, err
		}
		regs[id] = registry.New(c, base)
		inst := instance(id)
		if err := regs[id].Register(ctx, inst); err != nil {
			_ = c.Close(ctx)
			return nil, err
		}
		fmt.Fprintf(out, "%s registers at %s:%d\n", id, inst.Address, *inst.Port)
		return c, nil
	}
	for _, id := range []string{"orders-1", "orders-2"} {
		c, err := start(id, cl.Servers, exenv.SessionTimeout)
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
	}
	dying, err := start("orders-3", link.Servers(), crashTimeout)
	if err != nil {
		return err
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

	link.Blackhole() // nothing more reaches the servers from orders-3
	died := time.Now()
	fmt.Fprintf(out, "orders-3's process dies without closing its session (timeout %v)\n", dying.SessionTimeout())
	if err := await("orders-1"); err != nil {
		return err
	}
	fmt.Fprintf(out, "  the servers expired its session after %.0fs: its ephemeral node is gone\n", time.Since(died).Seconds())
	// The dead process's Conn and Registry are only released here; an
	// ended ctx keeps them from waiting on the silenced link.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	_ = regs["orders-3"].Close(gone)
	_ = dying.Close(gone)

	fmt.Fprintln(out, "orders-3 restarts with a new session")
	restarted, err := start("orders-3", cl.Servers, exenv.SessionTimeout)
	if err != nil {
		return err
	}
	defer restarted.Close(context.Background())
	if err := await("orders-1", "orders-3"); err != nil {
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

// crashTimeout is the session timeout of the instance that dies: the
// servers raise it to their minimum (2 ticks) if it is below.
const crashTimeout = 2 * time.Second

func instance(id string) registry.Instance {
	n := strings.TrimPrefix(id, "orders-")
	return registry.Instance{Name: "orders", ID: id, Address: "10.0.0.1" + n, Port: registry.Int(8080)}
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
