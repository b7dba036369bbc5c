package contend

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

var errTest = errors.New("test lost")

func TestMonitorStopIsReleaseNotLoss(t *testing.T) {
	c := zktest.Dial(t)
	m := startMonitor(c, SessionOf(c), 0, errTest)
	if err := context.Cause(m.ctx); err != nil {
		t.Fatalf("cause %v while connected", err)
	}
	m.stop()
	<-m.ctx.Done()
	if err := context.Cause(m.ctx); !errors.Is(err, ErrReleased) || errors.Is(err, errTest) {
		t.Fatalf("after stop: cause %v, want ErrReleased", err)
	}
	m.stop() // idempotent
}

func TestMonitorSessionEndIsLoss(t *testing.T) {
	c := zktest.Dial(t)
	m := startMonitor(c, SessionOf(c), time.Hour, errTest)
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	zktest.Wait(t, m.ctx.Done(), 10*time.Second, "the monitor to see the session end")
	if err := context.Cause(m.ctx); !errors.Is(err, errTest) {
		t.Fatalf("after Close: cause %v, want errTest", err)
	}
	m.stop()
}
