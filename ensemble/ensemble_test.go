package ensemble_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/core/zab"
	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// connectTo opens a session on server i only, closed at cleanup.
func connectTo(t *testing.T, e *ensemble.Ensemble, i int) *client.Conn {
	t.Helper()
	c, err := e.ConnectTo(testCtx(t), i)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// readOn syncs server i and reads path there.
func readOn(t *testing.T, e *ensemble.Ensemble, i int, path string) string {
	t.Helper()
	ctx := testCtx(t)
	c := connectTo(t, e, i)
	require.NoError(t, c.Sync(ctx, path))
	data, _, err := c.Get(ctx, path)
	require.NoError(t, err, "server %d", i)
	return string(data)
}

func TestStartThreeServers(t *testing.T) {
	e := ensembletest.Start(t)
	require.Equal(t, 3, e.Size())
	addrs := strings.Split(e.Servers(), ",")
	require.Len(t, addrs, 3)
	for i, a := range addrs {
		assert.Equal(t, e.ClientAddr(i), a)
		assert.True(t, strings.HasPrefix(a, "127.0.0.1:"), a)
	}
	l := e.Leader()
	require.GreaterOrEqual(t, l, 0, "Start returns with a leader")
	followers := e.Followers()
	assert.Len(t, followers, 2)
	assert.NotContains(t, followers, l)
	for i := 0; i < 3; i++ {
		st, ok := e.State(i)
		require.True(t, ok)
		assert.True(t, st.Serving, "server %d serves once Start returns", i)
		assert.Equal(t, e.ID(l), st.Leader, "server %d knows the leader", i)
	}

	c := ensembletest.Connect(t, e)
	ctx := testCtx(t)
	_, _, err := c.Create(ctx, "/a", []byte("hello"), client.ModePersistent, nil)
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		assert.Equal(t, "hello", readOn(t, e, i, "/a"), "server %d", i)
	}
	require.NoError(t, e.WaitConverged(ctx))
	ds := e.Digests()
	require.Len(t, ds, 3)
	assert.Equal(t, ds[0], ds[1])
	assert.Equal(t, ds[0], ds[2])
}

func TestSingleServer(t *testing.T) {
	e := ensembletest.Start(t, ensemble.WithSize(1))
	assert.Equal(t, 0, e.Leader())
	assert.Empty(t, e.Followers())
	c := ensembletest.Connect(t, e)
	_, _, err := c.Create(testCtx(t), "/solo", nil, client.ModePersistent, nil)
	require.NoError(t, err)
}

func TestKillLeaderAndRestart(t *testing.T) {
	e := ensembletest.Start(t)
	ctx := testCtx(t)
	c := ensembletest.Connect(t, e)
	_, _, err := c.Create(ctx, "/before", []byte("1"), client.ModePersistent, nil)
	require.NoError(t, err)

	old := e.Leader()
	require.NoError(t, e.Kill(old))
	_, ok := e.State(old)
	assert.False(t, ok, "a killed server has no state")
	assert.Nil(t, e.Server(old))
	assert.ErrorIs(t, e.Kill(old), ensemble.ErrNotRunning)
	assert.ErrorIs(t, e.Pause(old), ensemble.ErrNotRunning)

	l, err := e.WaitLeader(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, old, l, "a new leader among the survivors")
	// The session moves to a surviving server and writes go on.
	_, _, err = c.Create(ctx, "/after", []byte("2"), client.ModePersistent, nil)
	require.NoError(t, err)

	require.NoError(t, e.Restart(ctx, old))
	assert.ErrorIs(t, e.Restart(ctx, old), ensemble.ErrRunning)
	require.NoError(t, e.WaitServer(ctx, old))
	st, ok := e.State(old)
	require.True(t, ok)
	assert.Equal(t, zab.StateFollowing, st.State, "the old leader rejoins as a follower")
	assert.Equal(t, "1", readOn(t, e, old, "/before"), "kept what it had synced")
	assert.Equal(t, "2", readOn(t, e, old, "/after"), "caught up with what it missed")
	require.NoError(t, e.WaitConverged(ctx))
}

func TestKillFollowerKeepsQuorum(t *testing.T) {
	e := ensembletest.Start(t)
	ctx := testCtx(t)
	leader := e.Leader()
	f := e.Followers()[0]
	require.NoError(t, e.Kill(f))
	c := ensembletest.Connect(t, e)
	_, _, err := c.Create(ctx, "/x", nil, client.ModePersistent, nil)
	require.NoError(t, err, "two of three servers are a quorum")
	assert.Equal(t, leader, e.Leader(), "losing a follower does not change the leader")
	require.NoError(t, e.Restart(ctx, f))
	require.NoError(t, e.WaitServer(ctx, f))
	assert.Equal(t, "", readOn(t, e, f, "/x"))
}

func TestPartitionIsolatesLeader(t *testing.T) {
	e := ensembletest.Start(t)
	ctx := testCtx(t)
	old := e.Leader()
	var majority []int
	for i := 0; i < 3; i++ {
		if i != old {
			majority = append(majority, i)
		}
	}
	require.NoError(t, e.Partition([]int{old}, majority))

	// The majority elects a leader of its own and takes writes.
	require.NoError(t, e.WaitServer(ctx, majority[0]))
	c, err := e.ConnectTo(ctx, majority[0])
	require.NoError(t, err)
	defer c.Close(context.Background())
	var newLeader int
	require.NoError(t, waitUntil(ctx, func() bool {
		for _, i := range majority {
			if st, ok := e.State(i); ok && st.Serving && st.State == zab.StateLeading {
				newLeader = i
				return true
			}
		}
		return false
	}))
	assert.NotEqual(t, old, newLeader)
	_, _, err = c.Create(ctx, "/during-partition", []byte("m"), client.ModePersistent, nil)
	require.NoError(t, err)
	// The isolated old leader loses its quorum and stops serving.
	require.NoError(t, waitUntil(ctx, func() bool {
		st, _ := e.State(old)
		return !st.Serving
	}))

	require.NoError(t, e.Heal())
	require.NoError(t, e.WaitServing(ctx))
	assert.Equal(t, "m", readOn(t, e, old, "/during-partition"), "the old leader catches up after Heal")
}

func TestPartitionUnnamedServersFormAGroup(t *testing.T) {
	e := ensembletest.Start(t)
	ctx := testCtx(t)
	// Only the leader is named: the two others stay together, a quorum.
	l := e.Leader()
	require.NoError(t, e.Isolate(l))
	require.NoError(t, waitUntil(ctx, func() bool {
		n, err := e.WaitLeader(ctx)
		return err == nil && n != l
	}), "the two unnamed servers elect one of them")
	require.NoError(t, e.Heal())
}

func TestPauseLeader(t *testing.T) {
	e := ensembletest.Start(t)
	ctx := testCtx(t)
	old := e.Leader()
	require.NoError(t, e.Pause(old))
	require.NoError(t, e.Pause(old), "Pause twice is harmless")
	// The others stop hearing from it and elect a new leader.
	require.NoError(t, waitUntil(ctx, func() bool {
		for i := 0; i < 3; i++ {
			if st, _ := e.State(i); i != old && st.Serving && st.State == zab.StateLeading {
				return true
			}
		}
		return false
	}))
	c := ensembletest.Connect(t, e)
	_, _, err := c.Create(ctx, "/while-paused", nil, client.ModePersistent, nil)
	require.NoError(t, err)

	require.NoError(t, e.Resume(old))
	require.NoError(t, e.WaitServing(ctx))
	st, _ := e.State(old)
	assert.Equal(t, zab.StateFollowing, st.State, "the paused leader comes back as a follower")
	assert.Equal(t, "", readOn(t, e, old, "/while-paused"))
}

func TestDropClientConnections(t *testing.T) {
	e := ensembletest.Start(t)
	ctx := testCtx(t)
	c := connectTo(t, e, 0)
	_, _, err := c.Create(ctx, "/drop", nil, client.ModePersistent, nil)
	require.NoError(t, err)
	id := c.SessionID()
	states := c.States(ctx)
	require.NoError(t, e.DropClientConnections(0))
	// The client notices, reconnects with the same session and goes on.
	sawDisconnect := false
	for !sawDisconnect {
		select {
		case st := <-states:
			sawDisconnect = st == client.StateDisconnected
		case <-ctx.Done():
			t.Fatal("no Disconnected state after DropClientConnections")
		}
	}
	_, _, err = c.Get(ctx, "/drop")
	require.NoError(t, err)
	assert.Equal(t, id, c.SessionID(), "same session after the reconnect")
}

func TestExpireSession(t *testing.T) {
	e := ensembletest.Start(t)
	ctx := testCtx(t)
	victim := ensembletest.Connect(t, e)
	_, _, err := victim.Create(ctx, "/eph", nil, client.ModeEphemeral, nil)
	require.NoError(t, err)
	watcher := ensembletest.Connect(t, e)
	ok, _, ch, err := watcher.ExistsW(ctx, "/eph")
	require.NoError(t, err)
	require.True(t, ok)

	require.NoError(t, e.ExpireSession(ctx, victim.SessionID()))
	select {
	case ev := <-ch:
		assert.Equal(t, client.EventNodeDeleted, ev.Type)
	case <-ctx.Done():
		t.Fatal("the ephemeral node of the expired session was not deleted")
	}
	select {
	case <-victim.Done():
		assert.ErrorIs(t, victim.Err(), client.ErrSessionExpired)
	case <-ctx.Done():
		t.Fatal("the expired session's client did not learn of it")
	}
}

func TestObservers(t *testing.T) {
	e := ensembletest.Start(t, ensemble.WithObservers(1))
	require.Equal(t, 4, e.Size())
	st, ok := e.State(3)
	require.True(t, ok)
	assert.Equal(t, zab.StateObserving, st.State)
	assert.Len(t, e.Followers(), 2, "observers are not followers")
	c := connectTo(t, e, 3)
	_, _, err := c.Create(testCtx(t), "/via-observer", []byte("o"), client.ModePersistent, nil)
	require.NoError(t, err, "an observer forwards writes")
	assert.Equal(t, "o", readOn(t, e, 0, "/via-observer"))
}

func TestDiskStorageSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	e := ensembletest.Start(t, ensemble.WithDir(dir))
	ctx := testCtx(t)
	c := ensembletest.Connect(t, e)
	_, _, err := c.Create(ctx, "/disk", []byte("d"), client.ModePersistent, nil)
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		require.NoError(t, e.Kill(i))
	}
	for i := 0; i < 3; i++ {
		require.NoError(t, e.Restart(ctx, i))
	}
	require.NoError(t, e.WaitServing(ctx))
	for i := 0; i < 3; i++ {
		assert.Equal(t, "d", readOn(t, e, i, "/disk"), "server %d recovered from %s", i, dir)
	}
}

// TestStopAndRestart: every server is stopped gracefully, one while
// paused, and restarted from its in-memory store with everything it wrote.
func TestStopAndRestart(t *testing.T) {
	e := ensembletest.Start(t)
	ctx := testCtx(t)
	c := ensembletest.Connect(t, e)
	_, _, err := c.Create(ctx, "/kept", []byte("k"), client.ModePersistent, nil)
	require.NoError(t, err)
	require.NoError(t, e.Pause(0))
	for i := 0; i < 3; i++ {
		require.NoError(t, e.Stop(i))
		assert.Nil(t, e.Server(i))
	}
	assert.ErrorIs(t, e.Stop(0), ensemble.ErrNotRunning)
	for i := 0; i < 3; i++ {
		require.NoError(t, e.Restart(ctx, i))
	}
	require.NoError(t, e.WaitServing(ctx))
	for i := 0; i < 3; i++ {
		assert.Equal(t, "k", readOn(t, e, i, "/kept"), "server %d", i)
	}
}

func TestFixedClientPortsKeptAcrossRestart(t *testing.T) {
	e := ensembletest.Start(t)
	ctx := testCtx(t)
	addr := e.ClientAddr(1)
	require.NoError(t, e.Kill(1))
	require.NoError(t, e.Restart(ctx, 1))
	assert.Equal(t, addr, e.ClientAddr(1), "the port survives a restart, so Servers() stays valid")
	require.NoError(t, e.WaitServer(ctx, 1))
}

func TestBadOptions(t *testing.T) {
	ctx := testCtx(t)
	for _, opts := range [][]ensemble.Option{
		{ensemble.WithSize(0)},
		{ensemble.WithObservers(-1)},
		{ensemble.WithTickTime(0)},
		{ensemble.WithClientPorts(1, 2)},
		{ensemble.WithSize(300)},
	} {
		_, err := ensemble.Start(ctx, opts...)
		assert.ErrorIs(t, err, ensemble.ErrBadOption)
	}
}

func TestIndexOutOfRange(t *testing.T) {
	e := ensembletest.Start(t, ensemble.WithSize(1))
	for _, err := range []error{e.Kill(5), e.Pause(-1), e.Resume(1), e.DropClientConnections(9), e.Restart(testCtx(t), 3),
		e.Partition([]int{7})} {
		assert.ErrorIs(t, err, ensemble.ErrNoServer)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	ctx := testCtx(t)
	e, err := ensemble.Start(ctx, ensemble.WithSize(3))
	require.NoError(t, err)
	require.NoError(t, e.Pause(0), "a paused server must not block Close")
	require.NoError(t, e.Close())
	require.NoError(t, e.Close())
	assert.ErrorIs(t, e.Restart(ctx, 0), ensemble.ErrClosed)
}

func TestStartHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ensemble.Start(ctx)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
}

// waitUntil polls cond until it holds or ctx ends.
func waitUntil(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("condition not reached: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

func TestWithServerConfig(t *testing.T) {
	var ids []uint64
	e := ensembletest.Start(t, ensemble.WithServerConfig(func(id uint64, c *server.Config) {
		ids = append(ids, id)
		c.ExtendedTypes = false
	}))
	assert.Equal(t, []uint64{1, 2, 3}, ids, "called once per server, in order")
	c := ensembletest.Connect(t, e)
	_, _, err := c.CreateTTL(testCtx(t), "/ttl", nil, client.ModePersistentWithTTL, nil, time.Minute)
	assert.ErrorIs(t, err, client.ErrUnimplemented, "TTL nodes are off when ExtendedTypes is")
}

func TestWithServerConfigComposes(t *testing.T) {
	var calls []string
	record := func(name string) ensemble.Option {
		return ensemble.WithServerConfig(func(id uint64, c *server.Config) {
			calls = append(calls, fmt.Sprintf("%s%d", name, id))
		})
	}
	ensembletest.Start(t, ensemble.WithSize(1), record("a"), record("b"))
	assert.Equal(t, []string{"a1", "b1"}, calls, "every WithServerConfig applies, in order")
}

func TestWithClientPorts(t *testing.T) {
	var ports []int
	for i := 0; i < 3; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
		require.NoError(t, l.Close())
	}
	e := ensembletest.Start(t, ensemble.WithClientPorts(ports...))
	assert.Equal(t, fmt.Sprintf("127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d", ports[0], ports[1], ports[2]), e.Servers())
}

var lossySeed = flag.Uint64("lossy-seed", 0, "seed of TestLossyLinks (0: random)")

// TestLossyLinks makes every peer link lose messages and delays one: the
// ensemble still commits (retrying writes lost with a broken link) and the
// replicas converge once healed.
func TestLossyLinks(t *testing.T) {
	seed := *lossySeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (rerun with -lossy-seed %d)", seed, seed)
	e := ensembletest.Start(t, ensemble.WithSeed(seed))
	ctx := testCtx(t)
	for a := 0; a < 3; a++ {
		for b := 0; b < 3; b++ {
			if a != b {
				require.NoError(t, e.SetDrop(a, b, 0.02))
			}
		}
	}
	require.NoError(t, e.SetDelay(0, 1, 5*time.Millisecond))
	c := ensembletest.Connect(t, e)
	for i := 0; i < 20; i++ {
		path := fmt.Sprintf("/lossy-%d", i)
		err := client.Retry(ctx, func(ctx context.Context) error {
			_, _, err := c.Create(ctx, path, nil, client.ModePersistent, nil)
			if errors.Is(err, client.ErrNodeExists) {
				return nil // an earlier attempt went through
			}
			return err
		})
		require.NoError(t, err, path)
	}
	require.NoError(t, e.Heal())
	require.NoError(t, e.WaitServing(ctx))
	require.NoError(t, e.WaitConverged(ctx))
	for i := 0; i < 3; i++ {
		c := connectTo(t, e, i)
		require.NoError(t, c.Sync(ctx, "/"))
		kids, _, err := c.Children(ctx, "/")
		require.NoError(t, err)
		assert.Len(t, kids, 21, "server %d: the 20 nodes and /zookeeper", i)
	}
}
