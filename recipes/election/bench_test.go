package election

import (
	"context"
	"testing"
	"time"

	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// BenchmarkHandOver measures the time from the leader's session loss (its
// session expired: ensemble.ExpireSession in process, closed from another
// connection on an external ensemble) to the next leader's fn starting.
// Run it with a fixed count (-benchtime 30x): every iteration also waits
// for the old client to learn of its expiry, which takes much longer.
func BenchmarkHandOver(b *testing.B) {
	dir := zktest.Root(b)
	var total time.Duration
	b.StopTimer() // setup dominates; the metric is ms/handover
	for range b.N {
		ctx := zktest.Ctx(b) // per hand-over: each waits for the old client to see its expiry
		ca, cb := zktest.Dial(b), zktest.Dial(b)
		a, nb := New(ca, dir), New(cb, dir)
		if err := a.Campaign(ctx, "a"); err != nil {
			b.Fatal(err)
		}
		started := make(chan time.Time, 1)
		rctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- nb.Run(rctx, "b", func(l context.Context) error {
				started <- time.Now()
				<-l.Done()
				return nil
			})
		}()
		for { // until b is queued behind a
			if kids, _, err := cb.Children(ctx, dir); err == nil && len(kids) == 2 {
				break
			}
			_, _, ch, err := cb.ChildrenW(ctx, dir)
			if err != nil {
				b.Fatal(err)
			}
			if kids, _, _ := cb.Children(ctx, dir); len(kids) == 2 {
				break
			}
			<-ch
		}
		t0 := time.Now()
		zktest.Expire(b, ca)
		t1 := <-started
		total += t1.Sub(t0)
		stop()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		_ = ca.Close(ctx)
		_ = cb.Close(ctx)
	}
	b.ReportMetric(total.Seconds()*1000/float64(b.N), "ms/handover")
}
