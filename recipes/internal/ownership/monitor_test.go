package ownership

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zabkit/zabkit/recipes/internal/zktest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errTest = errors.New("test lost")

func TestStopIsReleaseNotLoss(t *testing.T) {
	c := zktest.Dial(t)
	m := Start(c, 0, errTest)
	if m.Cause() != nil {
		t.Fatalf("cause %v while connected", m.Cause())
	}
	m.Stop()
	<-m.Done()
	if m.Lost() || !errors.Is(m.Cause(), ErrReleased) {
		t.Fatalf("after Stop: lost %v cause %v", m.Lost(), m.Cause())
	}
	m.Stop() // idempotent
}

func TestSessionEndIsLoss(t *testing.T) {
	c := zktest.Dial(t)
	m := Start(c, time.Hour, errTest)
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	zktest.Wait(t, m.Done(), 10*time.Second, "the monitor to see the session end")
	if !m.Lost() || !errors.Is(m.Cause(), errTest) {
		t.Fatalf("after Close: lost %v cause %v", m.Lost(), m.Cause())
	}
	m.Stop()
}
