package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/zabkit/zabkit/examples/internal/exenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example runs to completion on an in-process ensemble: the leader is
// killed midway and the fencing tokens still increase.
func TestRun(t *testing.T) {
	exenv.TestRun(t, run, "killing the ensemble's leader", "strictly increasing")
}

// With -servers the example uses that ensemble and injects no fault.
func TestRunAgainstServers(t *testing.T) { exenv.TestRunAgainstServers(t, run) }
