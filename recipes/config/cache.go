package config

import (
	"context"
	"strings"

	"github.com/zabkit/zabkit/recipes/internal/treecache"
)

// Cache is a local copy of every key of a Center, kept current through one
// persistent-recursive watch on the base path.
type Cache struct {
	tc     *treecache.Cache
	notify chan struct{}
}

// NewCache starts caching the Center's keys on its current session and
// returns once they have been read (or ctx ends). Close stops it.
func (cc *Center) NewCache(ctx context.Context) (*Cache, error) {
	c, err := cc.src.Conn(ctx)
	if err != nil {
		return nil, err
	}
	ca := &Cache{notify: make(chan struct{}, 1)}
	tc := treecache.New(c, cc.base, ca.changed)
	ca.tc = tc
	tc.Start()
	select {
	case <-tc.Loaded():
	case <-ctx.Done():
		ca.Close()
		return nil, ctx.Err()
	}
	if err := tc.Err(); err != nil {
		ca.Close()
		return nil, err
	}
	return ca, nil
}

func (ca *Cache) changed() {
	select {
	case ca.notify <- struct{}{}:
	default:
	}
}

// Changed returns a channel that receives (coalesced: at most one pending
// signal) after the copy, its Stale flag or its Err changed. It has a
// single consumer in mind: signals are not broadcast.
func (ca *Cache) Changed() <-chan struct{} { return ca.notify }

// Get returns key's cached value and whether it exists. Reads are local.
func (ca *Cache) Get(key string) (Value, bool) {
	e, ok, _ := ca.tc.Get(key)
	if !ok {
		return Value{}, false
	}
	return Value{Key: key, Data: e.Data, Version: e.Stat.Version, Mzxid: e.Stat.Mzxid}, true
}

// Keys returns the cached keys with the given prefix.
func (ca *Cache) Keys(prefix string) []string {
	all, _ := ca.tc.Snapshot()
	var out []string
	for k := range all {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

// Stale reports whether the copy may be behind the servers: the client has
// no connection (the copy is read again in full after the reconnect), or
// the session was lost (Err), after which the copy is frozen.
func (ca *Cache) Stale() bool {
	_, s := ca.tc.Snapshot()
	return s
}

// Err returns why the cache stopped following (session lost), or nil.
func (ca *Cache) Err() error { return ca.tc.Err() }

// Close stops the cache.
func (ca *Cache) Close() { ca.tc.Close() }
