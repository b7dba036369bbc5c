package contend

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
	"github.com/zabkit/zabkit/wire"
)

// createOf returns the path a create request's body names, or "".
func createOf(op int32, body []byte) string {
	switch wire.Op(op) {
	case wire.OpCreate, wire.OpCreate2, wire.OpCreateContainer, wire.OpCreateTTL:
	default:
		return ""
	}
	if len(body) < 4 {
		return ""
	}
	if n := int(binary.BigEndian.Uint32(body)); 4+n <= len(body) {
		return string(body[4 : 4+n])
	}
	return ""
}

var errNotHeld = errors.New("test: not held")

// TestJoinSurvivesDirReaping: the server may reap an empty container
// between its creation and its child's (as ZooKeeper does every
// containerCheckInterval). Here the top of a contender's directory is
// deleted by another session right after the contender created it and
// before it creates the next level; joining must make the directory again
// and the contender hold, not fail with NoNode.
func TestJoinSurvivesDirReaping(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	top, dir := root+"-top", root+"-top/a/b"
	other := zktest.Dial(t)
	// c's link deletes the top container just before c's create of the
	// next level reaches the server, once.
	link := ensembletest.Link(t, zktest.Servers(t))
	var (
		once   sync.Once
		reaped atomic.Bool // set on the bridge's goroutine
	)
	link.BeforeRequest(func(op int32, body []byte) {
		if createOf(op, body) != top+"/a" {
			return
		}
		once.Do(func() {
			reaped.Store(true)
			if err := other.Delete(ctx, top, -1); err != nil {
				t.Errorf("deleting %s before its child is created: %v", top, err)
			}
		})
	})
	c := zktest.DialTo(t, link.Servers())
	t.Cleanup(func() { _ = zktest.DeleteAll(context.Background(), other, top) })
	h := &Contender{Conn: c, Queue: Queue{Dir: dir, Name: "lock-", Rule: First(1)}, Kind: "test", ErrNotHeld: errNotHeld}
	if err := h.Acquire(ctx, nil, false); err != nil {
		t.Fatalf("Acquire in %s after its top was reaped: %v", dir, err)
	}
	if !reaped.Load() {
		t.Fatalf("the test's reaping of %s never ran", top)
	}
	if !strings.HasPrefix(h.Key(), dir+"/_c_") || h.Token() == 0 {
		t.Fatalf("holding %q token %d", h.Key(), h.Token())
	}
	// other may be connected to a server that has not applied c's creates
	// yet: sync it first (ZooKeeper gives no cross-session read-your-writes).
	if err := other.Sync(ctx, dir); err != nil {
		t.Fatalf("sync %s: %v", dir, err)
	}
	ok, st, err := other.Exists(ctx, dir)
	if err != nil || !ok || st.EphemeralOwner != 0 {
		t.Fatalf("%s exists=%v %+v %v", dir, ok, st, err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := context.Cause(h.Context()); !errors.Is(err, errNotHeld) || h.Held() || h.Key() != "" {
		t.Fatalf("after Release: held %v %q, cause %v", h.Held(), h.Key(), err)
	}
}

var errLost = errors.New("test: lost")

// TestSessionEndEndsWaitingAndHolding: on a Conn that ends with its
// session (renewal off), a contender waiting on it returns ErrSessionEnded
// (its node gone with the session), and a holding on it is over (Context's
// cause wraps ErrLost); Release then succeeds. (With
// renewal, the lock tests check that a waiter queues again.)
func TestSessionEndEndsWaitingAndHolding(t *testing.T) {
	ctx := zktest.Ctx(t)
	dir := zktest.Root(t)
	q := Queue{Dir: dir, Name: "lock-", Rule: First(1)}
	ca, cb := zktest.Dial(t, client.WithSessionRenewal(false)), zktest.Dial(t, client.WithSessionRenewal(false))
	a := &Contender{Conn: ca, Queue: q, Kind: "test", ErrNotHeld: errNotHeld, ErrLost: errLost}
	b := &Contender{Conn: cb, Queue: q, Kind: "test", ErrNotHeld: errNotHeld, ErrLost: errLost}
	if err := a.Acquire(ctx, nil, false); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- b.Acquire(ctx, nil, false) }()
	for { // until b's node is queued behind a's
		kids, _, ch, err := ca.ChildrenW(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(kids) == 2 {
			break
		}
		zktest.Wait(t, ch, 10*time.Second, "b to join the queue")
	}
	zktest.Expire(t, cb)
	if err := zktest.Wait(t, waited, 20*time.Second, "b's Acquire"); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("Acquire waiting on an expired session = %v, want ErrSessionEnded", err)
	}
	if b.Held() {
		t.Fatal("b holds after its session expired")
	}
	select {
	case <-a.Context().Done():
		t.Fatalf("a's holding ended though its session lives: %v", context.Cause(a.Context()))
	default:
	}
	zktest.Expire(t, ca)
	zktest.Wait(t, a.Context().Done(), 10*time.Second, "a's holding to end")
	if err := context.Cause(a.Context()); !errors.Is(err, errLost) {
		t.Fatalf("holding's cause after its session expired = %v, want errLost", err)
	}
	if err := a.Release(ctx); err != nil { // the node went with the session
		t.Fatalf("Release after expiry: %v", err)
	}
}
