// Command group shows recipes/group at work: three workers join a group
// with their addresses as payloads (Curator's GroupMember layout, one
// ephemeral node each) and each sees the others; one changes its payload;
// the process of another dies without closing its session, so the servers
// expire the session after its timeout and the others see it leave; a
// third leaves cleanly. Every Conn has session renewal: a live worker
// whose session expires (a long pause) joins again on its new session.
//
//	go run ./examples/group
//	go run ./examples/group -servers 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble/bridge"
	"github.com/zabkit/zabkit/examples/internal/exenv"
	"github.com/zabkit/zabkit/recipes/cache"
	"github.com/zabkit/zabkit/recipes/group"
)

func main() { exenv.Main(run) }

func run(ctx context.Context, out io.Writer, servers string) error {
	cl, err := exenv.Start(ctx, out, servers)
	if err != nil {
		return err
	}
	defer cl.Close()
	path := exenv.Root("group") + "/workers"

	// worker-3's process reaches the servers through a link this program
	// can silence, to play a process that dies without closing its
	// session; its session timeout is short, so the servers notice soon.
	link, err := bridge.NewLink(cl.Servers)
	if err != nil {
		return err
	}
	defer link.Close()
	members := map[string]*group.Member{}
	conns := map[string]*client.Conn{}
	join := func(id, servers string, timeout time.Duration) error {
		c, err := client.Dial(ctx, servers, client.WithSessionTimeout(timeout), client.WithSessionRenewal(true))
		if err != nil {
			return err
		}
		m, err := group.Join(ctx, c, path, id, []byte(address(id)))
		if err != nil {
			_ = c.Close(ctx)
			return err
		}
		members[id], conns[id] = m, c
		fmt.Fprintf(out, "%s joins with payload %s\n", id, address(id))
		return nil
	}
	defer func() {
		for _, c := range conns {
			_ = c.Close(context.Background())
		}
	}()
	if err := join("worker-1", cl.Servers, exenv.SessionTimeout); err != nil {
		return err
	}
	// worker-1 follows the group.
	lctx, stopListening := context.WithCancel(ctx)
	defer stopListening()
	events := members["worker-1"].Listen(lctx)
	view := map[string]string{}
	await := func(what string, ok func() bool) error {
		for !ok() {
			ev, open := <-events
			if !open {
				return fmt.Errorf("worker-1 stopped following the group waiting for %s", what)
			}
			switch ev.Type {
			case cache.EventCreated, cache.EventChanged:
				view[group.ID(ev.Node.Path)] = string(ev.Node.Data)
			case cache.EventDeleted:
				delete(view, group.ID(ev.Node.Path))
			}
		}
		fmt.Fprintf(out, "worker-1 sees %s: %s\n", what, show(view))
		return nil
	}

	if err := join("worker-2", cl.Servers, exenv.SessionTimeout); err != nil {
		return err
	}
	if err := join("worker-3", link.Servers(), crashTimeout); err != nil {
		return err
	}
	if err := await("everyone", func() bool { return len(view) == 3 }); err != nil {
		return err
	}

	if err := members["worker-2"].SetPayload(ctx, []byte("10.0.0.22:8080")); err != nil {
		return err
	}
	fmt.Fprintln(out, "worker-2 moves to 10.0.0.22:8080")
	if err := await("worker-2's new address", func() bool { return view["worker-2"] == "10.0.0.22:8080" }); err != nil {
		return err
	}

	link.Blackhole() // nothing more reaches the servers from worker-3
	died := time.Now()
	fmt.Fprintf(out, "worker-3's process dies without closing its session (timeout %v)\n", conns["worker-3"].SessionTimeout())
	if err := await("worker-3 leave", func() bool { _, ok := view["worker-3"]; return !ok }); err != nil {
		return err
	}
	fmt.Fprintf(out, "  the servers expired its session after %.0fs: its member node is gone\n", time.Since(died).Seconds())
	// The dead process's Conn and Member are only released here; an ended
	// ctx keeps them from waiting on the silenced link.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	_ = members["worker-3"].Close(gone)
	_ = conns["worker-3"].Close(gone)
	delete(conns, "worker-3")

	if err := members["worker-2"].Close(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "worker-2 leaves the group (shutting down cleanly)")
	if err := await("worker-2 leave", func() bool { _, ok := view["worker-2"]; return !ok }); err != nil {
		return err
	}
	fmt.Fprintf(out, "done: the group is %s\n", show(payloads(members["worker-1"].Members())))
	return members["worker-1"].Close(ctx)
}

// crashTimeout is the session timeout of the worker that dies: the
// servers raise it to their minimum (2 ticks) if it is below.
const crashTimeout = 2 * time.Second

func address(id string) string { return "10.0.0." + strings.TrimPrefix(id, "worker-") + ":8080" }

func payloads(m map[string][]byte) map[string]string {
	out := map[string]string{}
	for id, p := range m {
		out[id] = string(p)
	}
	return out
}

func show(view map[string]string) string {
	var parts []string
	for _, id := range slices.Sorted(maps.Keys(view)) {
		parts = append(parts, id+"="+view[id])
	}
	return "[" + strings.Join(parts, " ") + "]"
}
