package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The process tests run this test binary as `zabkit`.
	if os.Getenv(beBinaryEnv) == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}
