package server

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/zabkit/zabkit/wire"
)

// leaderSession reads the leader's expiry state of a session: whether it
// is live and its deadline (ms, 0 if none).
func leaderSession(t *testing.T, s *Server, id int64) (live bool, deadline int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan struct{})
	if err := s.do(ctx, func() {
		live, deadline = s.d.sess.exp.live(id), s.d.sess.exp.deadline[id]
		close(done)
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("the leader's driver did not run")
	}
	return live, deadline
}

// TestFollowerRelaysTouches: a session connected to a follower that only
// pings (every third of its timeout, as a client does) stays alive for
// three times its timeout: the follower relays its touches to the leader,
// whose deadline for it moves on. A session on the same follower that
// stops pinging expires, and its ephemeral goes on every replica.
func TestFollowerRelaysTouches(t *testing.T) {
	tc := newCluster(t, 3, 0, false)
	li := tc.leader()
	leader := tc.servers[li]
	follower := tc.servers[(li+1)%3]
	const timeout = 600 * time.Millisecond
	open := []wire.ACL{{Perms: wire.PermAll, ID: wire.ID{Scheme: "world", ID: "anyone"}}}

	dial := func(path string) (*rawConn, int64) {
		r := rawDial(t, follower.ClientAddr())
		resp, err := r.connect(wire.ConnectRequest{TimeOut: int32(timeout.Milliseconds()), Passwd: make([]byte, 16)})
		if err != nil || resp.SessionID == 0 || resp.TimeOut != int32(timeout.Milliseconds()) {
			t.Fatalf("connect: %v %+v", err, resp)
		}
		r.send(&wire.RequestHeader{Xid: 1, Op: wire.OpCreate},
			&wire.CreateRequest{Path: path, ACL: open, Flags: int32(wire.ModeEphemeral)})
		if h, _, err := r.reply(1); err != nil || h.Err != wire.CodeOK {
			t.Fatalf("create %s: %v %v", path, h.Err, err)
		}
		return r, resp.SessionID
	}
	pinger, pid := dial("/pinging")
	idle, iid := dial("/silent")
	_ = idle // keeps its connection open, sends nothing

	start := time.Now()
	_, first := leaderSession(t, leader, pid)
	ping := time.NewTicker(timeout / 3) // the client's ping interval
	defer ping.Stop()
	for time.Since(start) < 3*timeout {
		<-ping.C
		pinger.send(&wire.RequestHeader{Xid: wire.XidPing, Op: wire.OpPing})
		if h, _, err := pinger.reply(wire.XidPing); err != nil || h.Err != wire.CodeOK {
			t.Fatalf("ping after %v: %v %v", time.Since(start), h.Err, err)
		}
		if live, _ := leaderSession(t, leader, pid); !live {
			t.Fatalf("a pinging session on a follower expired after %v (timeout %v)", time.Since(start), timeout)
		}
	}
	live, last := leaderSession(t, leader, pid)
	if !live || last <= first || last < start.Add(3*timeout).UnixMilli() {
		t.Fatalf("leader's deadline for the pinging session: live %v, %d ms, first %d ms, want past %d ms",
			live, last, first, start.Add(3*timeout).UnixMilli())
	}
	for _, s := range tc.servers {
		if !hasNode(s, "/pinging") {
			t.Fatalf("server %d lost the pinging session's ephemeral", s.ID())
		}
	}
	pinger.send(&wire.RequestHeader{Xid: 2, Op: wire.OpExists}, &wire.ExistsRequest{Path: "/pinging"})
	if h, _, err := pinger.reply(2); err != nil || h.Err != wire.CodeOK {
		t.Fatalf("request on the pinging session: %v %v", h.Err, err)
	}

	// The control: the silent session expired everywhere.
	waitFor(t, 30*time.Second, "the silent session's ephemeral gone on every replica", func() bool {
		for _, s := range tc.servers {
			if hasNode(s, "/silent") {
				return false
			}
		}
		return true
	})
	if live, _ := leaderSession(t, leader, iid); live {
		t.Fatal("the silent session is still live on the leader")
	}
}

// TestExpiryQueueBuckets: deadlines are rounded up to the next tick
// boundary, a touch moves a session to its new bucket, and expired
// returns exactly the sessions whose bucket is due, once.
func TestExpiryQueueBuckets(t *testing.T) {
	const tick = 100 * time.Millisecond
	e := newExpiry(tick)
	t0 := time.UnixMilli(1_000_050)
	e.add(1, time.Second, t0)                          // due at 1,001,050 -> bucket 1,001,100
	e.add(2, time.Second, t0.Add(30*time.Millisecond)) // 1,001,080 -> same bucket
	e.add(3, time.Second, time.UnixMilli(1_000_000))   // exactly on a boundary: the next one, 1,001,100
	e.add(4, 2*time.Second, t0)                        // 1,002,050 -> 1,002,100
	for id, want := range map[int64]int64{1: 1_001_100, 2: 1_001_100, 3: 1_001_100, 4: 1_002_100} {
		if got := e.deadline[id]; got != want {
			t.Errorf("session %d: bucket %d, want %d", id, got, want)
		}
	}
	// A touch moves session 2 to a later bucket and out of its old one.
	if !e.touch(2, t0.Add(500*time.Millisecond)) { // 1,001,550 -> 1,001,600
		t.Fatal("touch of a live session refused")
	}
	if got := e.deadline[2]; got != 1_001_600 {
		t.Fatalf("touched session's bucket %d, want 1001600", got)
	}
	if _, ok := e.buckets[1_001_100][2]; ok {
		t.Fatal("a touched session stayed in its old bucket")
	}
	if e.touch(99, t0) {
		t.Fatal("touch of an unknown session accepted")
	}

	expired := func(ms int64) []int64 {
		out := e.expired(time.UnixMilli(ms))
		slices.Sort(out)
		return out
	}
	for _, tt := range []struct {
		at   int64
		want []int64
	}{
		{1_001_099, nil},
		{1_001_100, []int64{1, 3}},
		{1_001_500, nil}, // already returned once
		{1_001_600, []int64{2}},
		{1_002_099, nil},
		{5_000_000, []int64{4}},
		{6_000_000, nil},
	} {
		if got := expired(tt.at); !slices.Equal(got, tt.want) {
			t.Errorf("expired(%d) = %v, want %v", tt.at, got, tt.want)
		}
	}
	// Expired sessions are closing: no longer live, touches refused,
	// until their closeSession applies (remove).
	if e.live(1) || e.touch(1, time.UnixMilli(5_000_000)) {
		t.Fatal("an expired session is live or touchable")
	}
	if e.count() != 4 {
		t.Fatalf("count %d before the closes applied, want 4", e.count())
	}
	for id := int64(1); id <= 4; id++ {
		e.remove(id)
	}
	if e.count() != 0 || len(e.buckets) != 0 || len(e.deadline) != 0 {
		t.Fatalf("after remove: count %d, buckets %v, deadlines %v", e.count(), e.buckets, e.deadline)
	}
}

// TestStallIsNotChargedToSessions: a tick more than two intervals after
// the previous one reports the whole gap as a stall, and shifting the
// expiry queue by it moves every deadline (to the next tick boundary) so
// that no session is due at the late tick; regular ticks report none.
func TestStallIsNotChargedToSessions(t *testing.T) {
	const tick = 100 * time.Millisecond
	var tr sessionTracker
	tr.init(tick)
	t0 := time.UnixMilli(1_000_000)
	if got := tr.stalled(t0, tick); got != 0 {
		t.Fatalf("first tick: stall %v", got)
	}
	if got := tr.stalled(t0.Add(2*tick), tick); got != 0 {
		t.Fatalf("a tick two intervals late: stall %v", got)
	}
	tr.created(1, time.Second, t0)   // due at 1,001,100
	tr.created(2, 3*time.Second, t0) // due at 1,003,100
	late := t0.Add(2*tick + 1500*time.Millisecond)
	stall := tr.stalled(late, tick)
	if stall != 1500*time.Millisecond {
		t.Fatalf("stall %v, want 1.5s", stall)
	}
	tr.exp.shift(stall)
	if got := tr.exp.expired(late); len(got) != 0 {
		t.Fatalf("sessions %v expired at the tick after a stall", got)
	}
	for id, want := range map[int64]int64{1: 1_002_700, 2: 1_004_700} {
		if got := tr.exp.deadline[id]; got != want {
			t.Errorf("session %d: bucket %d after the shift, want %d", id, got, want)
		}
		if _, ok := tr.exp.buckets[tr.exp.deadline[id]][id]; !ok {
			t.Errorf("session %d is not in its new bucket", id)
		}
	}
	if got := tr.exp.expired(time.UnixMilli(1_002_700)); len(got) != 1 || got[0] != 1 {
		t.Fatalf("expired at the shifted deadline: %v, want [1]", got)
	}
}
