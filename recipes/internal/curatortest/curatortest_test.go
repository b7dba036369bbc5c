package curatortest

import (
	"context"
	"slices"
	"testing"
	"time"
)

// A started program streams its lines, obeys commands and finishes on
// "stop" with the lines it printed on the way out.
func TestStartSendStop(t *testing.T) {
	j := New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := j.Start(t, "Echo", "a", "b")
	if f := p.Expect(ctx, t, "ready"); f[1] != "a,b" {
		t.Fatalf("ready line %q, want the arguments a,b", f)
	}
	p.Send(t, "hello\tworld")
	if f := p.Next(ctx, t); !slices.Equal(f, []string{"echo", "hello", "world"}) {
		t.Fatalf("echo line %q", f)
	}
	p.Send(t, "stop")
	if f := p.Next(ctx, t); !slices.Equal(f, []string{"bye"}) {
		t.Fatalf("line after stop %q, want bye", f)
	}
	if err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop after exit: %v", err)
	}
}

// Run returns all lines of a program that ends once its stdin closes, and
// a program still running at the test's end is stopped by cleanup (the
// leak check in TestMain fails if its reader goroutine is left).
func TestRunAndCleanup(t *testing.T) {
	j := New(t)
	t.Run("cleanup", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		p := j.Start(t, "Echo")
		p.Expect(ctx, t, "ready")
	})
	p := j.Start(t, "Echo", "x")
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// A program that exits with an error reports it with its status.
func TestExitError(t *testing.T) {
	j := New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := j.Start(t, "Echo", "fail")
	if err := p.Wait(ctx); err == nil {
		t.Fatal("Wait of a program that exited with status 3: nil error")
	}
}
