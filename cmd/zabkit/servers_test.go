package main

import (
	"os"
	"testing"
)

// cliServers returns the connect string the cli tests run against.
func cliServers(t *testing.T) string {
	t.Helper()
	s := os.Getenv("ZABKIT_ZK_SERVERS")
	if s == "" {
		t.Skip("set ZABKIT_ZK_SERVERS to a ZooKeeper connect string to run the cli against it")
	}
	return s
}
