package server

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zabkit/zabkit/core/storage"
	"github.com/zabkit/zabkit/core/zab"
	"github.com/zabkit/zabkit/wire"
)

// eventLog is an ordered record of what the servers of a test did, so
// that a test can assert that one thing happened before another.
type eventLog struct {
	mu  sync.Mutex
	evs []string
}

func (l *eventLog) add(format string, a ...any) {
	l.mu.Lock()
	l.evs = append(l.evs, fmt.Sprintf(format, a...))
	l.mu.Unlock()
}

// index returns the position of the first event equal to ev, or -1.
func (l *eventLog) index(ev string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, e := range l.evs {
		if e == ev {
			return i
		}
	}
	return -1
}

func (l *eventLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.evs, "\n")
}

// syncGateStore wraps a server's store; its Sync, once armed, blocks
// until the test releases it. Each Sync is recorded ("synced <id> <zxid>", the last
// zxid appended before it) once it returns.
type syncGateStore struct {
	storage.Storage
	id       uint64
	ev       *eventLog
	appended atomic.Int64
	blocked  chan int64 // receives the zxid a blocked Sync covers

	mu      sync.Mutex
	armed   bool
	release chan struct{}
}

func newSyncGateStore(id uint64, ev *eventLog, inner storage.Storage) *syncGateStore {
	return &syncGateStore{Storage: inner, id: id, ev: ev, blocked: make(chan int64, 64)}
}

func (g *syncGateStore) Append(es ...storage.Entry) error {
	if err := g.Storage.Append(es...); err != nil {
		return err
	}
	if len(es) > 0 {
		g.appended.Store(es[len(es)-1].Zxid)
	}
	return nil
}

func (g *syncGateStore) Sync(ctx context.Context) error {
	upto := g.appended.Load()
	g.mu.Lock()
	armed, rel := g.armed, g.release
	g.mu.Unlock()
	if armed {
		g.blocked <- upto
		<-rel
	}
	err := g.Storage.Sync(ctx)
	g.ev.add("synced %d %#x", g.id, upto)
	return err
}

// arm makes every later Sync block until open.
func (g *syncGateStore) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.armed {
		g.armed, g.release = true, make(chan struct{})
	}
}

// open releases the blocked Syncs and disarms the gate.
func (g *syncGateStore) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.armed {
		g.armed = false
		close(g.release)
	}
}

// waitBlocked returns the zxid covered by the next blocked Sync.
func (g *syncGateStore) waitBlocked(t *testing.T) int64 {
	t.Helper()
	select {
	case z := <-g.blocked:
		return z
	case <-time.After(30 * time.Second):
		t.Fatalf("server %d: no Sync blocked", g.id)
		return 0
	}
}

// spyNetwork records every message a server sends ("send <from> <TYPE>
// <to> <zxid>") before passing it to the real network.
type spyNetwork struct {
	inner Network
	ev    *eventLog
}

func (n *spyNetwork) Attach(id uint64) (Transport, error) {
	t, err := n.inner.Attach(id)
	if err != nil {
		return nil, err
	}
	return &spyTransport{Transport: t, id: id, ev: n.ev}, nil
}

type spyTransport struct {
	Transport
	id uint64
	ev *eventLog
}

func (t *spyTransport) Send(m zab.Message) {
	t.ev.add("send %d %s %d %#x", t.id, m.Type, m.To, int64(m.Zxid))
	t.Transport.Send(m)
}

// TestAcksLeaveOnlyAfterFsync: with every server's Sync blocked, the
// leader still sends its proposal (before its own fsync) and the
// followers log it, but no follower acknowledges it; once the leader's
// Sync is released the write still cannot commit while both followers'
// are blocked, and a blocked follower keeps serving pings, reads,
// four-letter words and driver commands (message handling is not stalled
// by the fsync). Releasing one follower commits the write (leader + that
// follower are a quorum); each ACK leaves after its sender's Sync.
func TestAcksLeaveOnlyAfterFsync(t *testing.T) {
	ev := &eventLog{}
	gates := map[uint64]*syncGateStore{}
	tc := newCluster(t, 3, 0, false, func(c *Config) {
		g := newSyncGateStore(c.ID, ev, c.Store)
		gates[c.ID] = g
		c.Store = g
		c.Network = &spyNetwork{inner: c.Network, ev: ev}
		// Blocked followers send nothing (their PINGRESPs wait behind the
		// fsync, as ZooKeeper's ACKs do): keep the leader from dropping
		// them while the test holds their Syncs.
		c.SyncLimit = 600
	})
	t.Cleanup(func() { // before the cluster's cleanup: never leave a Sync blocked
		for _, g := range gates {
			g.open()
		}
	})
	li := tc.leader()
	leader := tc.servers[li]
	lid := leader.ID()
	var fids []uint64
	for _, s := range tc.servers {
		if s.ID() != lid {
			fids = append(fids, s.ID())
		}
	}
	f1, f2 := fids[0], fids[1]
	writer, _ := newSession(t, leader.ClientAddr())
	reader, _ := newSession(t, tc.servers[f1-1].ClientAddr())
	tc.waitConverged() // both sessions are synced everywhere

	for _, g := range gates {
		g.arm()
	}
	open := []wire.ACL{{Perms: wire.PermAll, ID: wire.ID{Scheme: "world", ID: "anyone"}}}
	writer.send(&wire.RequestHeader{Xid: 1, Op: wire.OpCreate}, &wire.CreateRequest{Path: "/durable", Data: []byte("v"), ACL: open})

	// The leader's Sync of the proposal blocks, yet both followers got the
	// proposal and block in their own Sync of it.
	z := gates[lid].waitBlocked(t)
	for _, id := range fids {
		if got := gates[id].waitBlocked(t); got != z {
			t.Fatalf("follower %d blocked syncing %#x, want the proposal %#x", id, got, z)
		}
		if ev.index(fmt.Sprintf("send %d PROPOSAL %d %#x", lid, id, z)) < 0 {
			t.Fatalf("no PROPOSAL %#x sent to %d:\n%s", z, id, ev)
		}
	}
	if ev.index(fmt.Sprintf("synced %d %#x", lid, z)) >= 0 {
		t.Fatal("the leader's Sync returned while blocked")
	}

	// The leader's fsync completes; the followers' do not.
	gates[lid].open()
	waitFor(t, 30*time.Second, "the leader's Sync of the proposal", func() bool {
		return ev.index(fmt.Sprintf("synced %d %#x", lid, z)) >= 0
	})

	// The blocked follower f1 keeps serving: a ping, a read and a
	// four-letter word on its client port, a command on its driver.
	reader.send(&wire.RequestHeader{Xid: wire.XidPing, Op: wire.OpPing})
	if h, _, err := reader.reply(wire.XidPing); err != nil || h.Err != wire.CodeOK {
		t.Fatalf("ping on the blocked follower: %v %v", h.Err, err)
	}
	reader.send(&wire.RequestHeader{Xid: 2, Op: wire.OpExists}, &wire.ExistsRequest{Path: "/"})
	if h, _, err := reader.reply(2); err != nil || h.Err != wire.CodeOK {
		t.Fatalf("read on the blocked follower: %v %v", h.Err, err)
	}
	if got := fourLetter(t, tc.servers[f1-1].ClientAddr(), "ruok"); !strings.Contains(got, "imok") {
		t.Fatalf("ruok on the blocked follower: %q", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ran := make(chan struct{})
	if err := tc.servers[f1-1].do(ctx, func() { close(ran) }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
	case <-ctx.Done():
		t.Fatal("the blocked follower's driver ran no command")
	}

	// No follower acknowledged what it has not synced, so nothing
	// committed.
	for _, id := range fids {
		if i := ev.index(fmt.Sprintf("send %d ACK %d %#x", id, lid, z)); i >= 0 {
			t.Fatalf("follower %d sent ACK %#x with its Sync blocked:\n%s", id, z, ev)
		}
	}
	if i := ev.index(fmt.Sprintf("send %d COMMIT %d %#x", lid, f1, z)); i >= 0 {
		t.Fatalf("the leader committed %#x without a follower's ACK", z)
	}
	if _, applied := leader.Digest(); applied >= z {
		t.Fatalf("the leader applied %#x without a quorum", z)
	}

	// One follower's fsync completes: leader + f1 are a quorum.
	gates[f1].open()
	if h, _, err := writer.reply(1); err != nil || h.Err != wire.CodeOK || h.Zxid != z {
		t.Fatalf("create after one follower synced: %v zxid %#x, %v; want OK at %#x", h.Err, h.Zxid, err, z)
	}
	synced := ev.index(fmt.Sprintf("synced %d %#x", f1, z))
	ack := ev.index(fmt.Sprintf("send %d ACK %d %#x", f1, lid, z))
	if synced < 0 || ack < synced {
		t.Fatalf("follower %d: ACK at event %d, its Sync at %d; want the ACK after the Sync:\n%s", f1, ack, synced, ev)
	}
	if i := ev.index(fmt.Sprintf("send %d ACK %d %#x", f2, lid, z)); i >= 0 {
		t.Fatalf("follower %d sent ACK %#x with its Sync blocked", f2, z)
	}

	gates[f2].open()
	tc.waitConverged()
	synced = ev.index(fmt.Sprintf("synced %d %#x", f2, z))
	ack = ev.index(fmt.Sprintf("send %d ACK %d %#x", f2, lid, z))
	if synced < 0 || ack < synced {
		t.Fatalf("follower %d: ACK at event %d, its Sync at %d; want the ACK after the Sync:\n%s", f2, ack, synced, ev)
	}
}
