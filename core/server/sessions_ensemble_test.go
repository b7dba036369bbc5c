package server_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/ensemble"
)

// logWatch is a slog handler that signals the first record with a given
// message logged by a given server.
type logWatch struct {
	server string // the "server" attribute collected by WithAttrs
	w      *logWaits
}

type logWaits struct {
	mu    sync.Mutex
	waits map[string]chan struct{} // "server/message" -> closed when logged
}

func newLogWatch() *logWatch { return &logWatch{w: &logWaits{waits: map[string]chan struct{}{}}} }

// logged returns a channel closed once server id logs msg.
func (h *logWatch) logged(id uint64, msg string) <-chan struct{} {
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	return h.w.ch(fmt.Sprint(id) + "/" + msg)
}

func (w *logWaits) ch(key string) chan struct{} {
	c, ok := w.waits[key]
	if !ok {
		c = make(chan struct{})
		w.waits[key] = c
	}
	return c
}

func (h *logWatch) Enabled(context.Context, slog.Level) bool { return true }

func (h *logWatch) Handle(_ context.Context, r slog.Record) error {
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	c := h.w.ch(h.server + "/" + r.Message)
	select {
	case <-c:
	default:
		close(c)
	}
	return nil
}

func (h *logWatch) WithAttrs(as []slog.Attr) slog.Handler {
	out := *h
	for _, a := range as {
		if a.Key == "server" {
			out.server = a.Value.String()
		}
	}
	return &out
}

func (h *logWatch) WithGroup(string) slog.Handler { return h }

// TestReconnectToCutOffLearnerIsRevalidatedByLeader: a learner that no
// longer hears from the leader (its links silently delayed, within
// syncLimit, so it still thinks it follows) does not accept a client
// reconnecting with a session the leader has expired meanwhile: it asks
// the leader and waits. The client is never told it is connected (so it
// cannot see its old ephemeral lock there); once the learner hears from
// the leader again, the client learns that its session expired.
func TestReconnectToCutOffLearnerIsRevalidatedByLeader(t *testing.T) {
	for _, tc := range []struct {
		name      string
		observers int
	}{{"follower", 0}, {"observer", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			logs := newLogWatch()
			// syncLimit 5s: the cut-off learner stays FOLLOWING or
			// OBSERVING (serving clients) for the whole test.
			e, err := ensemble.Start(ctx, ensemble.WithObservers(tc.observers), ensemble.WithLimits(50, 500),
				ensemble.WithLogger(slog.New(logs)))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = e.Close() }()
			if err := e.WaitServing(ctx); err != nil {
				t.Fatal(err)
			}
			leader := e.Leader()
			learner := (leader + 1) % 3
			if tc.observers > 0 {
				learner = 3
			}

			owner, err := e.ConnectTo(ctx, leader, client.WithSessionRenewal(false)) // ends with its session
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = owner.Close(context.Background()) }()
			if _, _, err := owner.Create(ctx, "/lock", nil, client.ModeEphemeral, nil); err != nil {
				t.Fatal(err)
			}
			id, passwd := owner.SessionID(), owner.SessionPassword()
			// The learner has the session and its lock.
			reader, err := e.ConnectTo(ctx, learner)
			if err != nil {
				t.Fatal(err)
			}
			if err := reader.Sync(ctx, "/lock"); err != nil {
				t.Fatal(err)
			}
			if ok, _, err := reader.Exists(ctx, "/lock"); err != nil || !ok {
				t.Fatalf("the learner does not have the lock: %v %v", ok, err)
			}
			_ = reader.Close(ctx)

			// Cut the learner off silently: nothing reaches it or leaves it.
			cut := func(d time.Duration) {
				for j := 0; j < e.Size(); j++ {
					if j != learner {
						if err := e.SetDelay(learner, j, d); err != nil {
							t.Fatal(err)
						}
						if err := e.SetDelay(j, learner, d); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			cut(time.Hour)
			if err := e.ExpireSession(ctx, id); err != nil {
				t.Fatal(err)
			}
			select {
			case <-owner.Done():
			case <-ctx.Done():
				t.Fatal("the owner was not told its session expired")
			}

			type result struct {
				c   *client.Conn
				err error
			}
			dialed := make(chan result, 1)
			go func() {
				c, err := client.Dial(ctx, e.ClientAddr(learner), client.WithSession(id, passwd), client.WithSessionRenewal(false))
				dialed <- result{c, err}
			}()
			select {
			case r := <-dialed:
				if r.err == nil {
					_ = r.c.Close(context.Background())
					t.Fatal("a learner cut off from the leader told the client its expired session is connected")
				}
				t.Fatalf("reconnect answered without the leader: %v", r.err)
			case <-logs.logged(e.ID(learner), "revalidating session with the leader"):
			case <-ctx.Done():
				t.Fatal("the learner did not ask the leader")
			}
			cut(0)
			r := <-dialed
			if r.err == nil {
				_ = r.c.Close(context.Background())
				t.Fatal("the expired session connected")
			}
			if !errors.Is(r.err, client.ErrSessionExpired) {
				t.Fatalf("reconnect: %v, want ErrSessionExpired", r.err)
			}
		})
	}
}

// TestLeaderStallDoesNotExpirePingingSessions: the leader stands still
// (Pause, as SIGSTOP) for 1.5 session timeouts, shorter than syncLimit,
// while clients keep pinging the followers, which relay their touches.
// When it resumes, its first tick must not expire those sessions before
// it has taken the relayed touches: every session and its ephemeral
// survive each of three stalls.
func TestLeaderStallDoesNotExpirePingingSessions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const timeout = time.Second
	e, err := ensemble.Start(ctx, ensemble.WithLimits(50, 400), // syncLimit 4s > the stall
		ensemble.WithServerConfig(func(_ uint64, c *server.Config) { c.ContainerCheckInterval = 20 * time.Millisecond }))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = e.Close() }()
	if err := e.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	leader := e.Leader()
	followers := e.Followers()
	reader, err := e.ConnectTo(ctx, followers[0])
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = reader.Close(context.Background()) }()
	if _, _, err := reader.Create(ctx, "/s", nil, client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	var sessions []*client.Conn
	for i := range 6 {
		c, err := e.ConnectTo(ctx, followers[i%len(followers)], client.WithSessionTimeout(timeout))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close(context.Background()) }()
		if c.SessionTimeout() != timeout {
			t.Fatalf("session timeout %v, want %v", c.SessionTimeout(), timeout)
		}
		if _, _, err := c.Create(ctx, fmt.Sprintf("/s/%d", i), nil, client.ModeEphemeral, nil); err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, c)
	}

	// Three stalls: on the old code a stall lost every session only when
	// the leader's tick came before the relayed touches, most of the time.
	for round := range 3 {
		stall(ctx, t, e, reader, leader, timeout*3/2, fmt.Sprintf("/c%d", round))
		kids, _, err := reader.Children(ctx, "/s")
		if err != nil {
			t.Fatal(err)
		}
		if len(kids) != len(sessions) {
			t.Fatalf("after the leader's stall %d, %d of %d ephemerals are left: %v", round, len(kids), len(sessions), kids)
		}
		for i, c := range sessions {
			if st := c.State(); st.Terminal() {
				t.Fatalf("session %d ended: %v (%v)", i, st, c.Err())
			}
		}
	}
}

// stall pauses the leader for d, resumes it, and returns once the leader
// has ticked after it resumed and every replica applied what that tick
// proposed: the leader reaps a container emptied after the resume on a
// later tick, after the sessions' expiry of that tick.
func stall(ctx context.Context, t *testing.T, e *ensemble.Ensemble, c *client.Conn, leader int, d time.Duration, container string) {
	t.Helper()
	if _, _, err := c.Create(ctx, container, nil, client.ModeContainer, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Create(ctx, container+"/x", nil, client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.Pause(leader); err != nil {
		t.Fatal(err)
	}
	select { // the stall itself: a fault of fixed length, not a wait for an event
	case <-time.After(d):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	if err := e.Resume(leader); err != nil {
		t.Fatal(err)
	}
	ok, _, gone, err := c.ExistsW(ctx, container)
	if err != nil || !ok {
		t.Fatalf("container: %v %v", ok, err)
	}
	if err := c.Delete(ctx, container+"/x", -1); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-gone:
		if ev.Type != client.EventNodeDeleted {
			t.Fatalf("container event %v", ev.Type)
		}
	case <-ctx.Done():
		t.Fatal("the leader did not reap the emptied container")
	}
}
