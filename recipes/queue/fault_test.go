package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// blockingHandler signals started with each item it gets, then waits for
// release or its ctx; it returns ctx's cause if ctx ended.
func blockingHandler(started chan<- string, release <-chan struct{}) Handler {
	return func(ctx context.Context, it []byte) error {
		started <- string(it)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// expireKeep ends c's session on the servers (a second connection resumes
// it and closes it, on both backends) and returns once c saw it end; c
// itself goes on if it renews sessions.
func expireKeep(t *testing.T, c *client.Conn) {
	t.Helper()
	ctx := zktest.Ctx(t)
	sess := c.Session()
	other, err := client.Dial(ctx, zktest.Servers(t), client.WithSessionTimeout(zktest.SessionTimeout),
		client.WithSession(sess.ID(), c.SessionPassword()))
	if err != nil {
		t.Fatalf("resume session: %v", err)
	}
	if err := other.Close(ctx); err != nil {
		t.Fatalf("close session: %v", err)
	}
	zktest.Wait(t, sess.Done(), 20*time.Second, "the session to end")
}

// Fault: a safe consumer's session expires while its handler runs.
// Expectation: while it lives no other consumer gets the item; then the
// handler's ctx ends with ErrLockLost, the consumer's Take returns
// ErrLockLost without removing the item, and a consumer that was already
// waiting takes the same item (its lock, not the queue, changed): nothing
// is lost.
func TestFaultConsumerExpiresWhileHandling(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	producer := New(zktest.Dial(t), root+"/q")
	if err := producer.Put(ctx, []byte("job")); err != nil {
		t.Fatal(err)
	}
	ca := zktest.Dial(t)
	a := New(ca, root+"/q", WithLockPath(root+"/locks"))
	started := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Take(ctx, blockingHandler(started, nil)) }()
	zktest.Wait(t, started, 20*time.Second, "consumer a to get the item")

	// b waits meanwhile: the only item is locked by a.
	b := New(zktest.Dial(t), root+"/q", WithLockPath(root+"/locks"))
	bGot := make(chan string, 1)
	go func() {
		if err := b.Take(ctx, func(_ context.Context, it []byte) error { bGot <- string(it); return nil }); err != nil {
			t.Errorf("b's Take: %v", err)
		}
	}()
	bctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := New(zktest.Dial(t), root+"/q", WithLockPath(root+"/locks")).Take(bctx, blockingHandler(started, nil)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a third consumer while a holds the item: %v, want nothing to take", err)
	}

	zktest.Expire(t, ca)
	if err := zktest.Wait(t, done, 20*time.Second, "a's Take to end"); !errors.Is(err, ErrLockLost) {
		t.Fatalf("a's Take: %v, want ErrLockLost", err)
	}
	if got := zktest.Wait(t, bGot, 20*time.Second, "the waiting consumer to get a's item"); got != "job" {
		t.Fatalf("b took %q, want the item a did not finish", got)
	}
	c := zktest.Dial(t)
	if kids := children(t, c, root+"/q"); len(kids) != 0 {
		t.Fatalf("items left: %v", kids)
	}
}

// Fault: sessions expire on a Conn that renews them, once while its Take
// waits on an empty queue and once while its handler runs. Expectation:
// the waiting Take carries on on the new session and gets the item put
// afterwards; the interrupted one returns ErrLockLost, and the next Take
// on the same Queue gets the same item again.
func TestFaultTakeCarriesOnAcrossExpiryWithRenewal(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t, client.WithSessionRenewal(true))
	q := New(c, root+"/q", WithLockPath(root+"/locks"))
	producer := New(zktest.Dial(t), root+"/q")

	// Expiry while waiting.
	started := make(chan string, 1)
	done := make(chan error, 1)
	release := make(chan struct{})
	close(release)
	go func() { done <- q.Take(ctx, blockingHandler(started, release)) }()
	first := c.Session()
	expireKeep(t, c)
	if err := producer.Put(ctx, []byte("after-expiry")); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-started:
		if got != "after-expiry" {
			t.Fatalf("got %q", got)
		}
	case err := <-done:
		t.Fatalf("Take across the expiry: %v", err)
	case <-ctx.Done():
		t.Fatal("Take did not get the item on the new session")
	}
	if err := zktest.Wait(t, done, 20*time.Second, "Take"); err != nil {
		t.Fatal(err)
	}
	if s := c.Session(); s.Generation() <= first.Generation() {
		t.Fatalf("session generation %d, want a new session after %d", s.Generation(), first.Generation())
	}

	// Expiry while handling.
	if err := producer.Put(ctx, []byte("interrupted")); err != nil {
		t.Fatal(err)
	}
	go func() { done <- q.Take(ctx, blockingHandler(started, nil)) }()
	zktest.Wait(t, started, 20*time.Second, "Take to get the item")
	expireKeep(t, c)
	if err := zktest.Wait(t, done, 20*time.Second, "Take to end"); !errors.Is(err, ErrLockLost) {
		t.Fatalf("Take: %v, want ErrLockLost", err)
	}
	if got := collect(t, 1, q.Take); len(got) != 1 || got[0] != "interrupted" {
		t.Fatalf("next Take got %q, want the interrupted item again", got)
	}
}

// Fault: a safe consumer's own server is killed while its handler runs
// (the in-process ensemble, or Apache ZooKeeper with ZABKIT_ZK_KILL=1).
// Expectation: the session survives on another server, its lock keeps
// the item from a second consumer meanwhile, and the first consumer
// finishes and removes the item; no item and no lock node is left.
func TestFaultServerKilledWhileHandling(t *testing.T) {
	servers := zktest.Ensemble(t)
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	producer := New(zktest.Dial(t), root+"/q")
	if err := producer.Put(ctx, []byte("job")); err != nil {
		t.Fatal(err)
	}
	ca, victim := zktest.DialFollowers(t, servers)
	a := New(ca, root+"/q", WithLockPath(root+"/locks"))
	started := make(chan string, 2)
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- a.Take(ctx, blockingHandler(started, release)) }()
	zktest.Wait(t, started, 20*time.Second, "the consumer to get the item")

	states := ca.States(ctx)
	<-states
	victim.Kill(t)
	defer victim.Restart(t)
	for s := range states {
		if s.Connected() {
			break // reconnected to another server with the same session
		}
	}
	b := New(zktest.Dial(t), root+"/q", WithLockPath(root+"/locks"))
	bctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := b.Take(bctx, blockingHandler(started, release)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second consumer: %v, want nothing to take", err)
	}
	close(release)
	if err := zktest.Wait(t, done, 30*time.Second, "the consumer to finish"); err != nil {
		t.Fatalf("Take after its server was killed: %v", err)
	}
	c := zktest.Dial(t)
	if kids := children(t, c, root+"/q"); len(kids) != 0 {
		t.Fatalf("items left: %v", kids)
	}
	if kids := children(t, c, root+"/locks"); len(kids) != 0 {
		t.Fatalf("lock nodes left: %v", kids)
	}
}

// Fault: a safe consumer is cut off the ensemble (every zktest.Partition
// kind) while its handler runs, and healed within its session timeout.
// Expectation: while it is cut off, its lock keeps the item from another
// consumer; after healing it removes the item; nothing is left.
func TestFaultConsumerPartitionedWhileHandling(t *testing.T) {
	zktest.Partitions(t, testConsumerPartitionedWhileHandling)
}

func testConsumerPartitionedWhileHandling(t *testing.T, p *zktest.Partition) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	producer := New(zktest.Dial(t), root+"/q")
	if err := producer.Put(ctx, []byte("job")); err != nil {
		t.Fatal(err)
	}
	cc := p.Dial(t, client.WithSessionTimeout(zktest.SurvivingSessionTimeout))
	a := New(cc, root+"/q", WithLockPath(root+"/locks"))
	started := make(chan string, 2)
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- a.Take(ctx, blockingHandler(started, release)) }()
	zktest.Wait(t, started, 20*time.Second, "the consumer to get the item")

	states := cc.States(ctx)
	p.Cut(t)
	for s := range states {
		if !s.Connected() {
			break // the client noticed the cut
		}
	}
	b := New(zktest.Dial(t), root+"/q", WithLockPath(root+"/locks"))
	bctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := b.Take(bctx, blockingHandler(started, release)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second consumer while the first is cut off: %v, want nothing to take", err)
	}
	close(release)
	p.Heal(t)
	if err := zktest.Wait(t, done, 30*time.Second, "the consumer to finish after healing"); err != nil {
		t.Fatalf("Take: %v", err)
	}
	c := zktest.Dial(t)
	if kids := children(t, c, root+"/q"); len(kids) != 0 {
		t.Fatalf("items left: %v", kids)
	}
	if kids := children(t, c, root+"/locks"); len(kids) != 0 {
		t.Fatalf("lock nodes left: %v", kids)
	}
}

// Fault: a SimpleQueue's session expires while Take waits, on a Conn that
// renews sessions. Expectation: Take carries on on the new session and
// returns the item offered afterwards.
func TestFaultSimpleTakeCarriesOnAcrossExpiryWithRenewal(t *testing.T) {
	ctx := zktest.Ctx(t)
	path := zktest.Root(t) + "/q"
	c := zktest.Dial(t, client.WithSessionRenewal(true))
	got := make(chan string, 1)
	go func() {
		b, err := NewSimple(c, path).Take(ctx)
		if err != nil {
			t.Errorf("Take: %v", err)
		}
		got <- string(b)
	}()
	expireKeep(t, c)
	if err := NewSimple(zktest.Dial(t), path).Offer(ctx, []byte("after-expiry")); err != nil {
		t.Fatal(err)
	}
	if s := zktest.Wait(t, got, 20*time.Second, "Take on the new session"); s != "after-expiry" {
		t.Fatalf("Take = %q", s)
	}
}

// Fault: a producer offers while cut off the ensemble (every
// zktest.Partition kind). Expectation: Offer fails with ErrUncertain
// rather than retrying blindly; after healing the queue holds the item at
// most once, and a waiting consumer on the majority gets what is there.
func TestFaultSimpleOfferWhileCutOffIsUncertain(t *testing.T) {
	zktest.Partitions(t, func(t *testing.T, p *zktest.Partition) {
		ctx := zktest.Ctx(t)
		path := zktest.Root(t) + "/q"
		cc := p.Dial(t, client.WithSessionTimeout(zktest.SurvivingSessionTimeout))
		q := NewSimple(cc, path)
		if err := q.Offer(ctx, []byte("before")); err != nil {
			t.Fatal(err)
		}
		states := cc.States(ctx)
		p.Cut(t)
		for s := range states {
			if !s.Connected() {
				break
			}
		}
		octx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if err := q.Offer(octx, []byte("cut-off")); !errors.Is(err, ErrUncertain) {
			t.Fatalf("Offer while cut off: %v, want ErrUncertain", err)
		}
		p.Heal(t)
		c := zktest.Dial(t)
		kids := children(t, c, path)
		if len(kids) < 1 || len(kids) > 2 {
			t.Fatalf("queue holds %v after healing, want the first item and at most one copy of the second", kids)
		}
		if b, err := NewSimple(c, path).Take(ctx); err != nil || string(b) != "before" {
			t.Fatalf("Take = %q, %v", b, err)
		}
	})
}

// Fault: the session expires while Takes wait, on a Conn that does not
// renew sessions. Expectation: both queues' Take return ErrSessionLost.
func TestFaultTakeWithoutRenewalEndsWithSessionLost(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t, client.WithSessionRenewal(false))
	errs := make(chan error, 2)
	go func() {
		_, err := NewSimple(c, root+"/simple").Take(ctx)
		errs <- err
	}()
	go func() {
		errs <- New(c, root+"/q", WithLockPath(root+"/locks")).Take(ctx, func(context.Context, []byte) error { return nil })
	}()
	zktest.Expire(t, c)
	for range 2 {
		if err := zktest.Wait(t, errs, 20*time.Second, "Take to end"); !errors.Is(err, ErrSessionLost) {
			t.Fatalf("Take after expiry: %v, want ErrSessionLost", err)
		}
	}
}
