package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/core/storage"
	"github.com/zabkit/zabkit/core/zab"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/wire"
)

// heldSyncStore wraps a server's store: it knows whether it holds
// appended entries no Sync has covered yet, and its Sync, while held,
// blocks until the test hands it a token (or frees every Sync, or ctx
// ends).
type heldSyncStore struct {
	storage.Storage
	appended, synced atomic.Int64 // last zxid appended; last zxid a Sync covered
	hold             atomic.Bool
	blocked          chan int64    // receives the zxid a held Sync covers
	tokens           chan struct{} // one per held Sync let through
	free             chan struct{} // closed: no Sync is held any more
	freeOnce         sync.Once
}

func newHeldSyncStore(inner storage.Storage) *heldSyncStore {
	return &heldSyncStore{Storage: inner, blocked: make(chan int64, 64), tokens: make(chan struct{}),
		free: make(chan struct{})}
}

func (h *heldSyncStore) Append(es ...storage.Entry) error {
	if err := h.Storage.Append(es...); err != nil {
		return err
	}
	if len(es) > 0 {
		h.appended.Store(es[len(es)-1].Zxid)
	}
	return nil
}

func (h *heldSyncStore) Sync(ctx context.Context) error {
	upto := h.appended.Load()
	if h.hold.Load() {
		h.blocked <- upto
		select {
		case <-h.tokens:
		case <-h.free:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := h.Storage.Sync(ctx); err != nil {
		return err
	}
	if upto > h.synced.Load() {
		h.synced.Store(upto)
	}
	return nil
}

func (h *heldSyncStore) unsynced() bool { return h.appended.Load() > h.synced.Load() }

func (h *heldSyncStore) release() { h.freeOnce.Do(func() { close(h.free) }) }

func (h *heldSyncStore) waitBlocked(t *testing.T) int64 {
	t.Helper()
	select {
	case z := <-h.blocked:
		return z
	case <-time.After(30 * time.Second):
		t.Fatal("no Sync blocked")
		return 0
	}
}

// fsyncCheckNetwork records each message a server sends ("send <from>
// <TYPE> <to> <zxid> unsynced=<bool>", unsynced: its store held entries
// no Sync had covered yet) and each one its driver took from the
// transport ("recv <to> <TYPE> <from>").
type fsyncCheckNetwork struct {
	inner server.Network
	ev    *server.EventLog
	store *heldSyncStore // the attaching server's
}

func (n *fsyncCheckNetwork) Attach(id uint64) (server.Transport, error) {
	t, err := n.inner.Attach(id)
	if err != nil {
		return nil, err
	}
	ct := &fsyncCheckTransport{inner: t, id: id, ev: n.ev, store: n.store, out: make(chan server.Inbound),
		done: make(chan struct{})}
	ct.wg.Add(1)
	go ct.forward()
	return ct, nil
}

type fsyncCheckTransport struct {
	inner     server.Transport
	id        uint64
	ev        *server.EventLog
	store     *heldSyncStore
	out       chan server.Inbound
	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

func (t *fsyncCheckTransport) Send(m zab.Message) {
	t.ev.Add("send %d %s %d %#x unsynced=%v", t.id, m.Type, m.To, int64(m.Zxid), t.store.unsynced())
	t.inner.Send(m)
}

// forward hands inbound events to the driver one at a time, recording
// each once the driver has taken it.
func (t *fsyncCheckTransport) forward() {
	defer t.wg.Done()
	defer close(t.out)
	for in := range t.inner.Recv() {
		select {
		case t.out <- in:
			if !in.Down {
				t.ev.Add("recv %d %s %d", t.id, in.Msg.Type, in.From)
			}
		case <-t.done:
			return
		}
	}
}

func (t *fsyncCheckTransport) Recv() <-chan server.Inbound { return t.out }

func (t *fsyncCheckTransport) Close() error {
	t.closeOnce.Do(func() { close(t.done) })
	err := t.inner.Close()
	t.wg.Wait()
	return err
}

// TestOnlyLeaderToLearnerMessagesLeaveBeforeFsync: an established
// leader's Ready that logs a proposal and answers a LOOKING peer's
// notification sends the PROPOSAL before its fsync, but the notification
// only after it (zab's Ready.SplitMessages; the driver used to send every
// message of such a Ready early). The leader's fsync of an earlier
// proposal is held while the restarted follower's notification is stepped
// and a proposal is made, so both land in the next Ready.
func TestOnlyLeaderToLearnerMessagesLeaveBeforeFsync(t *testing.T) {
	ev := &server.EventLog{}
	var mu sync.Mutex
	stores := map[uint64]*heldSyncStore{} // each server's current store; a restart replaces it
	store := func(id uint64) *heldSyncStore {
		mu.Lock()
		defer mu.Unlock()
		return stores[id]
	}
	e := startEnsemble(t, ensemble.WithServerConfig(func(id uint64, c *server.Config) {
		st := newHeldSyncStore(c.Store)
		mu.Lock()
		stores[id] = st
		mu.Unlock()
		c.Store = st
		c.Network = &fsyncCheckNetwork{inner: c.Network, ev: ev, store: st}
		c.SyncLimit = 3000 // 30s of 10ms ticks: the held leader sends no pings meanwhile
	}))
	t.Cleanup(func() { // before the ensemble's cleanup: never leave a Sync held
		mu.Lock()
		defer mu.Unlock()
		for _, st := range stores {
			st.release()
		}
	})
	li := waitServing(t, e)
	leader := e.Server(li)
	lid := leader.ID()
	held := store(lid)
	var fs []int
	for i := range e.Size() {
		if i != li {
			fs = append(fs, i)
		}
	}
	f1, f2 := uint64(fs[0]+1), uint64(fs[1]+1)
	writer, _ := server.NewRawSession(t, leader.ClientAddr())
	_, victim := server.NewRawSession(t, leader.ClientAddr())
	waitConverged(t, e)

	// The leader's fsync of /z0 is held: no further Ready of its own.
	held.hold.Store(true)
	open := []wire.ACL{{Perms: wire.PermAll, ID: wire.ID{Scheme: "world", ID: "anyone"}}}
	writer.Send(&wire.RequestHeader{Xid: 1, Op: wire.OpCreate}, &wire.CreateRequest{Path: "/z0", ACL: open})
	z0 := held.waitBlocked(t)

	// A restarted follower asks the leader for its vote (the answer waits
	// in the leader's node), and the leader proposes a session close.
	mark := ev.Len()
	must(t, e.Kill(fs[1]))
	restart(t, e, fs[1])
	recv := fmt.Sprintf("recv %d NOTIFICATION %d", lid, f2)
	waitFor(t, 30*time.Second, "the leader to take the restarted follower's notification", func() bool {
		return ev.IndexFrom(mark, recv) >= 0
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := leader.ExpireSession(ctx, victim.SessionID); err != nil {
		t.Fatal(err)
	}

	// /z0 becomes durable; the next Ready (the close and the answer) is
	// held in its fsync.
	held.tokens <- struct{}{}
	z1 := held.waitBlocked(t)
	if z1 <= z0 {
		t.Fatalf("second held Sync covers %#x, want above %#x", z1, z0)
	}
	early := fmt.Sprintf("send %d PROPOSAL %d %#x unsynced=true", lid, f1, z1)
	if ev.Index(early) < 0 {
		t.Fatalf("the leader did not send PROPOSAL %#x before its fsync:\n%s", z1, ev)
	}
	for _, e := range strings.Split(ev.String(), "\n") {
		var from, to uint64
		var typ, zx, unsynced string
		if n, _ := fmt.Sscanf(e, "send %d %s %d %s %s", &from, &typ, &to, &zx, &unsynced); n < 5 || from != lid {
			continue
		}
		if unsynced == "unsynced=true" && typ != zab.MsgProposal.String() && typ != zab.MsgCommit.String() &&
			typ != zab.MsgPing.String() {
			t.Fatalf("the leader sent %q before the fsync of what it had logged:\n%s", e, ev)
		}
	}

	// The fsync completes: the answer leaves and the follower rejoins.
	held.release()
	waitServing(t, e)
	if ev.IndexFrom(mark, fmt.Sprintf("send %d NOTIFICATION %d ", lid, f2)) < 0 {
		t.Fatalf("the leader never answered the restarted follower:\n%s", ev)
	}
	if h, _, err := writer.Reply(1); err != nil || h.Err != wire.CodeOK || h.Zxid != z0 {
		t.Fatalf("create /z0: %v zxid %#x, %v; want OK at %#x", h.Err, h.Zxid, err, z0)
	}
}
