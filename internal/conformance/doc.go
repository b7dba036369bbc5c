// Package conformance is a table-driven test suite that checks ZooKeeper
// behaviour through a connect string: every operation and its error codes, the
// Stat fields after each operation, sequential naming, ephemerals and session
// expiry, container and TTL reaping, ACLs and digest auth, multi atomicity,
// watch kinds and event order, and watch re-registration after a reconnect.
//
// The suite needs nothing from the server but the ZooKeeper client protocol,
// so the same checks run against Apache ZooKeeper 3.8 (scripts/zk-ensemble.sh)
// and against a zabkit ensemble:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, "127.0.0.1:21851,127.0.0.1:21852,127.0.0.1:21853")
//	}
//
// Every check runs through each client driver that can express it: zabkit's
// own client and github.com/go-zookeeper/zk as a third-party client. A check
// that needs an operation a driver lacks is skipped for that driver only, and a
// check that needs a server feature the backend lacks (whoAmI before ZooKeeper
// 3.8.1) is skipped for that backend only, after probing the server; the skip
// message says why.
//
// Waiting is done on events (watches, session states) or, for server-side
// timers such as container and TTL reaping, by polling with a deadline. The
// deadlines are upper bounds for a slow machine, never timing assertions.
package conformance
