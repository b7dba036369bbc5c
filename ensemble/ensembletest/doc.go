// Package ensembletest starts an in-process zabkit ensemble for one test:
//
//	func TestLock(t *testing.T) {
//		e := ensembletest.Start(t)              // 3 servers, in memory
//		c := ensembletest.Connect(t, e)         // a session, closed at cleanup
//		...
//		e.Kill(e.Leader())                      // faults from package ensemble
//	}
//
// Start registers cleanup with t: the ensemble is closed (and, unless the
// test already failed, its replicas must have converged to equal digests
// first). The servers log into a buffer that is printed only when the test
// fails.
package ensembletest
