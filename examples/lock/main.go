// Command lock shows recipes/lock at work: workers, each with its own
// session, take turns holding one lock; midway, while a worker holds it, the
// ensemble's leader is killed. Every holder writes to a store with its
// fencing token, and the store refuses a token lower than one it has seen,
// so a holder that lost the lock without knowing could not overwrite a
// newer holder's write. The tokens increase throughout. A token is the lock node's zxid: its high 32 bits, the epoch, grow with
// every leader change.
//
//	go run ./examples/lock                       # in-process ensemble
//	go run ./examples/lock -servers 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
//
// On an external ensemble no server is killed.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/examples/internal/exenv"
	"github.com/zabkit/zabkit/recipes/lock"
)

func main() { exenv.Main(run) }

const (
	workers = 4
	rounds  = 3 // holdings per worker
)

// store is the resource the lock protects: it accepts a write only with a
// fencing token at least as high as the highest it has seen.
type store struct {
	mu     sync.Mutex
	last   int64
	tokens []int64
}

func (s *store) write(token int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if token < s.last {
		return fmt.Errorf("stale fencing token %d (last %d)", token, s.last)
	}
	s.last = token
	s.tokens = append(s.tokens, token)
	return nil
}

func run(ctx context.Context, out io.Writer, servers string) error {
	cl, err := exenv.Start(ctx, out, servers)
	if err != nil {
		return err
	}
	defer cl.Close()
	dir := exenv.Root("lock")
	conns := make([]*client.Conn, workers)
	for i := range conns {
		if conns[i], err = cl.Connect(ctx); err != nil {
			return err
		}
		defer conns[i].Close(context.Background())
	}
	fmt.Fprintf(out, "%d workers contend for %s, %d turns each\n", workers, dir, rounds)

	var (
		st       store
		mu       sync.Mutex // serializes the narrative
		holdings int
		wg       sync.WaitGroup
		errs     = make([]error, workers)
	)
	say := func(format string, a ...any) {
		mu.Lock()
		fmt.Fprintf(out, format+"\n", a...)
		mu.Unlock()
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := lock.NewMutex(conns[w], dir, lock.WithSuspendGrace(exenv.SessionTimeout/2))
			for r := 0; r < rounds; {
				if err := m.Lock(ctx); err != nil {
					if client.IsRetryable(err) || errors.Is(err, client.ErrConnectionLoss) {
						continue // the leader change interrupted the request: try again
					}
					errs[w] = fmt.Errorf("worker %d: lock: %w", w+1, err)
					return
				}
				mu.Lock()
				holdings++
				n := holdings
				mu.Unlock()
				say("worker %d holds the lock, fencing token %d (zxid %#x)", w+1, m.Token(), m.Token())
				if n == workers*rounds/2 && cl.Ensemble != nil {
					if err := killLeader(ctx, cl, say); err != nil {
						errs[w] = err
						return
					}
				}
				select {
				case <-m.Lost():
					say("worker %d may have lost the lock (%v): it does not write", w+1, context.Cause(m.Context()))
				default:
					if err := st.write(m.Token()); err != nil {
						errs[w] = fmt.Errorf("worker %d: %w", w+1, err)
						return
					}
				}
				if err := m.Unlock(ctx); err != nil {
					errs[w] = fmt.Errorf("worker %d: unlock: %w", w+1, err)
					return
				}
				r++
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i := 1; i < len(st.tokens); i++ {
		if st.tokens[i] <= st.tokens[i-1] {
			return fmt.Errorf("fencing tokens did not increase: %v", st.tokens)
		}
	}
	fmt.Fprintf(out, "done: %d writes, fencing tokens strictly increasing from %d to %d\n",
		len(st.tokens), st.tokens[0], st.tokens[len(st.tokens)-1])
	return nil
}

// killLeader kills the in-process ensemble's leader and waits for the
// survivors to elect another.
func killLeader(ctx context.Context, cl *exenv.Cluster, say func(string, ...any)) error {
	old := cl.Ensemble.Leader()
	say("  >> killing the ensemble's leader, server %d, while the lock is held", cl.Ensemble.ID(old))
	if err := cl.Ensemble.Kill(old); err != nil {
		return err
	}
	l, err := cl.Ensemble.WaitLeader(ctx)
	if err != nil {
		return err
	}
	say("  >> the two survivors elected server %d; the lock node and its session live on", cl.Ensemble.ID(l))
	return nil
}
