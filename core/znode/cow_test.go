package znode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/wire"
)

// cowWorkload produces txns like gen, plus traffic under /big, a parent
// of up to 300 children (persistent and ephemeral, some with children of
// their own), so that a walk in small batches meets creates, deletes and
// changes of nodes it has not reached yet, has passed, or is inside.
type cowWorkload struct {
	t    *testing.T
	r    *rand.Rand
	g    *gen
	tree *Tree
	log  []Txn
	zxid int64
	now  int64
}

func newCOWWorkload(t *testing.T, r *rand.Rand) *cowWorkload {
	w := &cowWorkload{t: t, r: r, g: &gen{r: r}, tree: New(Config{ExtendedTypes: true}), now: 1_700_000_000_000}
	w.do(Request{Session: 0, Op: wire.OpCreate, Record: &wire.CreateRequest{Path: "/big", ACL: OpenACLUnsafe}})
	for i := 0; i < 200; i++ {
		w.do(Request{Session: 0, Op: wire.OpCreate, Record: &wire.CreateRequest{Path: fmt.Sprintf("/big/k%03d", i), Data: []byte{byte(i)}, ACL: OpenACLUnsafe}})
	}
	return w
}

func (w *cowWorkload) request() Request {
	if len(w.g.sessions) == 0 || w.r.IntN(3) != 0 {
		return w.g.request(w.now)
	}
	sess := w.g.sessions[w.r.IntN(len(w.g.sessions))]
	p := fmt.Sprintf("/big/k%03d", w.r.IntN(300))
	if w.r.IntN(4) == 0 {
		p += "/x"
	}
	switch w.r.IntN(4) {
	case 0, 1:
		flags := wire.ModePersistent
		if w.r.IntN(3) == 0 {
			flags = wire.ModeEphemeral
		}
		return Request{Session: sess, Op: wire.OpCreate, Record: &wire.CreateRequest{Path: p, Data: []byte(p), ACL: w.g.acl(), Flags: int32(flags)}}
	case 2:
		return Request{Session: sess, Op: wire.OpDelete, Record: &wire.DeleteRequest{Path: p, Version: -1}}
	}
	return Request{Session: sess, Op: wire.OpSetData, Record: &wire.SetDataRequest{Path: p, Data: []byte(fmt.Sprint(w.r.Int())), Version: -1}}
}

// do prepares and applies one request (error txns included) and logs it.
func (w *cowWorkload) do(req Request) {
	w.t.Helper()
	w.zxid++
	w.now += int64(w.r.IntN(50))
	txn, err := w.tree.Prep(req, w.zxid, w.now)
	if err != nil && !isCode(err) {
		w.t.Fatalf("zxid %d: prep %v: %v", w.zxid, req.Op, err)
	}
	if _, err := w.tree.Apply(txn); err != nil {
		w.t.Fatalf("zxid %d: apply: %v", w.zxid, err)
	}
	w.log = append(w.log, txn)
}

func (w *cowWorkload) step(n int) {
	for ; n > 0; n-- {
		w.do(w.request())
	}
}

// replay returns the snapshot bytes and digest of a fresh tree fed the
// first n logged txns.
func (w *cowWorkload) replay(n int) ([]byte, uint64) {
	w.t.Helper()
	ref := New(w.tree.Config())
	for _, txn := range w.log[:n] {
		if _, err := ref.Apply(txn); err != nil {
			w.t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	require.NoError(w.t, ref.WriteSnapshot(&buf))
	return buf.Bytes(), ref.Digest()
}

// hookWriter collects what Encode writes and runs hook before keeping
// each Write; Encode calls Write only between batches, with the lock
// released, which is where the hook applies txns.
type hookWriter struct {
	buf    bytes.Buffer
	writes int
	hook   func()
}

func (h *hookWriter) Write(p []byte) (int, error) {
	h.writes++
	if h.hook != nil {
		h.hook()
	}
	return h.buf.Write(p)
}

// TestSnapshotConsistentWhileApplying is the copy-on-write property:
// freeze a tree at a random point, keep applying random txns between the
// batches of the walk (batches of 1 to 8 nodes), and a second snapshot
// opened in the middle of the first walk; each written snapshot must be
// byte-identical to the one a separate tree fed only the txns before its
// freeze writes, with the same digest.
func TestSnapshotConsistentWhileApplying(t *testing.T) {
	s := seed(t)
	r := rand.New(rand.NewPCG(s, s^0x5bd1e995))
	runs := 30
	if testing.Short() {
		runs = 6
	}
	var during, preImages, added, removed int
	for run := 0; run < runs; run++ {
		w := newCOWWorkload(t, r)
		w.step(200 + r.IntN(1500))
		var mu sync.RWMutex
		snap := w.tree.BeginSnapshot()
		at := len(w.log)
		snap.chunk = 1 + r.IntN(8)
		var second *Snapshot
		var secondAt int
		hw := &hookWriter{}
		hw.hook = func() {
			mu.Lock()
			defer mu.Unlock()
			n := r.IntN(6)
			during += n
			w.step(n)
			if second == nil && r.IntN(40) == 0 {
				second, secondAt = w.tree.BeginSnapshot(), len(w.log)
				second.chunk = 1 + r.IntN(8)
			}
		}
		require.NoError(t, snap.Encode(context.Background(), hw, mu.RLocker()), "run %d", run)
		want, digest := w.replay(at)
		require.True(t, bytes.Equal(want, hw.buf.Bytes()), "run %d: snapshot frozen after %d txns differs from a replay of them (%d batches)", run, at, hw.writes)
		require.Equal(t, digest, snap.Digest(), "run %d", run)
		back, err := ReadSnapshot(bytes.NewReader(hw.buf.Bytes()), w.tree.Config())
		require.NoError(t, err)
		require.Equal(t, digest, back.Digest())
		for _, p := range snap.pre {
			preImages++
			added += len(p.added)
			removed += len(p.removed)
		}
		snap.Close()
		if second != nil {
			hw2 := &hookWriter{hook: func() { w.step(r.IntN(4)) }}
			require.NoError(t, second.Encode(context.Background(), hw2, nil))
			want, digest := w.replay(secondAt)
			require.True(t, bytes.Equal(want, hw2.buf.Bytes()), "run %d: second snapshot differs from a replay", run)
			require.Equal(t, digest, second.Digest())
			second.Close()
		}
		require.Empty(t, w.tree.snaps)
		verify(t, w.tree)
		got, _ := w.replay(len(w.log))
		var live bytes.Buffer
		require.NoError(t, w.tree.WriteSnapshot(&live))
		require.True(t, bytes.Equal(got, live.Bytes()), "run %d: live tree differs from a replay of its log", run)
	}
	t.Logf("%d runs, %d txns applied during walks, %d pre-images, %d children added and %d removed behind frozen parents",
		runs, during, preImages, added, removed)
	require.Positive(t, during)
	require.Positive(t, preImages)
	require.Positive(t, added)
	require.Positive(t, removed)
}

// TestSnapshotBigParentBatches freezes a parent of 5,000 children and
// deletes and recreates every one of them, in the middle of the walk,
// while the parent's frame is too large to sort under the lock.
func TestSnapshotBigParentBatches(t *testing.T) {
	h := newHarness(t)
	h.create("/p", 0)
	for i := 0; i < 5000; i++ {
		h.create(fmt.Sprintf("/p/c%05d", i), 0)
	}
	want := snapshotBytes(t, h.tree)
	snap := h.tree.BeginSnapshot()
	snap.chunk = 100
	hw := &hookWriter{}
	hw.hook = func() {
		if hw.writes != 3 {
			return
		}
		for i := 0; i < 5000; i++ {
			p := fmt.Sprintf("/p/c%05d", i)
			_, err := h.do(1, nil, wire.OpDelete, &wire.DeleteRequest{Path: p, Version: -1})
			require.NoError(t, err)
			if i%2 == 0 {
				h.create(p, 0)
			}
		}
	}
	require.NoError(t, snap.Encode(context.Background(), hw, nil))
	require.True(t, bytes.Equal(want, hw.buf.Bytes()))
	require.Len(t, snap.pre[h.tree.lookup("/p")].removed, 5000)
	snap.Close()
}

func snapshotBytes(t *testing.T, tr *Tree) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, tr.WriteSnapshot(&buf))
	return buf.Bytes()
}

// TestSnapshotCloseCancelsEncode: Close under the write lock while Encode
// is between batches makes Encode fail with ErrSnapshotClosed, and the
// tree stops recording pre-images.
func TestSnapshotCloseCancelsEncode(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 50; i++ {
		h.create(fmt.Sprintf("/n%02d", i), 0)
	}
	var mu sync.RWMutex
	snap := h.tree.BeginSnapshot()
	snap.chunk = 4
	hw := &hookWriter{}
	hw.hook = func() {
		if hw.writes == 2 {
			mu.Lock()
			snap.Close()
			mu.Unlock()
		}
	}
	err := snap.Encode(context.Background(), hw, mu.RLocker())
	require.True(t, errors.Is(err, ErrSnapshotClosed), "%v", err)
	require.Empty(t, h.tree.snaps)
	h.create("/after", 0)
	require.Nil(t, snap.pre)

	ctx, cancel := context.WithCancel(context.Background())
	snap = h.tree.BeginSnapshot()
	snap.chunk = 4
	err = snap.Encode(ctx, &hookWriter{hook: cancel}, nil)
	require.ErrorIs(t, err, context.Canceled)
	snap.Close()
}

// TestSnapshotConcurrentWriter runs Encode beside a goroutine that
// applies txns under the write lock, with real scheduling (run with
// -race); the result must still be the snapshot at the freeze.
func TestSnapshotConcurrentWriter(t *testing.T) {
	s := seed(t)
	r := rand.New(rand.NewPCG(s, s^0xabcdef))
	w := newCOWWorkload(t, r)
	w.step(2000)
	var mu sync.RWMutex
	mu.Lock()
	snap := w.tree.BeginSnapshot()
	at := len(w.log)
	mu.Unlock()
	snap.chunk = 16
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 3000; i++ {
			mu.Lock()
			w.step(1)
			mu.Unlock()
		}
	}()
	var buf bytes.Buffer
	err := snap.Encode(context.Background(), &buf, mu.RLocker())
	<-done
	require.NoError(t, err)
	want, digest := w.replay(at)
	require.True(t, bytes.Equal(want, buf.Bytes()))
	require.Equal(t, digest, snap.Digest())
	mu.Lock()
	snap.Close()
	mu.Unlock()
	verify(t, w.tree)
}
