package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/client"
)

// writer creates /mp/<n> for n = 0, 1, 2... on one session until stopped,
// remembering which creates the servers acknowledged.
type writer struct {
	mu        sync.Mutex
	acked     map[int]bool
	uncertain map[int]bool // connection lost before the reply: may exist
}

func (w *writer) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

func (w *writer) run(ctx context.Context, c *client.Conn) {
	for n := 0; ctx.Err() == nil; n++ {
		path := "/mp/" + strconv.Itoa(n)
		_, _, err := c.Create(ctx, path, []byte(strconv.Itoa(n)), client.ModePersistent, nil)
		w.mu.Lock()
		if err == nil {
			w.acked[n] = true
		} else {
			// Connection loss (the leader died under the request), or the
			// writer was stopped while waiting: it may have been applied.
			w.uncertain[n] = true
		}
		w.mu.Unlock()
	}
}

// TestClusterKillLeader runs three `zabkit server` processes from zoo.cfg
// files, kill -9s the leader while a client writes, and checks that the
// writes go on, that the killed server comes back from its dataDir and
// catches up, and that no acknowledged write is lost.
func TestClusterKillLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logs := &lockedBuffer{}
	defer func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", logs.String())
		}
	}()
	cfgs, clients := writeQuorumConfigs(t, t.TempDir(), 3)
	procs := make([]*proc, 3)
	for i := range procs {
		procs[i] = startProc(t, fmt.Sprintf("server%d", i+1), cfgs[i], clients[i], logs)
	}
	modes := func(idx ...int) map[string]int {
		m := map[string]int{}
		for _, i := range idx {
			f, err := srvr(ctx, clients[i])
			if err != nil {
				m["down"]++
				continue
			}
			m[f["Mode"]]++
		}
		return m
	}
	require.NoError(t, poll(ctx, "one leader and two followers", procs, func() bool {
		m := modes(0, 1, 2)
		return m["leader"] == 1 && m["follower"] == 2
	}))

	connect := fmt.Sprintf("%s,%s,%s", clients[0], clients[1], clients[2])
	c, err := client.Dial(ctx, connect, client.WithSessionTimeout(10*time.Second))
	require.NoError(t, err)
	defer c.Close(context.Background())
	_, _, err = c.Create(ctx, "/mp", nil, client.ModePersistent, nil)
	require.NoError(t, err)

	w := &writer{acked: map[int]bool{}, uncertain: map[int]bool{}}
	wctx, stopWriting := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.run(wctx, c)
	}()
	defer func() {
		stopWriting()
		wg.Wait()
	}()

	require.NoError(t, poll(ctx, "50 acknowledged writes", procs, func() bool { return w.count() >= 50 }))
	leader := -1
	for i := range procs {
		if f, err := srvr(ctx, clients[i]); err == nil && f["Mode"] == "leader" {
			leader = i
		}
	}
	require.GreaterOrEqual(t, leader, 0, "no leader found")
	before := w.count()
	t.Logf("kill -9 of the leader, server%d, after %d acknowledged writes", leader+1, before)
	procs[leader].kill9()
	others := []int{(leader + 1) % 3, (leader + 2) % 3}
	survivors := []*proc{procs[others[0]], procs[others[1]]}

	// Writes go on under the new leader.
	require.NoError(t, poll(ctx, "50 more acknowledged writes after the kill", survivors, func() bool { return w.count() >= before+50 }))
	m := modes(others...)
	assert.Equal(t, map[string]int{"leader": 1, "follower": 1}, m, "srvr modes of the two survivors")

	// The killed server restarts from its dataDir while writes continue.
	procs[leader] = startProc(t, fmt.Sprintf("server%d-restarted", leader+1), cfgs[leader], clients[leader], logs)
	require.NoError(t, poll(ctx, "the restarted server to follow", procs, func() bool {
		f, err := srvr(ctx, clients[leader])
		return err == nil && f["Mode"] == "follower"
	}))
	afterRestart := w.count()
	require.NoError(t, poll(ctx, "30 more writes with the restarted server back", procs, func() bool { return w.count() >= afterRestart+30 }))
	stopWriting()
	wg.Wait()

	// The restarted server catches up: srvr shows the same zxid everywhere.
	require.NoError(t, poll(ctx, "equal zxids in srvr", procs, func() bool {
		zxids := map[string]bool{}
		for _, addr := range clients {
			f, err := srvr(ctx, addr)
			if err != nil {
				return false
			}
			zxids[f["Zxid"]] = true
		}
		return len(zxids) == 1
	}))

	// Every server has every acknowledged write.
	m = modes(0, 1, 2)
	assert.Equal(t, map[string]int{"leader": 1, "follower": 2}, m, "srvr modes after the restart")
	w.mu.Lock()
	acked, uncertain := w.acked, w.uncertain
	w.mu.Unlock()
	t.Logf("%d acknowledged writes, %d uncertain", len(acked), len(uncertain))
	for i, addr := range clients {
		checkServerHas(ctx, t, fmt.Sprintf("server%d", i+1), addr, acked, uncertain)
	}

	// SIGTERM stops every server gracefully.
	require.NoError(t, c.Close(ctx))
	for _, p := range procs {
		assert.NoError(t, p.terminate(ctx), "%s exit after SIGTERM", p.name)
	}
}

// checkServerHas connects to one server only, syncs, and checks that every
// acknowledged /mp/<n> is there with its data, and that nothing is there
// that was never written.
func checkServerHas(ctx context.Context, t *testing.T, name, addr string, acked, uncertain map[int]bool) {
	t.Helper()
	c, err := client.Dial(ctx, addr)
	require.NoError(t, err, name)
	defer c.Close(context.Background())
	require.NoError(t, c.Sync(ctx, "/mp"), name)
	kids, _, err := c.Children(ctx, "/mp")
	require.NoError(t, err, name)
	have := map[int]bool{}
	for _, k := range kids {
		n, err := strconv.Atoi(k)
		require.NoError(t, err, "%s: unexpected child %q", name, k)
		have[n] = true
		if !acked[n] && !uncertain[n] {
			t.Errorf("%s: /mp/%d exists but was never written", name, n)
		}
	}
	lost := 0
	for n := range acked {
		if !have[n] {
			lost++
		}
	}
	assert.Zero(t, lost, "%s lost %d acknowledged writes", name, lost)
	data, _, err := c.Get(ctx, "/mp/0")
	if !errors.Is(err, client.ErrNoNode) {
		require.NoError(t, err, name)
		assert.Equal(t, "0", string(data), name)
	}
}
