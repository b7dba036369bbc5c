package client_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestExamples runs the Example functions against the ensemble in
// ZABKIT_ZK_SERVERS (they have no Output comment, so go test alone only
// compiles them).
func TestExamples(t *testing.T) {
	if os.Getenv("ZABKIT_ZK_SERVERS") == "" {
		t.Skip("examples need a ZooKeeper ensemble: set ZABKIT_ZK_SERVERS to run them")
	}
	for name, f := range map[string]func(){
		"Dial": ExampleDial, "Create": ExampleConn_Create, "GetW": ExampleConn_GetW,
		"AddWatch": ExampleConn_AddWatch, "Multi": ExampleConn_Multi, "Retry": ExampleRetry,
		"CreateProtected": ExampleConn_CreateProtected,
	} {
		t.Run(name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			f()
		})
	}
}
