package zab

import (
	"flag"
	"testing"

	"go.uber.org/goleak"
)

var (
	flagSeeds = flag.Int("seeds", 0, "number of simulator seeds to run (default 2000, 200 with -short)")
	flagSeed  = flag.Int64("seed", -1, "run only this simulator seed")
	flagSteps = flag.Int("steps", 0, "random steps per seed (default 2000)")
	flagFrom  = flag.Int("seedfrom", 1, "first simulator seed of a -seeds run")
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
