package ensembletest

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
)

// Timeout bounds Start, Connect and the checks at cleanup.
const Timeout = 30 * time.Second

// Start starts an ensemble (ensemble.Start with opts; a WithLogger among
// them is replaced by the test's log buffer) and stops it at cleanup.
func Start(t testing.TB, opts ...ensemble.Option) *ensemble.Ensemble {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	e, err := ensemble.Start(ctx, append(opts, ensemble.WithLogger(logger))...)
	if err != nil {
		t.Logf("ensemble logs:\n%s", logs.String())
		t.Fatalf("ensembletest: %v", err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			checkConverged(t, e)
		}
		if err := e.Close(); err != nil {
			t.Errorf("ensembletest: close: %v", err)
		}
		if t.Failed() {
			t.Logf("ensemble logs:\n%s", logs.String())
		}
	})
	return e
}

// checkConverged heals the ensemble, resumes paused servers and checks that
// every running replica reaches the same digest.
func checkConverged(t testing.TB, e *ensemble.Ensemble) {
	t.Helper()
	_ = e.Heal()
	for i := 0; i < e.Size(); i++ {
		_ = e.Resume(i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := e.WaitConverged(ctx); err != nil {
		t.Errorf("ensembletest: replicas differ at the end of the test: %v (digests %v)", err, e.Digests())
	}
}

// Connect opens a session to e and closes it at cleanup.
func Connect(t testing.TB, e *ensemble.Ensemble, opts ...client.Option) *client.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	c, err := e.Connect(ctx, opts...)
	if err != nil {
		t.Fatalf("ensembletest: connect to %s: %v", e.Servers(), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	return c
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
