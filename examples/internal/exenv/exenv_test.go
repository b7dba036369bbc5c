package exenv

import (
	"context"
	"io"
	"testing"
	"time"

	"go.uber.org/goleak"
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
	if cl.E == nil || cl.Servers != cl.E.Servers() {
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
