package treecache

import (
	"context"
	"errors"
	"reflect"
	"strings"

	"github.com/zabkit/zabkit/client"
)

// The one-shot mode follows the tree with classic watches: a data watch on
// every node and a child watch on every node and on the root, each set
// again when it fires. One goroutine waits on all of them with
// reflect.Select. The client re-registers pending one-shot watches after a
// reconnect from the last zxid it saw, so changes made meanwhile fire them;
// the tree is still read again after each reconnect before the stale flag
// is cleared.

type watchKey struct {
	path  string
	child bool
}

type oneShot struct {
	t       *Cache
	pending map[watchKey]<-chan client.Event
}

func (t *Cache) runOneShot(ctx context.Context, states <-chan client.State, fail func(error), markLoaded func()) {
	o := &oneShot{t: t, pending: map[watchKey]<-chan client.Event{}}
	needLoad := true
	for {
		if needLoad && t.c.State().Connected() {
			err := o.load(ctx, t.root)
			switch {
			case err == nil:
				needLoad = false
				t.setStale(false)
				markLoaded()
			case ctx.Err() != nil:
				return
			case client.IsSessionLost(err):
				fail(err)
				return
			}
		}
		cases := []reflect.SelectCase{
			{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
			{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(states)},
		}
		keys := make([]watchKey, 0, len(o.pending))
		for k, ch := range o.pending {
			keys = append(keys, k)
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)})
		}
		i, v, ok := reflect.Select(cases)
		switch i {
		case 0:
			return
		case 1:
			if !ok {
				if ctx.Err() == nil {
					fail(t.c.Err())
				}
				return
			}
			if !v.Interface().(client.State).Connected() {
				needLoad = true
				t.setStale(true)
			}
			continue
		}
		k := keys[i-2]
		delete(o.pending, k)
		if !ok {
			continue // closed without an event: the session ended (states says so)
		}
		ev := v.Interface().(client.Event)
		if ev.Type == client.EventNodeDeleted {
			o.forget(ev.Path)
			if ev.Path != t.root {
				continue
			}
			// The root went: watch for it to come back.
		}
		if err := o.load(ctx, k.path); err != nil && client.IsSessionLost(err) {
			fail(err)
			return
		}
	}
}

// load reads p (data unless it is the root, children) and everything below
// it, arming the watches that are not pending.
func (o *oneShot) load(ctx context.Context, p string) error {
	t := o.t
	if p != t.root {
		var data []byte
		var st client.Stat
		var err error
		dk := watchKey{path: p}
		if _, armed := o.pending[dk]; armed {
			data, st, err = t.c.Get(ctx, p)
		} else {
			var ch <-chan client.Event
			data, st, ch, err = t.c.GetW(ctx, p)
			if err == nil {
				o.pending[dk] = ch
			}
		}
		if errors.Is(err, client.ErrNoNode) {
			o.forget(p)
			return nil
		}
		if err != nil {
			return err
		}
		r, _ := t.rel(p)
		t.mu.Lock()
		t.entries[r] = Entry{Data: data, Stat: st}
		t.mu.Unlock()
		t.changed()
	}
	ck := watchKey{path: p, child: true}
	var kids []string
	var err error
	if _, armed := o.pending[ck]; armed {
		kids, _, err = t.c.Children(ctx, p)
	} else {
		var ch <-chan client.Event
		kids, _, ch, err = t.c.ChildrenW(ctx, p)
		if err == nil {
			o.pending[ck] = ch
		}
	}
	if errors.Is(err, client.ErrNoNode) {
		if p == t.root {
			// Wait for the root to appear.
			if _, armed := o.pending[watchKey{path: p}]; !armed {
				ok, _, ch, err := t.c.ExistsW(ctx, p)
				if err != nil {
					return err
				}
				o.pending[watchKey{path: p}] = ch
				if ok {
					return o.load(ctx, p)
				}
			}
		}
		o.forget(p)
		return nil
	}
	if err != nil {
		return err
	}
	// Children that went away are dropped here too (their own delete
	// event may have been consumed by a watch set before).
	r, _ := t.rel(p)
	t.mu.Lock()
	for k := range t.entries {
		if parentRel(k) == r && !containsName(kids, k) {
			delete(t.entries, k)
		}
	}
	t.mu.Unlock()
	for _, k := range kids {
		if err := o.load(ctx, client.JoinPath(p, k)); err != nil {
			return err
		}
	}
	return nil
}

// forget drops p and its subtree from the copy.
func (o *oneShot) forget(p string) {
	t := o.t
	r, ok := t.rel(p)
	t.mu.Lock()
	for k := range t.entries {
		if !ok || k == r || strings.HasPrefix(k, r+"/") {
			delete(t.entries, k)
		}
	}
	t.mu.Unlock()
	t.changed()
}

func parentRel(r string) string {
	if i := strings.LastIndexByte(r, '/'); i >= 0 {
		return r[:i]
	}
	return ""
}

func containsName(kids []string, rel string) bool {
	name := rel[strings.LastIndexByte(rel, '/')+1:]
	for _, k := range kids {
		if k == name {
			return true
		}
	}
	return false
}
