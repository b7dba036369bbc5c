// Command barrier shows recipes/barrier at work: three workers wait at a
// Barrier until a migration lowers it, then synchronise through a
// DoubleBarrier: none starts its share of the batch before all three have
// entered, and none leaves before all three are done.
//
//	go run ./examples/barrier
//	go run ./examples/barrier -servers 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/examples/internal/exenv"
	"github.com/zabkit/zabkit/recipes/barrier"
)

func main() { exenv.Main(run) }

const workers = 3

func run(ctx context.Context, out io.Writer, servers string) error {
	cl, err := exenv.Start(ctx, out, servers)
	if err != nil {
		return err
	}
	defer cl.Close()
	root := exenv.Root("barrier")
	var mu sync.Mutex
	say := func(format string, a ...any) {
		mu.Lock()
		fmt.Fprintf(out, format+"\n", a...)
		mu.Unlock()
	}

	migrator, err := cl.Connect(ctx)
	if err != nil {
		return err
	}
	defer migrator.Close(context.Background())
	gate := barrier.New(migrator, root+"/schema-migrated")
	if err := gate.Set(ctx); err != nil {
		return err
	}
	say("the migrator raises the barrier %s/schema-migrated", root)

	conns := make([]*client.Conn, workers)
	for i := range conns {
		if conns[i], err = cl.Connect(ctx); err != nil {
			return err
		}
		defer conns[i].Close(context.Background())
	}
	var (
		wg              sync.WaitGroup
		waiting         sync.WaitGroup // workers about to wait at the gate
		inside, started atomic.Int32
		errs            = make([]error, workers)
	)
	waiting.Add(workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = worker(ctx, w+1, conns[w], root, say, &waiting, &inside, &started)
		}()
	}
	waiting.Wait()
	if err := gate.Remove(ctx); err != nil {
		return err
	}
	say("the migration is done: the migrator removes the barrier")
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	say("done: every worker started after all %d entered and left after all %d finished", workers, workers)
	return nil
}

func worker(ctx context.Context, id int, c *client.Conn, root string, say func(string, ...any),
	waiting *sync.WaitGroup, inside, started *atomic.Int32) error {
	gate := barrier.New(c, root+"/schema-migrated")
	say("worker %d waits for the migration", id)
	waiting.Done()
	if err := gate.Wait(ctx); err != nil {
		return err
	}
	b := barrier.NewDoubleBarrier(c, root+"/batch-42", workers)
	say("worker %d enters batch-42", id)
	inside.Add(1)
	if err := b.Enter(ctx); err != nil {
		return err
	}
	if n := inside.Load(); n != workers {
		return fmt.Errorf("worker %d passed Enter with %d of %d inside", id, n, workers)
	}
	started.Add(1)
	say("worker %d: all %d are in, processing its share", id, workers)
	if err := b.Leave(ctx); err != nil {
		return err
	}
	if n := started.Load(); n != workers {
		return fmt.Errorf("worker %d passed Leave with %d of %d started", id, n, workers)
	}
	say("worker %d leaves: all %d are done", id, workers)
	return nil
}
