package client

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/wire"
)

var chaosSeed = flag.Uint64("chaos.seed", 0, "seed for TestChaosConnectionDrops (0: random)")

// TestChaosConnectionDrops runs concurrent requests while the fake server
// drops connections at random points (before or after answering). Every
// request must end with its own correct reply or ErrConnectionLoss, never
// hang and never get another request's reply; the session survives.
func TestChaosConnectionDrops(t *testing.T) {
	seed := *chaosSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (rerun with -chaos.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	var rmu sync.Mutex
	chance := func(p float64) bool {
		rmu.Lock()
		defer rmu.Unlock()
		return rng.Float64() < p
	}

	s := newFakeServer(t)
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpGetData && chance(0.02) {
			fc.nc.Close() // dropped before the answer
			return
		}
		defaultHandle(fc, hdr, body)
		if hdr.Op == wire.OpGetData && chance(0.02) {
			fc.nc.Close() // dropped after the answer
		}
	})
	c := dialFake(t, []*fakeServer{s})
	ctx := bg(t)
	requests := 2000
	if testing.Short() {
		requests = 300
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, lost := 0, 0
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range requests / 8 {
				p := fmt.Sprintf("/w%d/r%d", w, i)
				d, _, err := c.Get(ctx, p)
				mu.Lock()
				switch {
				case err == nil && string(d) == p:
					ok++
				case errors.Is(err, ErrConnectionLoss):
					lost++
				default:
					t.Errorf("Get(%s) = %q, %v", p, d, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d answered, %d lost with their connection, %d connections", ok, lost, len(s.handshakes()))
	if c.SessionID() != s.sessionID || c.Err() != nil {
		t.Fatalf("session %x err %v", c.SessionID(), c.Err())
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, _, err := c.Get(cctx, "/final"); err != nil && !errors.Is(err, ErrConnectionLoss) {
		t.Fatal(err)
	}
}
