// Package bridge is a fault-injecting TCP proxy between ZooKeeper clients
// and servers, for tests (the client-link half of etcd's integration
// bridge). A Bridge listens on loopback and forwards every connection to
// one server, any host:port: a server of the in-process ensemble or of an
// external ensemble (ZABKIT_ZK_SERVERS) alike. A Link is one Bridge per
// server of a connect string, with the connect string through them:
//
//	l, err := bridge.NewLink("127.0.0.1:2181,127.0.0.1:2182")
//	c, err := client.Dial(ctx, l.Servers())
//	l.Cut()  // the client loses its connection and cannot reconnect
//	l.Heal() // until now
//
// The faults, each on the client's side of the servers (the servers only
// see what a real network would show them):
//
//   - Cut closes every connection, both ways, and refuses new ones until
//     Heal: the client learns of it at once.
//   - Blackhole keeps the open connections open but drops every byte on
//     them, both ways, for good, and refuses new connections until Heal:
//     the client notices only when its read timeout passes, the servers
//     when the session timeout does.
//   - CutAfter forwards the next request with a given op code, then closes
//     its connection before the reply can pass: the server applies the
//     request, the client never hears of it (a lost reply).
//   - SetDelay holds every chunk of bytes for a while before forwarding it.
//   - BeforeRequest runs a function before each request reaches the
//     server, for a deterministic window between two requests.
//
// A refused connection is accepted and closed at once, which a client sees
// as a server that hung up during the handshake.
package bridge
