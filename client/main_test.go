package client

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testCtx returns a context bounded for one test.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitState reads states until want (failing on a terminal state).
func waitState(t *testing.T, states <-chan State, want State) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case s, ok := <-states:
			if !ok {
				t.Fatalf("state stream closed before %v", want)
			}
			if s == want {
				return
			}
			if s.Terminal() {
				t.Fatalf("state %v before %v", s, want)
			}
		case <-timeout:
			t.Fatalf("no state %v within 20s", want)
		}
	}
}

// recvEvent waits for one event on ch.
func recvEvent(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("watch channel closed without an event")
		}
		return ev
	case <-time.After(20 * time.Second):
		t.Fatal("no watch event within 20s")
	}
	return Event{}
}
