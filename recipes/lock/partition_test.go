package lock

import (
	"errors"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// Fault: the holder is cut off from the majority (every zktest.Partition
// kind: its only server partitioned from the quorum, or its own network
// cut). Expectation:
// Lost closes (the holder stops acting as owner); the waiter on the
// majority gets the lock only through the holder's node going, that is
// once the holder's session expired on the servers, with a greater
// fencing token; after healing, the cut-off client learns its session
// expired and its Unlock reports success (the node is gone).
func TestFaultMutexHolderPartitioned(t *testing.T) {
	zktest.Partitions(t, testMutexHolderPartitioned)
}

func testMutexHolderPartitioned(t *testing.T, p *zktest.Partition) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	ca := p.Dial(t)
	a := NewMutex(ca, dir)
	if err := a.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	tokA, keyA, sa := a.Token(), a.Key(), ca.Session()
	cb := zktest.Dial(t)
	b := NewMutex(cb, dir)
	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx) }()
	waitChildren(t, cb, dir, 2)

	p.Cut(t)
	zktest.Wait(t, a.Lost(), 20*time.Second, "Lost of the cut-off holder")
	if err := zktest.Wait(t, got, 30*time.Second, "the waiter on the majority to get the lock"); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := cb.Exists(ctx, keyA); err != nil || ok {
		t.Fatalf("cut-off holder's node %s exists=%v (%v) when the waiter got the lock", keyA, ok, err)
	}
	if b.Token() <= tokA {
		t.Fatalf("new holder's token %d not greater than the cut-off holder's %d", b.Token(), tokA)
	}
	p.Heal(t)
	zktest.Wait(t, sa.Done(), 30*time.Second, "the cut-off client to learn its session ended")
	if !errors.Is(sa.Err(), client.ErrSessionExpired) {
		t.Fatalf("cut-off client's session ended with %v, want ErrSessionExpired", sa.Err())
	}
	if err := a.Unlock(ctx); err != nil {
		t.Fatalf("Unlock of the expired holder: %v", err)
	}
	if err := b.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}
