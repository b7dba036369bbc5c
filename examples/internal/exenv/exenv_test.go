package exenv

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStartInProcessAndConnect(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := Start(ctx, io.Discard, "")
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if cl.Ensemble == nil || cl.Servers != cl.Ensemble.Servers() {
		t.Fatalf("in-process cluster %+v", cl)
	}
	c, err := cl.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestStartExternalStartsNothing(t *testing.T) {
	e := ensembletest.Start(t, ensemble.WithSize(1))
	var out bytes.Buffer
	cl, err := Start(context.Background(), &out, e.Servers())
	if err != nil {
		t.Fatal(err)
	}
	if cl.Ensemble != nil || cl.Servers != e.Servers() {
		t.Fatalf("external cluster %+v", cl)
	}
	if want := "using the ensemble at " + e.Servers(); !strings.Contains(out.String(), want) {
		t.Fatalf("output %q lacks %q", out.String(), want)
	}
	if err := cl.Close(); err != nil {
		t.Fatalf("Close of an external cluster: %v", err)
	}
}
