package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
)

// The benchmarks measure requests per second and allocations per request
// through the client against the ensemble in ZABKIT_ZK_SERVERS (or, when
// it is unset, an in-process zabkit ensemble):
//
//	ZABKIT_ZK_SERVERS=127.0.0.1:2181 go test -run '^$' -bench . ./client
//
// "serial" waits for each reply before sending the next request (latency
// bound); "parallel" keeps GOMAXPROCS*8 requests in flight on the one
// connection (pipelining). Against an external ensemble the allocations
// are the client's own: per request it encodes the body, allocates the
// request record and the decoded reply (the in-process ensemble's servers
// allocate in the same process, so there they count too).

func benchConn(b *testing.B) (*client.Conn, string) {
	b.Helper()
	c := dialTest(b, testServers(b))
	root := testRoot(b, c)
	p := root + "/bench"
	if _, _, err := c.Create(context.Background(), p, make([]byte, 128), client.ModePersistent, nil); err != nil {
		b.Fatal(err)
	}
	return c, p
}

func reportRate(b *testing.B, start time.Time) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

func BenchmarkGetData(b *testing.B) {
	c, p := benchConn(b)
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		start := time.Now()
		for range b.N {
			if _, _, err := c.Get(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, start)
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(8)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := c.Get(ctx, p); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b, start)
	})
}

func BenchmarkSetData(b *testing.B) {
	c, p := benchConn(b)
	ctx := context.Background()
	data := make([]byte, 128)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		start := time.Now()
		for range b.N {
			if _, err := c.Set(ctx, p, data, client.AnyVersion); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, start)
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(8)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Set(ctx, p, data, client.AnyVersion); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b, start)
	})
}
