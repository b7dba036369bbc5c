// Command counter shows recipes/shared at work: three workers, each with
// its own session, count the requests they serve in one AtomicLong and
// each increment returns the values before and after; an operator raises
// a SharedCount limit that every worker watches; finally one worker's
// stale TrySet loses to a newer write.
//
//	go run ./examples/counter
//	go run ./examples/counter -servers 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/examples/internal/exenv"
	"github.com/zabkit/zabkit/recipes/shared"
)

func main() { exenv.Main(run) }

const (
	workers  = 3
	requests = 20 // per worker
)

func run(ctx context.Context, out io.Writer, servers string) error {
	cl, err := exenv.Start(ctx, out, servers)
	if err != nil {
		return err
	}
	defer cl.Close()
	root := exenv.Root("counter")
	conns := make([]*client.Conn, workers+1)
	for i := range conns {
		if conns[i], err = cl.Connect(ctx); err != nil {
			return err
		}
		defer conns[i].Close(context.Background())
	}
	operator := conns[workers]

	// Every worker watches the limit; the operator raises it from 2 to 5.
	limit := shared.NewCount(operator, root+"/limit", 2)
	v, err := limit.Get(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "limit %d (version %d) at %s/limit\n", v.Value, v.Version, root)
	wctx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	var seen sync.WaitGroup
	for i := range workers {
		w := shared.NewCount(conns[i], root+"/limit", 2).Watch(wctx)
		seen.Go(func() {
			for v := range w {
				if v.Value == 5 {
					return
				}
			}
		})
	}
	if _, err := limit.TrySet(ctx, v, 5); err != nil {
		return err
	}
	seen.Wait()
	fmt.Fprintln(out, "the operator raised the limit to 5; every worker's Watch saw it")

	// The workers count requests concurrently; each Increment is a
	// compare-and-set retried on conflict, so none is lost.
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		hi   int64
	)
	for i := range workers {
		hits := shared.NewAtomicLong(conns[i], root+"/requests")
		wg.Go(func() {
			for range requests {
				r, err := hits.Increment(ctx)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					hi = max(hi, r.Post)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// A read is served by the operator's server, which may lag the
	// workers' writes: Sync first to read every completed increment.
	if err := operator.Sync(ctx, root+"/requests"); err != nil {
		return err
	}
	total, err := shared.NewAtomicLong(operator, root+"/requests").Get(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d workers served %d requests each: the counter reads %d (highest post-value seen %d)\n",
		workers, requests, total, hi)
	if total != workers*requests {
		return fmt.Errorf("counter %d, want %d", total, workers*requests)
	}

	// A worker that read the limit before the operator's change cannot
	// overwrite it.
	if _, err := shared.NewCount(conns[0], root+"/limit", 2).TrySet(ctx, v, 3); errors.Is(err, shared.ErrConflict) {
		fmt.Fprintln(out, "a TrySet on the old version lost: conflict, the limit stays 5")
	} else {
		return fmt.Errorf("stale TrySet: %v, want ErrConflict", err)
	}
	fmt.Fprintln(out, "done")
	return nil
}
