package ensemble_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/core/storage"
	"github.com/zabkit/zabkit/core/zab"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

var crashSeed = flag.Uint64("crash-seed", 1, "seed of the crash tests (which unsynced entries a killed store keeps)")

// crashLab sits between every server and its store and peer transport
// (WithServerConfig): it holds a server's fsyncs or drops its PROPOSALs
// on demand, and records what each store synced, truncated and
// recovered, by server id across restarts.
type crashLab struct {
	mu        sync.Mutex
	appended  map[uint64]int64
	synced    map[uint64]int64
	truncated map[uint64][]int64
	recovered map[uint64]int64
	held      map[uint64]chan struct{} // Syncs block until it is closed
	dropping  map[[2]uint64]bool       // (from, to) whose PROPOSALs are dropped; to 0: all
	blocked   chan int64               // the zxid a held Sync covers
}

func newCrashLab() *crashLab {
	return &crashLab{appended: map[uint64]int64{}, synced: map[uint64]int64{}, truncated: map[uint64][]int64{},
		recovered: map[uint64]int64{}, held: map[uint64]chan struct{}{}, dropping: map[[2]uint64]bool{},
		blocked: make(chan int64, 16)}
}

func (l *crashLab) configure(id uint64, c *server.Config) {
	c.Store = &labStore{Storage: c.Store, id: id, lab: l}
	c.Network = labNetwork{inner: c.Network, lab: l}
}

// hold makes server id's Syncs block until release.
func (l *crashLab) hold(id uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[id] == nil {
		l.held[id] = make(chan struct{})
	}
}

func (l *crashLab) release(id uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ch := l.held[id]; ch != nil {
		close(ch)
		delete(l.held, id)
	}
}

func (l *crashLab) releaseAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, ch := range l.held {
		close(ch)
		delete(l.held, id)
	}
}

func (l *crashLab) waitBlocked(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	select {
	case z := <-l.blocked:
		return z
	case <-ctx.Done():
		t.Fatal("no Sync got held")
		return 0
	}
}

// setDropping drops (or no longer drops) the PROPOSALs from server id
// from to server id to (0: to every server).
func (l *crashLab) setDropping(from, to uint64, on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropping[[2]uint64{from, to}] = on
}

func (l *crashLab) get(m map[uint64]int64, id uint64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return m[id]
}

func (l *crashLab) truncations(id uint64) []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int64(nil), l.truncated[id]...)
}

type labStore struct {
	storage.Storage
	id  uint64
	lab *crashLab
}

func (s *labStore) Append(es ...storage.Entry) error {
	if err := s.Storage.Append(es...); err != nil {
		return err
	}
	if len(es) > 0 {
		s.lab.mu.Lock()
		s.lab.appended[s.id] = es[len(es)-1].Zxid
		s.lab.mu.Unlock()
	}
	return nil
}

func (s *labStore) Sync(ctx context.Context) error {
	s.lab.mu.Lock()
	upto, held := s.lab.appended[s.id], s.lab.held[s.id]
	s.lab.mu.Unlock()
	if held != nil {
		s.lab.blocked <- upto
		select {
		case <-held:
		case <-ctx.Done(): // the server was killed: its fsync is abandoned
			return ctx.Err()
		}
	}
	if err := s.Storage.Sync(ctx); err != nil {
		return err
	}
	s.lab.mu.Lock()
	s.lab.synced[s.id] = max(s.lab.synced[s.id], upto)
	s.lab.mu.Unlock()
	return nil
}

func (s *labStore) TruncateAfter(zxid int64) error {
	if err := s.Storage.TruncateAfter(zxid); err != nil {
		return err
	}
	s.lab.mu.Lock()
	s.lab.truncated[s.id] = append(s.lab.truncated[s.id], zxid)
	s.lab.appended[s.id] = min(s.lab.appended[s.id], zxid)
	s.lab.synced[s.id] = min(s.lab.synced[s.id], zxid)
	s.lab.mu.Unlock()
	return nil
}

func (s *labStore) Recover(ctx context.Context, restore func(storage.SnapshotMeta, io.Reader) error,
	apply func(storage.Entry) error) (storage.Recovered, error) {
	rec, err := s.Storage.Recover(ctx, restore, apply)
	if err == nil {
		s.lab.mu.Lock()
		s.lab.recovered[s.id] = rec.LastZxid
		s.lab.appended[s.id], s.lab.synced[s.id] = rec.LastZxid, rec.LastZxid
		s.lab.mu.Unlock()
	}
	return rec, err
}

type labNetwork struct {
	inner server.Network
	lab   *crashLab
}

func (n labNetwork) Attach(id uint64) (server.Transport, error) {
	t, err := n.inner.Attach(id)
	if err != nil {
		return nil, err
	}
	return &labTransport{Transport: t, id: id, lab: n.lab}, nil
}

type labTransport struct {
	server.Transport
	id  uint64
	lab *crashLab
}

// Send drops the server's PROPOSALs while the lab says so, as if they
// were still in its socket buffers when it died.
func (t *labTransport) Send(m zab.Message) {
	t.lab.mu.Lock()
	drop := m.Type == zab.MsgProposal && (t.lab.dropping[[2]uint64{t.id, 0}] || t.lab.dropping[[2]uint64{t.id, m.To}])
	t.lab.mu.Unlock()
	if !drop {
		t.Transport.Send(m)
	}
}

// crashPoll waits until cond holds or ctx ends (a polling interval, not
// synchronization).
func crashPoll(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tk := time.NewTicker(5 * time.Millisecond)
	defer tk.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-tk.C:
		}
	}
}

// crashCheckPaths checks, on every running server, whether each path
// exists as want says.
func crashCheckPaths(t *testing.T, e *ensemble.Ensemble, want map[string]bool) {
	t.Helper()
	ctx := testCtx(t)
	for i := 0; i < e.Size(); i++ {
		if e.Server(i) == nil {
			continue
		}
		c := connectTo(t, e, i)
		require.NoError(t, c.Sync(ctx, "/"))
		for p, exists := range want {
			ok, _, err := c.Exists(ctx, p)
			require.NoError(t, err)
			require.Equal(t, exists, ok, "server %d: %s exists", i, p)
		}
	}
}

// crashCreateAcked creates path, retrying over connection loss, and records it
// as acknowledged.
func crashCreateAcked(t *testing.T, ctx context.Context, c *client.Conn, path string, acked map[string]bool) {
	t.Helper()
	err := client.Retry(ctx, func(ctx context.Context) error {
		_, _, err := c.Create(ctx, path, nil, client.ModePersistent, nil)
		if errors.Is(err, client.ErrNodeExists) {
			return nil // an earlier attempt went through
		}
		return err
	})
	require.NoError(t, err, path)
	acked[path] = true
}

// TestKillLeaderWithUnsyncedProposal: an established leader sends a
// PROPOSAL before its own fsync (held by the test), both followers (or
// one; the other's copy is dropped) log it durably, and the leader is
// killed: Kill does not wait for the held fsync, and the crash loses the
// unsynced proposal (or keeps it, as a disk may; the seed decides). The
// survivors commit or discard it, the same on every server (with both
// holding it, a quorum does: committed), the restarted old leader catches
// up, digests converge and no acknowledged write is lost. Rounds repeat,
// each killing the current leader, at least three times and until a crash
// lost the proposal.
func TestKillLeaderWithUnsyncedProposal(t *testing.T) {
	t.Run("both-followers-log-it", func(t *testing.T) { killLeadersWithUnsyncedProposal(t, 2) })
	t.Run("one-follower-logs-it", func(t *testing.T) { killLeadersWithUnsyncedProposal(t, 1) })
}

func killLeadersWithUnsyncedProposal(t *testing.T, holders int) {
	seed := *crashSeed
	t.Logf("seed %d (rerun with -crash-seed %d)", seed, seed)
	lab := newCrashLab()
	// A long syncLimit: the followers hear no ping while the leader's
	// fsync is held, and must not leave it before it is killed.
	e := ensembletest.Start(t, ensemble.WithSeed(seed), ensemble.WithServerConfig(lab.configure),
		ensemble.WithLimits(ensemble.DefaultInitLimit, 3000))
	t.Cleanup(lab.releaseAll) // before the ensemble's cleanup
	ctx := testCtx(t)
	c := ensembletest.Connect(t, e)
	acked := map[string]bool{}
	crashCreateAcked(t, ctx, c, "/before", acked)

	lost := false
	for round := 1; round <= 3 || !lost; round++ {
		if round > 10 {
			t.Fatalf("seed %d: no crash lost the leader's unsynced proposal in 10 kills", seed)
		}
		require.NoError(t, e.WaitServing(ctx))
		l := e.Leader()
		require.GreaterOrEqual(t, l, 0)
		lid := e.ID(l)
		fs := e.Followers()
		require.Len(t, fs, 2)
		if holders == 1 {
			lab.setDropping(lid, e.ID(fs[1]), true)
		}
		lab.hold(lid)
		path := fmt.Sprintf("/unsynced-%d", round)
		res := make(chan error, 1)
		go func() {
			_, _, err := c.Create(ctx, path, nil, client.ModePersistent, nil)
			res <- err
		}()
		z := lab.waitBlocked(t, ctx)
		for _, f := range fs[:holders] {
			crashPoll(t, ctx, fmt.Sprintf("follower %d to log %#x", e.ID(f), z), func() bool {
				return lab.get(lab.synced, e.ID(f)) >= z
			})
		}
		for _, f := range fs[holders:] {
			require.Less(t, lab.get(lab.appended, e.ID(f)), z, "follower %d got the dropped proposal", e.ID(f))
		}

		killed := make(chan error, 1)
		go func() { killed <- e.Kill(l) }()
		select {
		case err := <-killed:
			require.NoError(t, err)
		case <-ctx.Done():
			t.Fatal("Kill waits for the leader's fsync in flight")
		}
		lab.release(lid)
		lab.setDropping(lid, e.ID(fs[1]), false)
		if err := <-res; err == nil {
			acked[path] = true
		}
		crashPoll(t, ctx, "a new leader", func() bool { return e.Leader() >= 0 })

		require.NoError(t, e.Restart(ctx, l))
		require.NoError(t, e.WaitServing(ctx))
		require.NoError(t, e.WaitConverged(ctx))
		kept := lab.get(lab.recovered, lid) >= z
		lost = lost || !kept
		committed := holders == 2 || crashExists(t, e, fs[0], path)
		t.Logf("round %d: leader %d killed holding %#x unsynced (store kept it: %v); committed: %v",
			round, lid, z, kept, committed)
		want := map[string]bool{path: committed}
		for p := range acked {
			want[p] = true
		}
		crashCheckPaths(t, e, want)
	}
}

// crashExists reports whether path exists on server i.
func crashExists(t *testing.T, e *ensemble.Ensemble, i int, path string) bool {
	t.Helper()
	ctx := testCtx(t)
	c := connectTo(t, e, i)
	require.NoError(t, c.Sync(ctx, "/"))
	ok, _, err := c.Exists(ctx, path)
	require.NoError(t, err)
	return ok
}

// TestKillLeaderWithUnsentProposalTruncates: an established leader logs
// and syncs a proposal that never reaches its followers (its PROPOSALs are
// dropped, as if they died in its socket buffers) and is killed. The
// survivors never see it and go on; the restarted old leader has it in
// its log, is told to truncate it (TRUNC), and converges; the proposal
// exists nowhere and no acknowledged write is lost.
func TestKillLeaderWithUnsentProposalTruncates(t *testing.T) {
	lab := newCrashLab()
	e := ensembletest.Start(t, ensemble.WithServerConfig(lab.configure),
		ensemble.WithLimits(ensemble.DefaultInitLimit, 3000))
	ctx := testCtx(t)
	c := ensembletest.Connect(t, e)
	acked := map[string]bool{}
	crashCreateAcked(t, ctx, c, "/before", acked)
	require.NoError(t, e.WaitConverged(ctx))

	l := e.Leader()
	require.GreaterOrEqual(t, l, 0)
	lid := e.ID(l)
	base := lab.get(lab.synced, lid)
	lab.setDropping(lid, 0, true)
	res := make(chan error, 1)
	go func() {
		_, _, err := c.Create(ctx, "/unsent", nil, client.ModePersistent, nil)
		res <- err
	}()
	crashPoll(t, ctx, "the leader to log the proposal", func() bool { return lab.get(lab.synced, lid) > base })
	z := lab.get(lab.synced, lid)
	for _, f := range e.Followers() {
		require.Less(t, lab.get(lab.appended, e.ID(f)), z, "follower %d got the dropped proposal", e.ID(f))
	}

	require.NoError(t, e.Kill(l))
	lab.setDropping(lid, 0, false)
	require.Error(t, <-res, "never committed, never acknowledged")
	crashPoll(t, ctx, "a new leader", func() bool { return e.Leader() >= 0 })
	crashCreateAcked(t, ctx, c, "/after", acked)

	require.NoError(t, e.Restart(ctx, l))
	require.NoError(t, e.WaitServing(ctx))
	require.NoError(t, e.WaitConverged(ctx))
	require.GreaterOrEqual(t, lab.get(lab.recovered, lid), z, "the old leader kept its synced proposal")
	trunc := lab.truncations(lid)
	require.NotEmpty(t, trunc, "the old leader was not truncated")
	require.Less(t, trunc[len(trunc)-1], z)
	want := map[string]bool{"/unsent": false}
	for p := range acked {
		want[p] = true
	}
	crashCheckPaths(t, e, want)
}
