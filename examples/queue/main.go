// Command queue shows recipes/queue at work: a producer puts jobs on a
// DistributedQueue (Curator's layout); two workers take them with safe
// consumption (a lock path), so a job is removed only after its worker
// finished it. Worker 2 crashes in the middle of a job (its process dies:
// its session ends with the job unfinished); the job stays in the queue
// and worker 1 does it. Every job is done exactly once.
//
//	go run ./examples/queue
//	go run ./examples/queue -servers 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/zabkit/zabkit/examples/internal/exenv"
	"github.com/zabkit/zabkit/recipes/queue"
)

func main() { exenv.Main(run) }

const jobs = 6

func run(ctx context.Context, out io.Writer, servers string) error {
	cl, err := exenv.Start(ctx, out, servers)
	if err != nil {
		return err
	}
	defer cl.Close()
	root := exenv.Root("queue")
	var mu sync.Mutex
	say := func(format string, a ...any) {
		mu.Lock()
		fmt.Fprintf(out, format+"\n", a...)
		mu.Unlock()
	}

	pc, err := cl.Connect(ctx)
	if err != nil {
		return err
	}
	defer pc.Close(context.Background())
	producer := queue.New(pc, root+"/jobs")
	for i := 1; i <= jobs; i++ {
		if err := producer.Put(ctx, []byte(fmt.Sprintf("job-%d", i))); err != nil {
			return err
		}
	}
	say("the producer put %d jobs on %s/jobs", jobs, root)

	// Worker 2 takes the first job and crashes in the middle of it.
	c2, err := cl.Connect(ctx)
	if err != nil {
		return err
	}
	w2 := queue.New(c2, root+"/jobs", queue.WithLockPath(root+"/locks"))
	err = w2.Take(ctx, func(ctx context.Context, job []byte) error {
		say("worker 2 starts %s and crashes", job)
		_ = c2.Close(context.Background()) // the process dies: its session ends
		<-ctx.Done()
		return context.Cause(ctx)
	})
	if !errors.Is(err, queue.ErrLockLost) {
		return fmt.Errorf("worker 2's crash: %v, want ErrLockLost", err)
	}
	say("worker 2 is gone; its unfinished job stays in the queue")

	// Worker 1 does every job, the abandoned one included.
	c1, err := cl.Connect(ctx)
	if err != nil {
		return err
	}
	defer c1.Close(context.Background())
	w1 := queue.New(c1, root+"/jobs", queue.WithLockPath(root+"/locks"))
	done := make(map[string]int)
	for range jobs {
		err := w1.Take(ctx, func(ctx context.Context, job []byte) error {
			done[string(job)]++
			say("worker 1 does %s", job)
			return nil
		})
		if err != nil {
			return err
		}
	}
	for i := 1; i <= jobs; i++ {
		if n := done[fmt.Sprintf("job-%d", i)]; n != 1 {
			return fmt.Errorf("job-%d done %d times", i, n)
		}
	}
	left, _, err := c1.Children(ctx, root+"/jobs")
	if err != nil {
		return err
	}
	if len(left) != 0 {
		return fmt.Errorf("jobs left in the queue: %v", left)
	}
	say("done: all %d jobs done exactly once, none lost with the crashed worker", jobs)
	return nil
}
