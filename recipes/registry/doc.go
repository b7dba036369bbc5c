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
//	conn, err := client.Dial(ctx, servers, client.WithSessionRenewal(true))
//	reg := registry.New(conn, "/services")
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
// # Faults and session expiry
//
// A dynamic instance lives as long as the registering session. A Registry
// uses its Conn's current session; it has no session of its own.
//
//   - With client.WithSessionRenewal(true) the Conn opens a new session
//     when one expires, and the Registry registers every instance again
//     on it (Curator re-registers on reconnection), replacing a node the
//     old session may have left for a moment. Consumers see a dynamic
//     instance leave when the servers expire its session and come back
//     once it is registered again. Register, Update and Unregister called
//     meanwhile wait for the new session (bounded by ctx).
//   - Without renewal the Conn is finished: its dynamic instances are gone
//     for good, Register and Update fail with ErrSessionLost, Unregister
//     of a dynamic instance and Close succeed (the nodes went with the
//     session). Dial a new Conn and make a new Registry.
//
// A Cache follows the service with a recipes/cache Cache (one persistent
// recursive watch, or one-shot watches before ZooKeeper 3.6). While the
// client has no connection its content may be stale (Stale reports it);
// after a reconnect, and on a new session with renewal, it reads the
// service again in full and sends the new list on Changes, since the
// servers do not replay what a watch missed. Without renewal, an expiry
// of the cache's Conn stops it: Changes streams close, Err says why, and
// Instances keeps the last list.
package registry
