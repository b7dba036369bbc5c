package cache

import (
	"context"
	"errors"
	"reflect"

	"github.com/zabkit/zabkit/client"
)

// The one-shot mode follows the tree with classic watches: a data watch on
// every cached node and a child watch on every cached node above the
// depth limit, each set again when it fires. One goroutine waits on all of
// them with reflect.Select. After a reconnect of the same session the
// client sets the pending watches again from the last zxid it saw, so
// changes made meanwhile fire them; after a new session they are gone.
// Either way the tree is read again in full before the copy is marked
// current.

type watchKey struct {
	path  string
	child bool
}

type oneShot struct {
	t       *Cache
	pending map[watchKey]<-chan client.Event
}

// followOneShot follows the tree with one-shot watches (see above).
func (t *Cache) followOneShot(ctx context.Context, states <-chan client.State) error {
	o := &oneShot{t: t, pending: map[watchKey]<-chan client.Event{}}
	needLoad := true
	for {
		if needLoad && t.c.State().Connected() {
			err := o.load(ctx, t.root, true)
			switch {
			case err == nil:
				needLoad = false
				t.synced()
			case ctx.Err() != nil:
				return nil
			case !retryLater(err):
				return err
			}
		}
		cases := make([]reflect.SelectCase, 2, 2+len(o.pending))
		cases[0] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())}
		cases[1] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(states)}
		keys := make([]watchKey, 0, len(o.pending))
		for k, ch := range o.pending {
			keys = append(keys, k)
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)})
		}
		i, v, ok := reflect.Select(cases)
		switch i {
		case 0:
			return nil
		case 1:
			if !ok {
				return t.ended(ctx)
			}
			s := v.Interface().(client.State)
			if s == client.StateExpired {
				clear(o.pending) // one-shot watches do not outlive their session
			}
			if !s.Connected() {
				needLoad = true
				t.markStale()
			}
			continue
		}
		k := keys[i-2]
		delete(o.pending, k)
		if !ok {
			continue // closed without an event: the session ended (states says so)
		}
		ev := v.Interface().(client.Event)
		var err error
		switch {
		case ev.Type == client.EventNodeDeleted && k.child:
			continue // the node's data watch reports it
		case ev.Type == client.EventNodeDeleted:
			// Read it again rather than drop it: it may be back already
			// (its parent's child watch may have been followed first),
			// and a missing root is watched until it comes back.
			err = o.load(ctx, k.path, true)
		case k.child:
			err = o.loadChildren(ctx, k.path, false)
		default:
			err = o.load(ctx, k.path, ev.Type == client.EventNodeCreated)
		}
		if err != nil {
			if !retryLater(err) {
				return err
			}
			needLoad = true
			t.markStale()
		}
	}
}

// armed reports whether watch k is pending.
func (o *oneShot) armed(k watchKey) bool {
	_, ok := o.pending[k]
	return ok
}

// load reads p's data, arming its data watch if none is pending, and, if
// full, its children and everything below (else only its children's list
// is left as it is).
func (o *oneShot) load(ctx context.Context, p string, full bool) error {
	t := o.t
	dk := watchKey{path: p}
	var data []byte
	var st client.Stat
	var err error
	if o.armed(dk) {
		data, st, err = t.c.Get(ctx, p)
	} else {
		var ch <-chan client.Event
		data, st, ch, err = t.c.GetW(ctx, p)
		if err == nil {
			o.pending[dk] = ch
		}
	}
	if errors.Is(err, client.ErrNoNode) {
		t.remove(p)
		if p == t.root && !o.armed(dk) {
			// Wait for the root to appear.
			ok, _, ch, err := t.c.ExistsW(ctx, p)
			if err != nil {
				return err
			}
			o.pending[dk] = ch
			if ok {
				return o.load(ctx, p, true)
			}
		}
		return nil
	}
	if err != nil {
		return err
	}
	t.set(Node{Path: p, Data: data, Stat: st})
	if !full {
		return nil
	}
	return o.loadChildren(ctx, p, true)
}

// loadChildren lists p's children (arming its child watch if none is
// pending), drops the cached children that are gone and loads the new
// ones, or, if full, every one.
func (o *oneShot) loadChildren(ctx context.Context, p string, full bool) error {
	t := o.t
	if l, _ := t.level(p); t.depth >= 0 && l >= t.depth {
		return nil
	}
	ck := watchKey{path: p, child: true}
	var kids []string
	var err error
	if o.armed(ck) {
		kids, _, err = t.c.Children(ctx, p)
	} else {
		var ch <-chan client.Event
		kids, _, ch, err = t.c.ChildrenW(ctx, p)
		if err == nil {
			o.pending[ck] = ch
		}
	}
	if errors.Is(err, client.ErrNoNode) {
		return nil // p's data watch reports the deletion
	}
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, k := range t.Children(p) {
		have[k] = true
	}
	for _, k := range kids {
		if !have[k] || full {
			if err := o.load(ctx, client.JoinPath(p, k), true); err != nil {
				return err
			}
		}
		delete(have, k)
	}
	for k := range have {
		t.remove(client.JoinPath(p, k))
	}
	return nil
}
