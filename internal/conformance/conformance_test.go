package conformance

import (
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestZooKeeper runs the suite against the ensemble named by
// ZABKIT_ZK_SERVERS (a connect string; .ci/run starts Apache ZooKeeper 3.8
// with scripts/zk-ensemble.sh and sets it). ZABKIT_ZK_SUPER=user:password
// names the digest super user the servers were started with.
func TestZooKeeper(t *testing.T) {
	servers := ensembletest.RequireExternal(t) // start one with scripts/zk-ensemble.sh start
	var opts []Option
	if user, pass, ok := strings.Cut(os.Getenv("ZABKIT_ZK_SUPER"), ":"); ok {
		opts = append(opts, WithSuperDigest(user, pass))
	}
	Run(t, servers, opts...)
}
