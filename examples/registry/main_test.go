package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/zabkit/zabkit/examples/internal/exenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example runs to completion on an in-process ensemble: the consumer
// follows registrations, a clean departure and a crash.
func TestRun(t *testing.T) {
	exenv.TestRun(t, run, "orders-3 crashes", "done: the consumer now calls orders-1")
}

// With -servers the example uses that ensemble and injects no fault.
func TestRunAgainstServers(t *testing.T) { exenv.TestRunAgainstServers(t, run) }
