package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/zabkit/zabkit/examples/internal/exenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example runs to completion on an in-process ensemble.
func TestRun(t *testing.T) {
	exenv.TestRun(t, run, "worker 2 starts job-1 and crashes", "worker 1 does job-1", "done: all 6 jobs")
}

// With -servers the example uses that ensemble.
func TestRunAgainstServers(t *testing.T) { exenv.TestRunAgainstServers(t, run) }
