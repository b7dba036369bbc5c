// Package ensemble runs a zabkit ensemble inside the current process, for
// tests and examples: N servers (in-memory storage by default, a directory
// on request) whose clients connect over loopback TCP, so that any
// ZooKeeper client — zabkit's, go-zookeeper/zk, the Java or C client —
// can use it, with fault injection on top.
//
//	e, err := ensemble.Start(ctx)                // 3 voters, returns once a leader is established
//	if err != nil { ... }
//	defer e.Close()
//	c, err := e.Connect(ctx)                     // a *client.Conn to e.Servers()
//	...
//	e.Kill(e.Leader())                           // kill -9 the leader; its unsynced log is lost
//	l, err := e.WaitLeader(ctx)                  // the survivors elect a new one
//	e.Restart(ctx, old)                          // back from what it had synced, same port
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
// WithTCPPeers uses loopback TCP instead,
// as separate processes would.
//
// The defaults are tuned for tests: tickTime 10ms (an election takes a
// few ticks), syncLimit 30 ticks (a dead leader is noticed within 300ms)
// and a maximum session timeout of one minute, so that a busy machine does
// not expire a test's sessions.
//
// # Faults
//
// Kill stops a server abruptly, as kill -9 or a power cut would; with
// in-memory storage the store crashes first: the killed server reaches it
// no more (an fsync in flight is abandoned) and it keeps what was synced
// plus a random prefix of what was appended since (WithSeed). Restart
// starts it again from what survived.
//
// The ensemble owns its in-memory stores and crashes them itself: each
// server incarnation gets a handle on its store that Kill severs before
// the crash (memstore.go), and the server no longer crashes a
// *storage.Mem it was given. Kill used to let the server finish its fsync
// in flight and crash the store afterwards, so a killed server never lost
// an appended but unsynced entry, and a leader dying between sending a
// PROPOSAL and logging it was never exercised outside core/zab's
// simulator (crash_test.go does now, with the leader's fsync held). Pause freezes a server (as SIGSTOP
// would: connections stay open, nothing is processed) until Resume.
// Partition splits the servers into groups that cannot reach each other;
// SetDrop and SetDelay make single links lossy or slow.
// DropClientConnections closes one server's client connections (sessions
// survive and move); ExpireSession expires a session at once. Digests and
// WaitConverged compare the replicas.
//
// # Speed
//
// BenchmarkStartConnected measures a 3-server in-memory ensemble started
// and a client session connected: 36ms median on the project's 2-core
// machine (Apache ZooKeeper's 3-process start there takes about 1.8s).
// About one start in ten takes half a second longer: a follower that
// decided before the leader finished its own election has its first
// FOLLOWERINFO refused and only retries after initLimit.
//
// Close stops every server and waits for all their goroutines.
package ensemble
