package config

import (
	"context"
	"strings"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/cache"
)

// Cache is a local copy of every key of a Center, kept current by a
// recipes/cache Cache of the base path.
type Cache struct {
	c      *cache.Cache
	base   string
	notify chan struct{}
	exited chan struct{}
}

// NewCache starts caching the Center's keys and returns once they have
// been read (or ctx ends). Close stops it.
func (cc *Center) NewCache(ctx context.Context) (*Cache, error) {
	if err := client.ValidatePath(cc.base); err != nil {
		return nil, err
	}
	c, err := cache.New(ctx, cc.c, cc.base)
	if err != nil {
		return nil, err
	}
	ca := &Cache{c: c, base: cc.base, notify: make(chan struct{}, 1), exited: make(chan struct{})}
	events := c.Listen(context.Background()) // ends with c
	go func() {
		defer close(ca.exited)
		for range events {
			select {
			case ca.notify <- struct{}{}:
			default:
			}
		}
		select { // the end, for a reader of Err
		case ca.notify <- struct{}{}:
		default:
		}
	}()
	return ca, nil
}

// Changed returns a channel that receives (coalesced: at most one pending
// signal) after the copy, its Stale flag or its Err changed. It has a
// single consumer in mind: signals are not broadcast.
func (ca *Cache) Changed() <-chan struct{} { return ca.notify }

// Get returns key's cached value and whether it exists. Reads are local.
func (ca *Cache) Get(key string) (Value, bool) {
	n, ok := ca.c.Get(client.JoinPath(ca.base, key))
	if !ok || key == "" {
		return Value{}, false
	}
	return Value{Key: key, Data: n.Data, Version: n.Stat.Version, Mzxid: n.Stat.Mzxid}, true
}

// Keys returns the cached keys with the given prefix, in path order.
func (ca *Cache) Keys(prefix string) []string {
	var out []string
	ca.c.Walk(func(n cache.Node) bool {
		k, ok := strings.CutPrefix(n.Path, strings.TrimSuffix(ca.base, "/")+"/")
		if ok && strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
		return true
	})
	return out
}

// Stale reports whether the copy may be behind the servers: the client has
// no connection or is between two sessions (the copy is read again in full
// once it has one), or the cache stopped following (Err), after which the
// copy is frozen.
func (ca *Cache) Stale() bool { return ca.c.Stale() }

// Err returns why the cache stopped following the keys (an error matching
// cache.ErrStopped once the Conn is finished, cache.ErrClosed after
// Close), or nil.
func (ca *Cache) Err() error { return ca.c.Err() }

// Close stops the cache.
func (ca *Cache) Close() {
	ca.c.Close()
	<-ca.exited
}
