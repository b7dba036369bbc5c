// Command election shows recipes/election at work: three candidates, each
// with its own session, take turns leading through Run; midway the
// leader's session expires (in process: the ensemble expires it, as if
// the process had paused for longer than the session timeout), its
// leadership context is cancelled, and the next candidate leads with a
// greater token. The expired candidate's Conn establishes a new session by
// itself and its Run campaigns again on it, so it leads again later:
// nothing but the leadership context is handled by the application.
//
//	go run ./examples/election
//	go run ./examples/election -servers 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
//
// On an external ensemble no session is expired.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/examples/internal/exenv"
	"github.com/zabkit/zabkit/recipes/election"
)

func main() { exenv.Main(run) }

const terms = 6

func run(ctx context.Context, out io.Writer, servers string) error {
	cl, err := exenv.Start(ctx, out, servers)
	if err != nil {
		return err
	}
	defer cl.Close()
	dir := exenv.Root("election")
	names := []string{"alpha", "bravo", "charlie"}
	fmt.Fprintf(out, "candidates %v campaign under %s; each term, the leader does its job and resigns\n", names, dir)

	var (
		mu     sync.Mutex
		tokens []int64
		wg     sync.WaitGroup
		errs   = make([]error, len(names))
	)
	// say prints for a candidate: a deposed leader may still be printing
	// while the next one starts.
	say := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, format, a...)
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	conns := make([]*client.Conn, len(names))
	for i := range conns {
		if conns[i], err = cl.Connect(ctx); err != nil {
			return err
		}
		defer conns[i].Close(context.Background())
	}
	for i, name := range names {
		conn := conns[i]
		e := election.New(conn, dir)
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := e.Run(rctx, name, func(lctx context.Context) error {
				mu.Lock()
				tokens = append(tokens, e.Token())
				n := len(tokens)
				if g := conn.Session().Generation(); g > 1 {
					fmt.Fprintf(out, "term %d: %s leads again, on its new session (generation %d, token %d)\n", n, name, g, e.Token())
				} else {
					fmt.Fprintf(out, "term %d: %s leads (token %d)\n", n, name, e.Token())
				}
				mu.Unlock()
				if n >= terms {
					stop()
					return nil
				}
				if n == terms/2 && cl.Ensemble != nil {
					say("  >> %s's session expires on the servers while it leads\n", name)
					if err := cl.Ensemble.ExpireSession(ctx, conn.SessionID()); err != nil {
						return err
					}
					<-lctx.Done()
					say("  >> %s's leadership context ends: %v\n", name, context.Cause(lctx))
					say("  >> %s's Conn opens a new session and its Run campaigns again\n", name)
					return nil
				}
				// Yield only once every live candidate is queued, so
				// that leadership rotates.
				return waitQueued(lctx, conn, dir, len(names))
			})
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i := 1; i < len(tokens); i++ {
		if tokens[i] <= tokens[i-1] {
			return fmt.Errorf("term tokens did not increase: %v", tokens)
		}
	}
	fmt.Fprintf(out, "done: %d terms, one leader at a time, tokens increasing\n", len(tokens))
	return nil
}

// waitQueued waits until dir holds a node per candidate (the leader's
// included), or ctx ends.
func waitQueued(ctx context.Context, c *client.Conn, dir string, n int) error {
	for {
		kids, _, ch, err := c.ChildrenW(ctx, dir)
		if err != nil {
			return nil // leadership ends anyway: Run campaigns again
		}
		if len(kids) >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil
		}
	}
}
