package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/zabkit/zabkit/examples/internal/exenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example runs to completion on an in-process ensemble.
func TestRun(t *testing.T) {
	exenv.TestRun(t, run, "every worker's Watch saw it", "the counter reads 60", "conflict, the limit stays 5", "done")
}

// With -servers the example uses that ensemble.
func TestRunAgainstServers(t *testing.T) { exenv.TestRunAgainstServers(t, run) }
