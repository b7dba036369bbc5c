package main

import (
	"testing"

	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

// zabkitServers starts an in-process 3-server zabkit ensemble for the test
// and returns its connect string.
func zabkitServers(t *testing.T) string {
	t.Helper()
	return ensembletest.Start(t).Servers()
}

// zooKeeperServers returns the connect string of the Apache ZooKeeper
// ensemble in ZABKIT_ZK_SERVERS, or skips the test.
func zooKeeperServers(t *testing.T) string {
	t.Helper()
	return ensembletest.RequireExternal(t)
}
