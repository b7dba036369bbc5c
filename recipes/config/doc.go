// Package config is a config center on ZooKeeper: values are persistent
// nodes below a base path (key "db/url" is the node <base>/db/url), read
// and written with version compare-and-set, optionally as JSON, and
// followed with watches.
//
//	conn, err := client.Dial(ctx, servers, client.WithSessionRenewal(true))
//	cfg := config.New(conn, "/app/config")
//	v, err := cfg.Set(ctx, "db/url", []byte("postgres://..."), config.AnyVersion)
//	_, err = cfg.Set(ctx, "db/url", []byte("..."), v.Version) // CAS
//	for v := range cfg.Watch(ctx, "db/url") { ... }
//
// # Watch and faults
//
// Watch delivers the key's value each time it changes, and always ends on
// the latest one: after a reconnect the client re-registers its watches
// from the last zxid it saw (so a change made while disconnected fires
// them). Like every ZooKeeper watch, several changes in quick succession
// may be seen as one (the latest), and a slow reader gets the latest value
// in place of older undelivered ones.
//
// Cache keeps a local copy of the whole subtree with a recipes/cache
// Cache (one persistent recursive watch, or one-shot watches on servers
// before ZooKeeper 3.6); reads are local and keep working while the client
// has no connection, with Stale saying the copy may be behind. After a
// reconnect the copy is read again in full.
//
// # Session expiry
//
// A Center uses its Conn's current session; it has no session of its
// own. What survives an expiry depends on the Conn:
//
//   - With client.WithSessionRenewal(true) the Conn opens a new session by
//     itself. Watch goes on: it reads the key on the new session and
//     delivers it if it changed meanwhile, so it still ends on the latest
//     value. A Cache reads the tree again on the new session (Stale until
//     then) and holds what the servers hold. Get, Set and Delete issued
//     meanwhile wait for the new session (bounded by ctx); a request that
//     was queued for the old session and never sent is sent again on the
//     new one.
//   - Without renewal the Conn is finished: Watch streams close, a Cache
//     stops (Stale, Err matching cache.ErrStopped and
//     client.ErrSessionExpired) and keeps its last copy for reads, and
//     calls fail with ErrSessionLost. Dial a new Conn and make a new
//     Center.
//
// Values are persistent nodes: an expiry loses none of them.
package config
