// Package ensemble runs a zabkit ensemble inside the current process, for
// tests and examples: N servers (in-memory storage by default, a directory
// on request) whose clients connect over loopback TCP, so that any
// ZooKeeper client — zabkit's, go-zookeeper/zk, the Java or C client —
// can use it, with fault injection on top.
//
//	e, err := ensemble.Start(ctx)                // 3 voters; returns once a leader is established and all serve
//	if err != nil { ... }
//	defer e.Close()
//	c, err := e.Connect(ctx)                     // a *client.Conn to e.Servers()
//	...
//	old := e.Leader()
//	e.Kill(old)                                  // kill -9 the leader: it may lose what it had not synced
//	l, err := e.WaitLeader(ctx)                  // the survivors elect a new one
//	e.Restart(ctx, old)                          // back from what its store kept, same port
//	e.Partition([]int{0}, []int{1, 2})           // cut server 0 off from 1 and 2
//	e.Heal()
//	e.WaitConverged(ctx)                         // every replica applied the same txns
//
// In tests, package ensembletest starts one per test with cleanup and
// prints the servers' logs when the test fails. Open returns an external
// ensemble named by its connect string, or starts one when none is named
// (the examples' -servers, the tests' ZABKIT_ZK_SERVERS). Package
// ensemble/bridge cuts, blackholes or delays a client's own link to any
// server, in-process or external.
//
// # Servers
//
// Servers are numbered from 0 in every method; server i has ZooKeeper id
// i+1. Observers (WithObservers) come after the voters. Every server
// listens for clients on a free loopback port (or WithClientPorts), kept
// across Restart so the connect string of Servers stays valid. The
// servers talk to each other over an in-memory network whose links can be
// cut, made lossy or slow (Partition, Isolate, SetDrop, SetDelay, Heal);
// WithTCPPeers uses loopback TCP instead, as separate processes would, and
// then those link faults are not available (ErrNotSupported).
//
// The defaults are tuned for tests: tickTime 10ms (an election takes a
// few ticks), syncLimit 30 ticks (a dead leader is noticed within 300ms)
// and a maximum session timeout of one minute, so that a busy machine does
// not expire a test's sessions. Close stops every server and waits for
// all their goroutines.
//
// # Faults
//
// Kill stops a server abruptly, as kill -9 or a power cut would. With
// in-memory storage the ensemble, which owns the stores, crashes the
// server's store first: from then on the killed server cannot reach it (an
// fsync in flight is abandoned), and the store keeps what was synced plus
// a random prefix of the entries appended since (none to all, drawn from
// WithSeed), as a disk may: a leader killed after sending a proposal but
// before syncing it may lose the proposal from its own log. Stop shuts a
// server down cleanly instead (as SIGTERM would). Restart starts a killed
// or stopped server again from what its store kept.
//
// Pause freezes a server (as SIGSTOP would: connections stay open, nothing
// is processed) until Resume. Partition splits the servers into groups
// that cannot reach each other; SetDrop and SetDelay make single links
// lossy or slow. DropClientConnections closes one server's client
// connections (sessions survive and move); ExpireSession expires a session
// at once. Digests and WaitConverged compare the replicas.
//
// # Speed
//
// Starting a 3-server in-memory ensemble and connecting a client session
// usually takes a few tens of milliseconds, so every test can have its own
// ensemble; a benchmark measures it, and its figures are in
// docs/benchmarks.md.
package ensemble
