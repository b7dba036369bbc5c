package cache

import (
	"context"
	"errors"

	"github.com/zabkit/zabkit/client"
)

// run follows the tree until ctx ends or the Conn is finished.
func (t *Cache) run(ctx context.Context, oneShot bool) {
	var err error
	defer func() { t.end(err) }()
	states := t.c.States(ctx)
	if !oneShot {
		w, werr := t.addWatch(ctx)
		switch {
		case werr == nil:
			defer func() {
				rctx, cancel := context.WithTimeout(context.Background(), t.c.SessionTimeout())
				defer cancel()
				_ = w.Remove(rctx)
			}()
			err = t.followPersistent(ctx, w, states)
			return
		case !errors.Is(werr, client.ErrUnimplemented): // a server before ZooKeeper 3.6 has none
			if ctx.Err() == nil {
				err = werr
			}
			return
		}
	}
	err = t.followOneShot(ctx, states)
}

// addWatch sets the persistent recursive watch on the root, waiting for a
// new session if the Conn is between two.
func (t *Cache) addWatch(ctx context.Context) (*client.Watch, error) {
	for {
		w, err := client.RetryValue(ctx, func(ctx context.Context) (*client.Watch, error) {
			return t.c.AddWatch(ctx, t.root, client.AddWatchPersistentRecursive)
		})
		if err == nil || !client.IsSessionLost(err) || t.c.Err() != nil {
			return w, err
		}
		if _, err := t.c.WaitSession(ctx); err != nil {
			return nil, err
		}
	}
}

// ended returns the error that ends the cache when a state stream or a
// watch channel closes: nil if ctx ended, else the Conn's error.
func (t *Cache) ended(ctx context.Context) error {
	if ctx.Err() != nil {
		return nil
	}
	if err := t.c.Err(); err != nil {
		return err
	}
	return client.ErrClosed
}

// retryLater reports whether a read that failed with err is tried again
// on the next connection (true) or ends the cache (false).
func retryLater(err error) bool { return client.IsRetryable(err) || client.IsSessionLost(err) }

// followPersistent follows the tree with one persistent recursive watch.
// The tree is read in full (and the differences reported) at the start
// and after every reconnect or new session, since the servers do not
// report what changed while no watch was in place.
func (t *Cache) followPersistent(ctx context.Context, w *client.Watch, states <-chan client.State) error {
	needLoad := true
	for {
		if needLoad && t.c.State().Connected() {
			err := t.reload(ctx)
			switch {
			case err == nil:
				needLoad = false
				t.synced()
			case ctx.Err() != nil:
				return nil
			case !retryLater(err):
				return err
			}
			// Otherwise the link broke during the read: read again once
			// the state stream says connected.
		}
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events():
			if !ok {
				return t.ended(ctx)
			}
			if err := t.apply(ctx, ev); err != nil {
				if !retryLater(err) {
					return err
				}
				needLoad = true
				t.markStale()
			}
		case s, ok := <-states:
			if !ok {
				return t.ended(ctx)
			}
			if !s.Connected() {
				needLoad = true
				t.markStale()
			}
		}
	}
}

// apply follows one event of the persistent watch: a deleted node leaves
// the copy with its subtree, a created or changed one is read again (the
// read may see a newer state than the event; later events then change
// nothing).
func (t *Cache) apply(ctx context.Context, ev client.Event) error {
	if !t.within(ev.Path) {
		return nil
	}
	switch ev.Type {
	case client.EventNodeDeleted:
		t.remove(ev.Path)
	case client.EventNodeCreated, client.EventNodeDataChanged:
		data, st, err := t.c.Get(ctx, ev.Path)
		switch {
		case err == nil:
			t.set(Node{Path: ev.Path, Data: data, Stat: st})
		case errors.Is(err, client.ErrNoNode):
			t.remove(ev.Path)
		default:
			return err
		}
	}
	return nil
}

// reload reads the cached part of the tree and makes it the copy.
func (t *Cache) reload(ctx context.Context) error {
	fresh := map[string]Node{}
	var walk func(p string, level int) error
	walk = func(p string, level int) error {
		data, st, err := t.c.Get(ctx, p)
		if errors.Is(err, client.ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		fresh[p] = Node{Path: p, Data: data, Stat: st}
		if st.NumChildren == 0 || (t.depth >= 0 && level >= t.depth) {
			return nil
		}
		kids, _, err := t.c.Children(ctx, p)
		if errors.Is(err, client.ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, k := range kids {
			if err := walk(client.JoinPath(p, k), level+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(t.root, 0); err != nil {
		return err
	}
	t.replace(fresh)
	return nil
}
