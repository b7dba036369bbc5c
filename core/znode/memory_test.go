package znode

import (
	"runtime"
	"testing"
)

// maxBytesPerZnode is the live heap an empty znode may take: the
// foundation issue's bound (Apache ZooKeeper 3.8 holds about 325 bytes of
// Java heap per empty znode). BenchmarkMemoryPerZnode reports the figure
// at 1M znodes; this test keeps it from regressing unnoticed.
const maxBytesPerZnode = 250

// TestMemoryPerZnode builds the benchmark's tree shape at a tenth of its
// size (100 parents of 1,000 children, 13-character names) and fails if
// the live heap per znode exceeds maxBytesPerZnode.
func TestMemoryPerZnode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100,000-znode tree")
	}
	before := heapInUse()
	tr := buildTreeOf(t, 100, 1000)
	after := heapInUse()
	per := float64(after-before) / float64(tr.NodeCount())
	t.Logf("%.1f bytes of live heap per znode over %d znodes", per, tr.NodeCount())
	if per > maxBytesPerZnode {
		t.Fatalf("%.1f bytes per znode, want at most %d", per, maxBytesPerZnode)
	}
	runtime.KeepAlive(tr)
}
