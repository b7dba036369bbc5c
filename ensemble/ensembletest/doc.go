// Package ensembletest starts an in-process zabkit ensemble for one test:
//
//	func TestLock(t *testing.T) {
//		e := ensembletest.Start(t)              // 3 servers, in memory
//		c := ensembletest.Connect(t, e)         // a session, closed at cleanup
//		...
//		e.Kill(e.Leader())                      // faults from package ensemble
//	}
//
// Start registers cleanup with t: unless the test already failed, the
// ensemble is healed, its paused servers resumed, and its running replicas
// must converge to equal digests; then it is closed. The servers log into a
// buffer that is printed only when the test fails.
//
// Tests that run against Apache ZooKeeper too use Use instead of Start:
// the ensemble named by ZABKIT_ZK_SERVERS when it is set, otherwise the
// test's own in-process one, so plain `go test ./...` runs them without
// Java:
//
//	b := ensembletest.Use(t)                // b.Servers: a connect string
//	l := ensembletest.Link(t, b.Servers)    // a client link that can be cut
//	c, err := client.Dial(ctx, l.Servers())
//	l.Blackhole()                           // the client's network fails
//	e := ensembletest.InProcess(t)          // server faults: skips on an external ensemble
package ensembletest
