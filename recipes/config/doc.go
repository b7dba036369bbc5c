// Package config is a config center on ZooKeeper: values are persistent
// nodes below a base path (key "db/url" is the node <base>/db/url), read
// and written with version compare-and-set, optionally as JSON, and
// followed with watches.
//
//	cfg := config.New(conn, "/app/config", config.WithRedial(dial))
//	defer cfg.Close(ctx)
//	v, err := cfg.Set(ctx, "db/url", []byte("postgres://..."), config.AnyVersion)
//	_, err = cfg.Set(ctx, "db/url", []byte("..."), v.Version) // CAS
//	for v := range cfg.Watch(ctx, "db/url") { ... }
//
// # Watch and faults
//
// Watch delivers the key's value each time it changes, and always ends on
// the latest one: after a reconnect the client re-registers its watches
// from the last zxid it saw (so a change made while disconnected fires
// them), and after a session expiry (with WithRedial) Watch reads the key
// again on the new session and delivers it if its mzxid differs from the
// last delivered. Like every ZooKeeper watch, several changes in quick
// succession may be seen as one (the latest), and a slow reader gets the
// latest value in place of older undelivered ones.
//
// Cache keeps a local copy of the whole subtree through one
// persistent-recursive watch (one-shot watches on every node when the
// server answers AddWatch with ErrUnimplemented, as ZooKeeper before 3.6
// does); reads are local and keep working during a
// short disconnection, with Stale saying the copy may be behind.
package config
