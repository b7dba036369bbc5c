package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/zabkit/zabkit/examples/internal/exenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example runs to completion on an in-process ensemble, a leader's
// session expiring midway and that candidate leading again on its new
// session.
func TestRun(t *testing.T) {
	exenv.TestRun(t, run, "session expires", "leadership context ends", "leads again, on its new session", "tokens increasing")
}

// With -servers the example uses that ensemble and injects no fault.
func TestRunAgainstServers(t *testing.T) { exenv.TestRunAgainstServers(t, run) }
