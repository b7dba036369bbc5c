package server_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
)

var linSeed = flag.Uint64("lin.seed", 0, "seed of TestLinearizableUnderFaults (0: time-based)")

// regInput is one operation on the register /reg: a write of Value, or a
// linearizable read (sync, then getData).
type regInput struct {
	Write bool
	Value string
}

// regOutput is a read's value; Unknown marks a write whose outcome the
// client never learnt (connection lost).
type regOutput struct {
	Value   string
	Unknown bool
}

var registerModel = porcupine.Model{
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in, out := input.(regInput), output.(regOutput)
		if in.Write {
			return true, in.Value
		}
		return out.Value == state.(string), state
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(regInput), output.(regOutput)
		if in.Write {
			return fmt.Sprintf("write(%s) unknown=%v", in.Value, out.Unknown)
		}
		return fmt.Sprintf("read() -> %s", out.Value)
	},
}

// TestLinearizableUnderFaults checks with porcupine that concurrent
// clients' writes and sync+reads of one znode are linearizable while the
// leader is killed and restarted and a follower is partitioned and healed.
func TestLinearizableUnderFaults(t *testing.T) {
	seed := *linSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -lin.seed %d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	// The seed also picks which unsynced entries a killed server keeps.
	e := startEnsemble(t, ensemble.WithSeed(seed))
	setup := dialClient(t, e.Servers())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, _, err := setup.Create(ctx, "/reg", []byte(""), client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	const clients, maxOps, faultRounds = 4, 3000, 4
	seeds := make([]uint64, clients)
	for i := range seeds {
		seeds[i] = rng.Uint64()
	}
	var (
		mu         sync.Mutex
		history    []porcupine.Operation
		wg         sync.WaitGroup
		stop       = make(chan struct{})
		faultsDone = make(chan struct{})
		faultWg    sync.WaitGroup
	)
	conns := make([]*client.Conn, clients)
	for i := range conns {
		conns[i] = dialClient(t, e.Servers())
	}
	faultWg.Add(1)
	go func() { // the faults, in the test's goroutine order
		defer faultWg.Done()
		frng := rand.New(rand.NewPCG(seed^1, seed^2))
		defer close(faultsDone)
		for round := 0; round < faultRounds; round++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(100+frng.IntN(200)) * time.Millisecond):
			}
			mu.Lock()
			if round%2 == 0 {
				l := servingLeader(e)
				if l >= 0 {
					if err := e.Kill(l); err != nil {
						t.Errorf("kill server %d: %v", l+1, err)
					}
					mu.Unlock()
					select {
					case <-stop:
					case <-time.After(time.Duration(100+frng.IntN(200)) * time.Millisecond):
					}
					mu.Lock()
					if err := e.Restart(ctx, l); err != nil {
						t.Errorf("restart server %d: %v", l+1, err)
					}
				}
			} else {
				f := frng.IntN(3)
				if err := e.Isolate(f); err != nil {
					t.Errorf("isolate server %d: %v", f+1, err)
				}
				mu.Unlock()
				select {
				case <-stop:
				case <-time.After(time.Duration(100+frng.IntN(200)) * time.Millisecond):
				}
				mu.Lock()
				if err := e.Heal(); err != nil {
					t.Errorf("heal: %v", err)
				}
			}
			mu.Unlock()
		}
	}()
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			crng := rand.New(rand.NewPCG(seeds[i], 7))
			c := conns[i]
			for n := range maxOps {
				if ctx.Err() != nil {
					return
				}
				select {
				case <-faultsDone:
					return
				default:
				}
				octx, ocancel := context.WithTimeout(ctx, 3*time.Second)
				in := regInput{Write: crng.IntN(2) == 0, Value: fmt.Sprintf("c%d-%d", i, n)}
				call := time.Now().UnixNano()
				var out regOutput
				var err error
				if in.Write {
					_, err = c.Set(octx, "/reg", []byte(in.Value), -1)
				} else if err = c.Sync(octx, "/reg"); err == nil {
					var d []byte
					d, _, err = c.Get(octx, "/reg")
					out.Value = string(d)
				}
				ocancel()
				ret := time.Now().UnixNano()
				switch {
				case err == nil:
				case in.Write:
					out.Unknown, ret = true, math.MaxInt64 // may or may not have happened
				default:
					continue // a failed read tells nothing
				}
				mu.Lock()
				history = append(history, porcupine.Operation{ClientId: i, Input: in, Call: call, Output: out, Return: ret})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(stop)
	faultWg.Wait()
	waitServing(t, e)
	waitConverged(t, e)
	res := porcupine.CheckOperationsTimeout(registerModel, history, 30*time.Second)
	if res == porcupine.Illegal {
		t.Fatalf("history of %d operations is not linearizable (seed %d)", len(history), seed)
	}
	t.Logf("%d operations, porcupine: %v", len(history), res)
}

// servingLeader returns the index of a serving leader or -1, without
// waiting (e.Leader also wants a quorum serving under it).
func servingLeader(e *ensemble.Ensemble) int {
	for i := range e.Size() {
		if st, ok := e.State(i); ok && st.Serving && st.State.String() == "LEADING" {
			return i
		}
	}
	return -1
}
