package server_test

import (
	"flag"
	"testing"
	"time"

	"github.com/zabkit/zabkit/ensemble"
	"github.com/zabkit/zabkit/internal/conformance"
)

var longTests = flag.Bool("server.long", false, "also run the slower redundant suites (conformance on one voter)")

// conformanceEnsemble starts the ensemble the suite runs against
// (startEnsemble: super:secret is the super user, containers are reaped
// within 100ms).
func conformanceEnsemble(t *testing.T, opts ...ensemble.Option) *ensemble.Ensemble {
	t.Helper()
	return startEnsemble(t, opts...)
}

func runConformance(t *testing.T, e *ensemble.Ensemble) {
	conformance.Run(t, e.Servers(), conformance.WithSuperDigest("super", "secret"),
		conformance.WithReapDeadline(20*time.Second))
}

// TestConformanceSingle runs the suite against a single voter (standalone).
func TestConformanceSingle(t *testing.T) {
	if !*longTests {
		t.Skip("redundant with the three-voter runs; enable with -server.long")
	}
	runConformance(t, conformanceEnsemble(t, ensemble.WithSize(1)))
}

// TestConformanceThreeVoters runs the suite against three voters on the
// in-memory peer network; at cleanup the replicas must have converged.
func TestConformanceThreeVoters(t *testing.T) {
	runConformance(t, conformanceEnsemble(t))
}

// TestConformanceTCP runs it against three voters talking over loopback
// TCP, as separate processes would.
func TestConformanceTCP(t *testing.T) {
	runConformance(t, conformanceEnsemble(t, ensemble.WithTCPPeers()))
}
