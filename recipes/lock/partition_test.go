package lock

import (
	"errors"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// Fault: the holder's server is partitioned from the quorum (in-process
// ensemble only), and the holder can reach no other server. Expectation:
// Lost closes (the holder stops acting as owner); the waiter on the
// majority gets the lock only through the holder's node going, that is
// once the holder's session expired on the servers, with a greater
// fencing token; after healing, the cut-off client learns its session
// expired and its Unlock reports success (the node is gone).
func TestFaultMutexHolderPartitioned(t *testing.T) {
	e := zktest.InProcess(t)
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	f := zktest.Follower(t)
	ca := zktest.DialOnly(t, f)
	a := NewMutex(ca, dir)
	if err := a.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	tokA, keyA := a.Token(), a.Key()
	cb := zktest.Dial(t)
	b := NewMutex(cb, dir)
	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx) }()
	waitChildren(t, cb, dir, 2)

	if err := e.Partition([]int{f}, zktest.Others(t, f)); err != nil {
		t.Fatal(err)
	}
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
	if err := e.Heal(); err != nil {
		t.Fatal(err)
	}
	zktest.Wait(t, ca.Done(), 30*time.Second, "the cut-off client to learn its session ended")
	if !errors.Is(ca.Err(), client.ErrSessionExpired) {
		t.Fatalf("cut-off client's session ended with %v, want ErrSessionExpired", ca.Err())
	}
	if err := a.Unlock(ctx); err != nil {
		t.Fatalf("Unlock of the expired holder: %v", err)
	}
	if err := b.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}
