package exenv

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

// RunFunc is an example's body: it runs against servers (an in-process
// ensemble when empty) and narrates to out.
type RunFunc func(ctx context.Context, out io.Writer, servers string) error

// TestRun runs an example to completion on its own in-process ensemble and
// checks that its narrative contains each of wants.
func TestRun(t *testing.T, run RunFunc, wants ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out, ""); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range wants {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	t.Log("\n" + out.String())
}

// TestRunAgainstServers runs an example with -servers pointing at another
// in-process ensemble (standing in for an external cluster, into which the
// example injects no fault) and checks that it says which ensemble it uses.
func TestRunAgainstServers(t *testing.T, run RunFunc) {
	t.Helper()
	e := ensembletest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out, e.Servers()); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !bytes.Contains(out.Bytes(), []byte("using the ensemble at "+e.Servers())) {
		t.Errorf("output does not name the ensemble:\n%s", out.String())
	}
}
