package znode

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/wire"
)

// Benchmarks at ZooKeeper scale: 1,000,000 empty znodes with 13-character
// names under 1,000 parents (also 13-character names).
const (
	benchParents  = 1000
	benchChildren = 1000
)

func benchParent(i int) string   { return fmt.Sprintf("/p%012d", i) }
func benchChild(i, j int) string { return fmt.Sprintf("%s/n%012d", benchParent(i), j) }

// buildBenchTree applies the creates of the benchmark tree directly (as a
// follower would) and returns it.
func buildBenchTree(tb testing.TB) *Tree { return buildTreeOf(tb, benchParents, benchChildren) }

// buildTreeOf builds a tree of parents nodes with children each, shaped
// as the benchmark tree.
func buildTreeOf(tb testing.TB, parents, children int) *Tree {
	tr := New(Config{})
	zxid := int64(0)
	apply := func(path string) {
		zxid++
		_, err := tr.Apply(Txn{
			Header: wire.TxnHeader{ClientID: 1, Zxid: zxid, Time: 1_700_000_000_000 + zxid, Type: wire.OpCreate},
			Record: &wire.CreateTxn{Path: path, ACL: OpenACLUnsafe, ParentCVersion: -1},
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	for i := 0; i < parents; i++ {
		apply(benchParent(i))
		for j := 0; j < children; j++ {
			apply(benchChild(i, j))
		}
	}
	return tr
}

var (
	benchOnce sync.Once
	benchTree *Tree
)

func sharedBenchTree(b *testing.B) *Tree {
	benchOnce.Do(func() { benchTree = buildBenchTree(b) })
	return benchTree
}

func heapInUse() uint64 {
	var ms runtime.MemStats
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkMemoryPerZnode reports the live heap per empty znode of a
// 1,001,004-node tree (the 1,000 parents, their 1,000,000 children, and the
// four nodes of an empty tree). Requirement: at most 250 bytes.
func BenchmarkMemoryPerZnode(b *testing.B) {
	for i := 0; i < b.N; i++ {
		before := heapInUse()
		tr := buildBenchTree(b)
		after := heapInUse()
		nodes := tr.NodeCount()
		b.ReportMetric(float64(after-before)/float64(nodes), "bytes/znode")
		b.ReportMetric(float64(nodes), "znodes")
		runtime.KeepAlive(tr)
	}
}

// BenchmarkCreate measures Prep+Apply of a create into the 1M-node tree.
func BenchmarkCreate(b *testing.B) {
	tr := sharedBenchTree(b)
	zxid := tr.LastZxid()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		zxid++
		path := fmt.Sprintf("%s/c%012d", benchParent(i%benchParents), zxid)
		txn, err := tr.Prep(Request{Session: 1, Op: wire.OpCreate, Record: &wire.CreateRequest{Path: path, ACL: OpenACLUnsafe}}, zxid, zxid)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tr.Apply(txn); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetData measures a getData (with ACL check) in the 1M-node tree.
func BenchmarkGetData(b *testing.B) {
	tr := sharedBenchTree(b)
	paths := make([]string, 1024)
	for i := range paths {
		paths[i] = benchChild(i*7%benchParents, i*13%benchChildren)
	}
	auth := []wire.ID{IPAuth("127.0.0.1")}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := tr.GetData(paths[i%len(paths)], auth, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetData measures Prep+Apply of a setData in the 1M-node tree.
func BenchmarkSetData(b *testing.B) {
	tr := sharedBenchTree(b)
	paths := make([]string, 1024)
	for i := range paths {
		paths[i] = benchChild(i*7%benchParents, i*13%benchChildren)
	}
	data := []byte("0123456789abcdef")
	zxid := tr.LastZxid()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		zxid++
		txn, err := tr.Prep(Request{Session: 1, Op: wire.OpSetData, Record: &wire.SetDataRequest{Path: paths[i%len(paths)], Data: data, Version: -1}}, zxid, zxid)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tr.Apply(txn); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetChildren measures getChildren of a 1,000-child parent
// (sorted names) in the 1M-node tree.
func BenchmarkGetChildren(b *testing.B) {
	tr := sharedBenchTree(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		names, _, err := tr.Children(benchParent(i%benchParents), nil, nil)
		if err != nil || len(names) < benchChildren {
			b.Fatal(err, len(names))
		}
	}
}

// BenchmarkSnapshot measures writing and reading a snapshot of the 1M-node
// tree.
func BenchmarkSnapshot(b *testing.B) {
	tr := sharedBenchTree(b)
	var buf bytes.Buffer
	b.Run("write", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			buf.Reset()
			if err := tr.WriteSnapshot(&buf); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len())/float64(tr.NodeCount()), "bytes/znode")
	})
	b.Run("read", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := ReadSnapshot(bytes.NewReader(buf.Bytes()), tr.Config()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// timedLocker measures how long each hold of the read lock lasts.
type timedLocker struct {
	l       sync.Locker
	at      time.Time
	max     time.Duration
	total   time.Duration
	batches int
}

func (t *timedLocker) Lock() { t.l.Lock(); t.at = time.Now() }
func (t *timedLocker) Unlock() {
	d := time.Since(t.at)
	t.max = max(t.max, d)
	t.total += d
	t.batches++
	t.l.Unlock()
}

// BenchmarkSnapshotCOW measures a copy-on-write snapshot of the 1M-node
// tree: "begin" is BeginSnapshot (+ Close), the only time Apply waits for
// the whole tree; "encode" is the whole Encode to io.Discard, which holds
// the read lock only per batch of nodes (max-hold-µs is the longest
// batch, when Apply may wait).
func BenchmarkSnapshotCOW(b *testing.B) {
	tr := sharedBenchTree(b)
	var mu sync.RWMutex
	b.Run("begin", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			mu.Lock()
			s := tr.BeginSnapshot()
			s.Close()
			mu.Unlock()
		}
	})
	b.Run("encode", func(b *testing.B) {
		var worst, total time.Duration
		batches := 0
		for i := 0; i < b.N; i++ {
			mu.Lock()
			s := tr.BeginSnapshot()
			mu.Unlock()
			tl := &timedLocker{l: mu.RLocker()}
			if err := s.Encode(context.Background(), io.Discard, tl); err != nil {
				b.Fatal(err)
			}
			mu.Lock()
			s.Close()
			mu.Unlock()
			worst, total, batches = max(worst, tl.max), total+tl.total, batches+tl.batches
		}
		b.ReportMetric(float64(worst.Microseconds()), "max-hold-µs")
		b.ReportMetric(float64(total.Microseconds())/float64(batches), "avg-hold-µs")
		b.ReportMetric(float64(batches)/float64(b.N), "batches")
	})
	// setData-open is BenchmarkSetData while a snapshot is open: every
	// first change of a node since the freeze saves its old fields.
	b.Run("setData-open", func(b *testing.B) {
		mu.Lock()
		s := tr.BeginSnapshot()
		mu.Unlock()
		data := []byte("0123456789abcdef")
		zxid := tr.LastZxid()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			zxid++
			path := benchChild(i%benchParents, (i/benchParents)%benchChildren)
			txn, err := tr.Prep(Request{Session: 1, Op: wire.OpSetData, Record: &wire.SetDataRequest{Path: path, Data: data, Version: -1}}, zxid, zxid)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tr.Apply(txn); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(len(s.pre)), "pre-images")
		mu.Lock()
		s.Close()
		mu.Unlock()
	})
}
