package server_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/core/zab"
	"github.com/zabkit/zabkit/ensemble"
)

func TestObserverServesReadsAndForwardsWrites(t *testing.T) {
	e := startEnsemble(t, ensemble.WithObservers(1))
	obs := e.Server(3)
	if st := obs.State(); st.State != zab.StateObserving {
		t.Fatalf("server 4 is %v, want OBSERVING", st.State)
	}
	c := dialClient(t, obs.ClientAddr())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := c.Create(ctx, "/via-observer", []byte("o"), client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	d, _, err := c.Get(ctx, "/via-observer")
	if err != nil || string(d) != "o" {
		t.Fatalf("read own write on the observer: %q %v", d, err)
	}
	waitConverged(t, e)
}

func TestPauseResumeAndDropConnections(t *testing.T) {
	e := startEnsemble(t)
	c := dialClient(t, e.Servers())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := waitServing(t, e)
	must(t, e.Pause(l))
	// The others notice the silent leader and elect a new one.
	waitFor(t, 20*time.Second, "a new leader while the old one is paused", func() bool {
		for i := range e.Size() {
			if st, _ := e.State(i); i != l && st.Serving && st.State == zab.StateLeading {
				return true
			}
		}
		return false
	})
	// A write in flight when the leader went silent may be lost with the
	// connection; the client retries it.
	err := client.Retry(ctx, func(ctx context.Context) error {
		_, _, err := c.Create(ctx, "/during-pause", nil, client.ModePersistent, nil)
		if errors.Is(err, client.ErrNodeExists) {
			return nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	must(t, e.Resume(l))
	waitServing(t, e)
	waitConverged(t, e)
	for i := range e.Size() {
		must(t, e.DropClientConnections(i))
	}
	// The session survives dropped connections: the client reconnects.
	sid := c.SessionID()
	err = client.Retry(ctx, func(ctx context.Context) error {
		_, _, err := c.Exists(ctx, "/during-pause")
		return err
	})
	if err != nil || c.SessionID() != sid {
		t.Fatalf("after dropped connections: %v (session %#x, was %#x)", err, c.SessionID(), sid)
	}
}

func TestStatsSnapshot(t *testing.T) {
	e := startEnsemble(t)
	c := dialClient(t, e.Servers())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := c.Create(ctx, "/s", nil, client.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ExistsW(ctx, "/s"); err != nil {
		t.Fatal(err)
	}
	waitConverged(t, e)
	var watches, conns int
	for i := range e.Size() {
		s := e.Server(i)
		st := s.Stats()
		if st.ZnodeCount != 5 || st.SessionCount != 1 || st.EphemeralCount != 1 {
			t.Errorf("server %d: znodes %d sessions %d ephemerals %d, want 5 1 1", s.ID(), st.ZnodeCount, st.SessionCount, st.EphemeralCount)
		}
		if st.Fsyncs == 0 || st.Elections == 0 {
			t.Errorf("server %d: fsyncs %d elections %d, want both > 0", s.ID(), st.Fsyncs, st.Elections)
		}
		watches += st.WatchCount
		conns += st.Connections
		if st.Connections > 0 && st.Requests == 0 {
			t.Errorf("server %d has the client but counted no request", s.ID())
		}
	}
	if watches != 1 || conns != 1 {
		t.Errorf("watches %d, connections %d over the ensemble; want 1 and 1", watches, conns)
	}
}

// TestRestartFromDisk: a follower on disk storage is killed and restarted
// from its directory and catches up.
func TestRestartFromDisk(t *testing.T) {
	e := startEnsemble(t, ensemble.WithDir(t.TempDir()))
	c := dialClient(t, e.Servers())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := c.Create(ctx, "/before", nil, client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	f := (waitServing(t, e) + 1) % 3
	must(t, e.Kill(f))
	mustCreate(ctx, t, c, "/while-down") // the client may have been on f
	restart(t, e, f)
	waitServing(t, e)
	waitConverged(t, e)
	for _, p := range []string{"/before", "/while-down"} {
		if !server.HasNode(e.Server(f), p) {
			t.Errorf("restarted server lacks %s", p)
		}
	}
}
