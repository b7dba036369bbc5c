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
// core/server runs the suite against zabkit servers. This package's own
// test runs it against the ensemble named by ZABKIT_ZK_SERVERS (with
// ZABKIT_ZK_SUPER=user:password as the digest super user, if set) and is
// skipped without one:
//
//	scripts/zk-ensemble.sh start
//	ZABKIT_ZK_SERVERS=127.0.0.1:21851,127.0.0.1:21852,127.0.0.1:21853 \
//	ZABKIT_ZK_SUPER=super:zabkit-super go test ./internal/conformance/
//
// Every check runs through each client driver that can express it: zabkit's
// own client (package client) and github.com/go-zookeeper/zk as a
// third-party client. A check that needs an operation a driver lacks is
// skipped for that driver only, and a check that needs a server feature the
// backend lacks (whoAmI, TTL nodes) is skipped for that backend only, after
// probing the server; the skip message says why.
//
// Waiting is done on events (watches, session states); server-side timers
// such as container and TTL reaping are awaited with an exists watch bounded
// by a deadline (WithReapDeadline). Deadlines are upper bounds for a slow
// machine, never timing assertions. Checks that read what another session
// wrote call sync first: ZooKeeper promises a session its own writes in
// order, another session's only after a sync.
//
// Apache ZooKeeper 3.8 behaviour the checks pin down, which a compatible
// server has to reproduce:
//
//   - Clients see cversion = 2*creates - numChildren (DataNode.copyStat);
//     the server keeps the number of creates, and a sequential suffix is that
//     number, not the visible cversion: deletes bump cversion but not the
//     sequence counter.
//   - Containers and TTL nodes show ephemeralOwner 0 to clients; the
//     type marker stays inside the server.
//   - Empty data is not null: getData (and a multiRead's getData) answers
//     length 0 for a node created or set with empty data and length -1
//     for one created or set with null data, whatever the create op or
//     mode, inside a multi too, on every server; stat.dataLength is 0 for
//     both; /, /zookeeper and /zookeeper/quota hold empty data.
//   - A failed multi replies with header error 0; the ops before the failing
//     one report 0, the failing one its code, the later ones
//     RuntimeInconsistency (-2). All ops of a multi share one zxid.
//   - SetWatches re-fires one-shot watches from the client's last zxid
//     (NodeDeleted if gone, NodeDataChanged if mzxid is newer, NodeCreated for
//     exist watches, NodeChildrenChanged if pzxid is newer), but only re-adds
//     persistent watches: changes made while the client was away are not
//     delivered to them.
//   - A watch event precedes the reply of the write that fired it on the
//     same connection; setACL fires no watch; a refused read sets no watch.
//   - delete / and delete /zookeeper answer BadArguments; create / answers
//     NodeExists; addAuth with an unknown scheme answers AuthFailed and drops
//     the connection; reconfig answers ReconfigDisabled unless enabled.
//   - getACL needs READ or ADMIN; exists on an existing node needs READ
//     since 3.8.4 (3.8.0 to 3.8.3 need no permission: the suite reads the
//     server's version with the srvr four-letter word); deleting a
//     child needs DELETE on the parent only; "auth" ACLs expand to the
//     session's digest identities and are InvalidACL without one.
package conformance
