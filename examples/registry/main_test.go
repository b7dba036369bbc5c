package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/zabkit/zabkit/examples/internal/exenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example runs to completion on an in-process ensemble: the consumer
// follows registrations, a clean departure, a process that dies without
// closing its session and its restart.
func TestRun(t *testing.T) {
	exenv.TestRun(t, run, "orders-3's process dies", "its ephemeral node is gone",
		"consumer sees orders at [10.0.0.11:8080 10.0.0.13:8080]", "done: the consumer now calls orders-")
}

// With -servers the example uses that ensemble and injects no fault.
func TestRunAgainstServers(t *testing.T) { exenv.TestRunAgainstServers(t, run) }
