package server

import (
	"testing"
	"time"

	"github.com/zabkit/zabkit/internal/conformance"
)

func TestConformanceSingle(t *testing.T) {
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
