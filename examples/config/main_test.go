package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/zabkit/zabkit/examples/internal/exenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example runs to completion on an in-process ensemble, the
// application's server killed midway.
func TestRun(t *testing.T) {
	exenv.TestRun(t, run, "killing server", "application sees db/url = postgres://db4/orders", "db/url = postgres://db4/orders (stale: false)")
}

// With -servers the example uses that ensemble and injects no fault.
func TestRunAgainstServers(t *testing.T) { exenv.TestRunAgainstServers(t, run) }
