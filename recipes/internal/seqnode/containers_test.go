package seqnode

import (
	"context"
	"encoding/binary"
	"net"
	"sync"
	"testing"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
	"github.com/zabkit/zabkit/wire"
)

// beforeCreate is a dialer whose connections run hook, once, just before
// they send a create request for path: a deterministic window between two
// of the client's requests.
type beforeCreate struct {
	path string
	hook func()
	once sync.Once
}

func (b *beforeCreate) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &beforeCreateConn{Conn: nc, b: b}, nil
}

type beforeCreateConn struct {
	net.Conn
	b      *beforeCreate
	buf    []byte
	frames int
}

func (c *beforeCreateConn) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	for len(c.buf) >= 4 {
		l := int(binary.BigEndian.Uint32(c.buf))
		if len(c.buf) < 4+l {
			break
		}
		f := c.buf[4 : 4+l]
		c.buf = c.buf[4+l:]
		c.frames++
		if c.frames == 1 || len(f) < 12 {
			continue // the handshake
		}
		switch wire.Op(binary.BigEndian.Uint32(f[4:8])) {
		case wire.OpCreate, wire.OpCreate2, wire.OpCreateContainer, wire.OpCreateTTL:
		default:
			continue
		}
		if n := int(binary.BigEndian.Uint32(f[8:12])); 12+n <= len(f) && string(f[12:12+n]) == c.b.path {
			c.b.once.Do(c.b.hook)
		}
	}
	return c.Conn.Write(p)
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
	gate := &beforeCreate{path: top + "/a", hook: func() {
		if err := other.Delete(ctx, top, -1); err != nil {
			t.Errorf("deleting %s before its child is created: %v", top, err)
		}
	}}
	c := zktest.Dial(t, client.WithDialer(gate.Dial))
	t.Cleanup(func() { _ = zktest.DeleteAll(context.Background(), other, top) })
	if err := EnsureContainers(ctx, c, dir); err != nil {
		t.Fatalf("EnsureContainers(%s) after its top was reaped: %v", dir, err)
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
