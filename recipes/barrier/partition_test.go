package barrier

import (
	"context"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// Fault: the last participant of a double barrier is cut off from the
// majority (every zktest.Partition kind) before it enters. Expectation: no
// one passes Enter while it is cut off (its node cannot be created, so
// the majority still counts two participants); once healed, within its
// session timeout, it joins with the same session and all three pass
// Enter, then Leave.
func TestFaultDoubleBarrierPartitionedParticipant(t *testing.T) {
	zktest.Partitions(t, testDoubleBarrierPartitionedParticipant)
}

func testDoubleBarrierPartitionedParticipant(t *testing.T, p *zktest.Partition) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	const n = 3
	entered := make(chan int, n)
	var bars []*DoubleBarrier
	for i := range n - 1 {
		b := NewDoubleBarrier(zktest.Dial(t), dir, n)
		bars = append(bars, b)
		go func() {
			if err := b.Enter(ctx); err != nil {
				t.Errorf("participant %d: Enter: %v", i, err)
			}
			entered <- i
		}()
	}
	watcher := zktest.Dial(t)
	waitParticipants(t, watcher, dir, n-1)

	// The third participant's session outlives the partition.
	cc := p.Dial(t, client.WithSessionTimeout(zktest.SurvivingSessionTimeout))
	states := cc.States(ctx)
	p.Cut(t)
	for s := range states {
		if !s.Connected() {
			break // the client noticed the cut
		}
	}
	last := NewDoubleBarrier(cc, dir, n)
	bars = append(bars, last)
	go func() {
		if err := last.Enter(ctx); err != nil {
			t.Errorf("cut-off participant: Enter: %v", err)
		}
		entered <- n - 1
	}()
	// watcher may have been on the server cut off: retry its read elsewhere.
	kids, err := client.RetryValue(ctx, func(ctx context.Context) ([]string, error) {
		kids, _, err := watcher.Children(ctx, dir)
		return kids, err
	})
	if err != nil || len(kids) != n-1 {
		t.Fatalf("participants on the majority while cut off: %v %v, want %d", kids, err, n-1)
	}
	select {
	case i := <-entered:
		t.Fatalf("participant %d passed Enter while the third was cut off", i)
	default:
	}

	p.Heal(t)
	for range n {
		zktest.Wait(t, entered, 30*time.Second, "every participant to pass Enter after healing")
	}
	if cc.SessionID() == 0 || cc.Err() != nil {
		t.Fatalf("cut-off participant's session did not survive: %v", cc.Err())
	}
	left := make(chan error, n)
	for _, b := range bars {
		go func() { left <- b.Leave(ctx) }()
	}
	for range n {
		if err := zktest.Wait(t, left, 30*time.Second, "Leave"); err != nil {
			t.Fatal(err)
		}
	}
}
