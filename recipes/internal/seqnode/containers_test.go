package seqnode

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"

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

// TestEnsureContainersSurvivesReaping: the server may reap an empty
// container between its creation and its child's (as ZooKeeper does
// every containerCheckInterval). Here the top container is deleted by
// another session right after EnsureContainers created it and before it
// creates the next level; EnsureContainers must start over and succeed,
// not fail with NoNode.
func TestEnsureContainersSurvivesReaping(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	top, dir := root+"-top", root+"-top/a/b"
	other := zktest.Dial(t)
	// c's link deletes the top container just before c's create of the
	// next level reaches the server, once.
	link := ensembletest.Link(t, zktest.Servers(t))
	var (
		once  sync.Once
		fired atomic.Bool // set on the bridge's goroutine
	)
	link.BeforeRequest(func(op int32, body []byte) {
		if createOf(op, body) != top+"/a" {
			return
		}
		once.Do(func() {
			fired.Store(true)
			if err := other.Delete(ctx, top, -1); err != nil {
				t.Errorf("deleting %s before its child is created: %v", top, err)
			}
		})
	})
	c := zktest.DialTo(t, link.Servers())
	t.Cleanup(func() { _ = zktest.DeleteAll(context.Background(), other, top) })
	if err := EnsureContainers(ctx, c, dir); err != nil {
		t.Fatalf("EnsureContainers(%s) after its top was reaped: %v", dir, err)
	}
	if !fired.Load() {
		t.Fatalf("the fault was not injected: no create of %s went through the link", top+"/a")
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
}
