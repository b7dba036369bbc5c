package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
)

// benchConfig is what `zabkit bench` runs.
type benchConfig struct {
	servers  string
	clients  int
	duration time.Duration
	size     int
	reads    float64 // fraction of operations that are reads
	seed     uint64
}

// runBench is `zabkit bench`: clients that each set and get their own znode
// for a while, then a throughput and latency report. Without -server it
// loads an in-process ensemble.
func runBench(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "bench", "[-server host:port[,...]] [-clients N] [-duration D] [-size B] [-reads F]")
	var bc benchConfig
	fs.StringVar(&bc.servers, "server", "", "connect string of the cluster to load (default: an in-process ensemble)")
	size := fs.Int("ensemble", 3, "servers of the in-process ensemble used when -server is not given")
	fs.IntVar(&bc.clients, "clients", 8, "concurrent sessions")
	fs.DurationVar(&bc.duration, "duration", 10*time.Second, "how long to run")
	fs.IntVar(&bc.size, "size", 100, "bytes per write")
	fs.Float64Var(&bc.reads, "reads", 0.5, "fraction of operations that are reads (0..1)")
	fs.Uint64Var(&bc.seed, "seed", 0, "seed of the read/write mix (0: random, printed)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case bc.clients < 1 || bc.size < 0 || bc.reads < 0 || bc.reads > 1 || bc.duration <= 0:
		fmt.Fprintln(env.stderr, "zabkit bench: need -clients ≥ 1, -size ≥ 0, 0 ≤ -reads ≤ 1, -duration > 0")
		return errUsage
	}
	if bc.seed == 0 {
		bc.seed = rand.Uint64()
	}
	if bc.servers == "" {
		e, err := ensemble.Start(ctx, ensemble.WithSize(*size))
		if err != nil {
			return err
		}
		defer e.Close()
		bc.servers = e.Servers()
		fmt.Fprintf(env.stdout, "in-process ensemble of %d servers (in memory)\n", *size)
	}
	res, err := bench(ctx, bc)
	if err != nil {
		return err
	}
	res.print(env.stdout, bc)
	return nil
}

// benchResult is what a bench run measured.
type benchResult struct {
	elapsed       time.Duration
	reads, writes []time.Duration
	errors        int
}

// bench runs bc and returns the latencies of every operation.
func bench(ctx context.Context, bc benchConfig) (*benchResult, error) {
	admin, err := client.Dial(ctx, bc.servers)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", bc.servers, err)
	}
	defer admin.Close(context.Background())
	root := fmt.Sprintf("/zabkit-bench-%016x", rand.Uint64())
	if _, _, err := admin.Create(ctx, root, nil, client.ModePersistent, nil); err != nil {
		return nil, err
	}
	defer removeTree(context.Background(), admin, root)

	conns := make([]*client.Conn, bc.clients)
	defer func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close(context.Background())
			}
		}
	}()
	for i := range conns {
		if conns[i], err = client.Dial(ctx, bc.servers); err != nil {
			return nil, fmt.Errorf("connect client %d: %w", i, err)
		}
	}

	runCtx, cancel := context.WithTimeout(ctx, bc.duration)
	defer cancel()
	type workerResult struct {
		reads, writes []time.Duration
		errors        int
		err           error
	}
	results := make([]workerResult, bc.clients)
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			rng := rand.New(rand.NewPCG(bc.seed, uint64(i)))
			path := fmt.Sprintf("%s/c%d", root, i)
			data := make([]byte, bc.size)
			if _, _, err := c.Create(runCtx, path, data, client.ModePersistent, nil); err != nil {
				r.err = err
				return
			}
			for runCtx.Err() == nil {
				read := rng.Float64() < bc.reads
				t0 := time.Now()
				var err error
				if read {
					_, _, err = c.Get(runCtx, path)
				} else {
					_, err = c.Set(runCtx, path, data, client.AnyVersion)
				}
				d := time.Since(t0)
				switch {
				case err != nil && runCtx.Err() != nil:
					return
				case err != nil:
					r.errors++
				case read:
					r.reads = append(r.reads, d)
				default:
					r.writes = append(r.writes, d)
				}
			}
		}()
	}
	wg.Wait()
	res := &benchResult{elapsed: time.Since(start)}
	var errs error
	for _, r := range results {
		if r.err != nil {
			errs = multierror.Append(errs, r.err)
		}
		res.reads = append(res.reads, r.reads...)
		res.writes = append(res.writes, r.writes...)
		res.errors += r.errors
	}
	if errs != nil {
		return nil, errs
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return res, nil
}

// removeTree deletes path and everything below it, best effort.
func removeTree(ctx context.Context, c *client.Conn, path string) {
	kids, _, err := c.Children(ctx, path)
	if err != nil {
		return
	}
	for _, k := range kids {
		removeTree(ctx, c, path+"/"+k)
	}
	if err := c.Delete(ctx, path, client.AnyVersion); err != nil && !errors.Is(err, client.ErrNoNode) {
		return
	}
}

func (r *benchResult) print(w io.Writer, bc benchConfig) {
	fmt.Fprintf(w, "servers %s, %d clients, %d-byte writes, %.0f%% reads, seed %d, %v\n",
		bc.servers, bc.clients, bc.size, bc.reads*100, bc.seed, r.elapsed.Round(time.Millisecond))
	total := len(r.reads) + len(r.writes)
	fmt.Fprintf(w, "%d ops, %.0f ops/s, %d errors\n", total, float64(total)/r.elapsed.Seconds(), r.errors)
	for _, s := range []struct {
		name string
		lat  []time.Duration
	}{{"get", r.reads}, {"set", r.writes}} {
		if len(s.lat) == 0 {
			continue
		}
		slices.Sort(s.lat)
		q := func(f float64) time.Duration { return s.lat[int(f*float64(len(s.lat)-1))] }
		fmt.Fprintf(w, "%s: %d ops, %.0f/s, p50 %v, p99 %v, p99.9 %v, max %v\n", s.name, len(s.lat),
			float64(len(s.lat))/r.elapsed.Seconds(), q(0.5), q(0.99), q(0.999), s.lat[len(s.lat)-1])
	}
}
