package zab

import (
	"testing"
)

// benchCluster is three voters wired by in-memory FIFO queues, with
// instant disks and no checks: the cost of the protocol itself.
type benchCluster struct {
	nodes   []*Node
	queue   []Message
	applied int
}

func newBenchCluster(b *testing.B) *benchCluster {
	c := &benchCluster{}
	for id := uint64(1); id <= 3; id++ {
		cfg := DefaultConfig(id)
		cfg.Voters = []uint64{1, 2, 3}
		n, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		c.nodes = append(c.nodes, n)
	}
	for i := 0; i < 100 && c.leader() == nil; i++ {
		for _, n := range c.nodes {
			n.Tick()
		}
		c.settle()
	}
	if c.leader() == nil {
		b.Fatal("no leader")
	}
	return c
}

func (c *benchCluster) leader() *Node {
	for _, n := range c.nodes {
		if st := n.Status(); st.State == StateLeading && st.Established {
			return n
		}
	}
	return nil
}

// settle processes Readys and delivers messages until nothing moves.
func (c *benchCluster) settle() {
	for {
		moved := false
		for _, n := range c.nodes {
			if n.HasReady() {
				rd, _ := n.Ready()
				c.queue = append(c.queue, rd.Messages...)
				c.applied += len(rd.CommittedEntries)
				n.Advance(rd)
				moved = true
			}
		}
		q := c.queue
		c.queue = c.queue[len(c.queue):]
		for _, m := range q {
			_ = c.nodes[m.To-1].Step(m)
			moved = true
		}
		if !moved {
			return
		}
	}
}

// BenchmarkPropose3Voters measures proposals committed (and applied on all
// three voters) per second and allocations per proposal, in batches of 64.
func BenchmarkPropose3Voters(b *testing.B) {
	c := newBenchCluster(b)
	ld := c.leader()
	data := make([]byte, 128)
	b.ReportAllocs()
	b.ResetTimer()
	start := c.applied
	for i := 0; i < b.N; i++ {
		if _, err := ld.Propose(data); err != nil {
			b.Fatal(err)
		}
		if i%64 == 63 {
			c.settle()
		}
	}
	c.settle()
	b.StopTimer()
	if got := c.applied - start; got != 3*b.N {
		b.Fatalf("applied %d, want %d", got, 3*b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}
