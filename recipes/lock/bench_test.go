package lock

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// BenchmarkMutex measures lock acquire+release cycles per second with 1, 8
// and 64 contenders, each on its own session.
func BenchmarkMutex(b *testing.B) {
	for _, n := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("contenders=%d", n), func(b *testing.B) {
			ctx := zktest.Ctx(b)
			dir := zktest.Root(b)
			conns := make([]*client.Conn, n)
			for i := range conns {
				conns[i] = zktest.Dial(b)
			}
			work := make(chan struct{}, b.N)
			for range b.N {
				work <- struct{}{}
			}
			close(work)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for i := range n {
				m := NewMutex(conns[i], dir)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range work {
						if err := m.Lock(ctx); err != nil {
							b.Error(err)
							return
						}
						if err := m.Unlock(ctx); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "locks/s")
		})
	}
}
