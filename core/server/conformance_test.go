package server

import (
	"flag"
	"testing"
	"time"

	"github.com/zabkit/zabkit/internal/conformance"
)

var longTests = flag.Bool("server.long", false, "also run the slower redundant suites (conformance on one voter)")

// TestConformanceSingle runs the suite against a single voter (standalone).
func TestConformanceSingle(t *testing.T) {
	if !*longTests {
		t.Skip("redundant with the three-voter runs; enable with -server.long")
	}
	tc := newCluster(t, 1, 0, false)
	conformance.Run(t, tc.connect(), conformance.WithSuperDigest("super", "secret"),
		conformance.WithReapDeadline(20*time.Second))
}

func TestConformanceThreeVoters(t *testing.T) {
	tc := newCluster(t, 3, 0, false)
	conformance.Run(t, tc.connect(), conformance.WithSuperDigest("super", "secret"),
		conformance.WithReapDeadline(20*time.Second))
	tc.waitConverged()
}

func TestConformanceTCP(t *testing.T) {
	tc := newCluster(t, 3, 0, true)
	conformance.Run(t, tc.connect(), conformance.WithSuperDigest("super", "secret"),
		conformance.WithReapDeadline(20*time.Second))
	tc.waitConverged()
}
