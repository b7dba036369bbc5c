package ensemble_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/zabkit/zabkit/ensemble"
)

// BenchmarkStartConnected measures what a test pays for a fresh ensemble:
// three in-memory servers started, a leader established, and a client
// session connected. It reports the median besides the mean.
func BenchmarkStartConnected(b *testing.B) {
	ctx := context.Background()
	var took []time.Duration
	for b.Loop() {
		t0 := time.Now()
		e, err := ensemble.Start(ctx)
		if err != nil {
			b.Fatal(err)
		}
		c, err := e.Connect(ctx)
		if err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
		b.StopTimer()
		_ = c.Close(ctx)
		if err := e.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2])/float64(time.Millisecond), "ms-median")
	b.ReportMetric(float64(took[len(took)*9/10])/float64(time.Millisecond), "ms-p90")
}
