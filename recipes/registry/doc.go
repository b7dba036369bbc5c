// Package registry is service registration and discovery on ZooKeeper,
// interoperable with Apache Curator's service discovery
// (curator-x-discovery): each instance is a node <base>/<name>/<id>
// holding Curator's ServiceInstance JSON (name, id, address, port,
// sslPort, payload, registrationTimeUTC, serviceType, uriSpec, enabled).
// An Instance's zero values are the common case: it is enabled unless
// Disabled is set, as Curator reads a missing "enabled" as true.
// Dynamic instances are ephemeral nodes, DynamicSequential ones
// ephemeral-sequential nodes <base>/<name>/<id>NNNNNNNNNN (as Curator
// writes them), Static and Permanent ones persistent; the <base>/<name>
// parents are containers, removed by the server once a service has no
// instance left.
//
//	reg := registry.New(conn, "/services", registry.WithRedial(dial))
//	defer reg.Close(ctx)
//	err := reg.Register(ctx, registry.Instance{Name: "orders", ID: id, Address: "10.0.0.7", Port: registry.Int(8080)})
//
//	cache, err := registry.NewCache(ctx, conn, "/services", "orders")
//	defer cache.Close()
//	p := cache.Provider(registry.RoundRobin)
//	inst, err := p.Get()
//
//	insts, err := registry.QueryInstances(ctx, conn, "/services", "orders") // one read, no watch
//
// # Nodes that are not instances
//
// A node below a service whose data is not a service instance is never
// skipped silently. The one-shot queries (QueryNames, QueryInstances,
// QueryInstance: Curator's queryForNames, queryForInstances and
// queryForInstance) return the instances that parse together with an
// error matching ErrBadInstance that names each bad node (Curator's
// queryForInstances throws instead). A Cache leaves such nodes out of
// Instances, names them in BadNodes, and sends its list again on Changes
// when the set of bad nodes changes.
//
// # Faults
//
// A dynamic instance lives as long as the registering session. When that
// session expires, a Registry created WithRedial opens a new session and
// registers every instance again (Curator re-registers on reconnection);
// without it, the instances are gone and later calls fail with
// ErrSessionLost. A Cache follows the service through one
// persistent-recursive watch; while the client has no connection its
// content may be stale (Stale reports it) and after a reconnect it is read
// again in full, since persistent watches miss what happened meanwhile.
package registry
