package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zabkit/zabkit/ensemble"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example runs to completion on an in-process ensemble, the
// application's server killed midway.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out, ""); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"killing server", "application sees db/url = postgres://db4/orders", "db/url = postgres://db4/orders (stale: false)"} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	t.Log("\n" + out.String())
}

// With -servers the example uses that ensemble (here another in-process
// one, standing in for an external cluster) and injects no fault.
func TestRunAgainstServers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := ensemble.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var out bytes.Buffer
	if err := run(ctx, &out, e.Servers()); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !bytes.Contains(out.Bytes(), []byte("using the ensemble at "+e.Servers())) {
		t.Errorf("output does not name the ensemble:\n%s", out.String())
	}
}
