package cache

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// BenchmarkCache100k caches 100,000 nodes of 16 bytes (100 parents of
// 1,000 children) and reports the heap the cache holds per cached node
// (bytes/node), then measures, per op, a Set of one cached node and its
// EventChanged reaching a Listen reader: ns/op is the whole round, and
// event-µs the part after the Set's reply.
func BenchmarkCache100k(b *testing.B) {
	const parents, children = 100, 1000
	ctx := zktest.Ctx(b)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	root := zktest.Root(b)
	w := zktest.Dial(b)
	data := []byte("0123456789abcdef")
	paths := make(chan string)
	var wg sync.WaitGroup
	var failed error
	var once sync.Once
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range paths {
				if err := zktest.CreateAll(ctx, w, p, data); err != nil {
					once.Do(func() { failed = err })
				}
			}
		}()
	}
	for i := range parents {
		if err := zktest.CreateAll(ctx, w, fmt.Sprintf("%s/p%03d", root, i), nil); err != nil {
			b.Fatal(err)
		}
		for j := range children {
			paths <- fmt.Sprintf("%s/p%03d/c%04d", root, i, j)
		}
	}
	close(paths)
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c, err := New(ctx, zktest.Dial(b), root)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if n := c.Len(); n != 1+parents+parents*children {
		b.Fatalf("cached %d nodes", n)
	}
	perNode := float64(after.HeapAlloc-before.HeapAlloc) / float64(c.Len())

	events := c.Listen(ctx)
	for ev := range events {
		if ev.Type == EventInitialized {
			break
		}
	}
	target := root + "/p042/c0042"
	var wait time.Duration
	i := 0
	for b.Loop() {
		i++
		if _, err := w.Set(ctx, target, fmt.Appendf(nil, "%d", i), client.AnyVersion); err != nil {
			b.Fatal(err)
		}
		replied := time.Now()
		for ev := range events {
			if ev.Type == EventChanged && ev.Node.Path == target {
				break
			}
		}
		wait += time.Since(replied)
	}
	b.ReportMetric(float64(wait.Microseconds())/float64(i), "event-µs")
	b.ReportMetric(perNode, "bytes/node")
}
