package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/zabkit/zabkit/examples/internal/exenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example runs to completion on an in-process ensemble: members see
// each other join, a payload change, a process that dies without closing
// its session leave, and a clean departure.
func TestRun(t *testing.T) {
	exenv.TestRun(t, run,
		"worker-1 sees everyone: [worker-1=10.0.0.1:8080 worker-2=10.0.0.2:8080 worker-3=10.0.0.3:8080]",
		"worker-1 sees worker-2's new address: [worker-1=10.0.0.1:8080 worker-2=10.0.0.22:8080 worker-3=10.0.0.3:8080]",
		"its member node is gone", "done: the group is [worker-1=10.0.0.1:8080]")
}

// With -servers the example uses that ensemble.
func TestRunAgainstServers(t *testing.T) { exenv.TestRunAgainstServers(t, run) }
