package client

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// TestOptionsApplyOnlyWhereTheyMeanSomething: one Option type serves Dial,
// Retry/RetryValue and CreateProtected; an option given to a call it does
// not configure makes that call fail with ErrBadArguments, naming the
// option, before the call does anything.
func TestOptionsApplyOnlyWhereTheyMeanSomething(t *testing.T) {
	ctx := context.Background()
	noDial := WithDialer(func(context.Context, string, string) (net.Conn, error) {
		t.Error("Dial dialed although one of its options does not apply to it")
		return nil, errors.New("no dial")
	})
	fast := WithRetryBackOff(func() backoff.BackOff { return &backoff.ZeroBackOff{} })

	_, err := Dial(ctx, "127.0.0.1:1", noDial, fast, WithParentContainers())
	if !errors.Is(err, ErrBadArguments) || !strings.Contains(err.Error(), "WithRetryBackOff, WithParentContainers") {
		t.Fatalf("Dial with retry and create options = %v, want ErrBadArguments naming both", err)
	}

	calls := 0
	op := func(context.Context) error { calls++; return nil }
	for _, opt := range []Option{WithSessionTimeout(time.Second), WithDigestAuth("u", "p"), WithParentContainers()} {
		if err := Retry(ctx, op, fast, opt); !errors.Is(err, ErrBadArguments) {
			t.Fatalf("Retry with a non-retry option = %v, want ErrBadArguments", err)
		}
	}
	if calls != 0 {
		t.Fatalf("Retry ran op %d times with a misplaced option, want 0", calls)
	}
	if err := Retry(ctx, op, fast, WithRetryIf(IsRetryable), nil); err != nil || calls != 1 {
		t.Fatalf("Retry with its own options (and a nil one) = %v after %d calls, want nil after 1", err, calls)
	}

	// A Conn with no server: CreateProtected must refuse before sending.
	var c Conn
	_, _, err = c.CreateProtected(ctx, "/a/lock-", nil, ModeEphemeralSequential, nil, WithParentContainers(), fast, WithReadOnly())
	if !errors.Is(err, ErrBadArguments) || !strings.Contains(err.Error(), "WithReadOnly") {
		t.Fatalf("CreateProtected with WithReadOnly = %v, want ErrBadArguments naming it", err)
	}
}
