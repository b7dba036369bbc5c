package persistent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zabkit/zabkit/client"
)

// run keeps the node until ctx ends (Close) or the Conn is finished: each
// round makes sure the node exists as this Node's on the current session,
// then waits on a watch of it; a failure is retried after a backoff.
func (n *Node) run(ctx context.Context) {
	defer close(n.done)
	b := retryBackOff()
	for {
		sess, err := n.c.WaitSession(ctx)
		if err != nil {
			if ctx.Err() == nil {
				n.stop(err)
			}
			return
		}
		watch, err := n.ensure(ctx, sess)
		if err == nil {
			b.Reset()
			select {
			case <-watch: // an event, or the watch was lost: look again
			case <-sess.Done():
			case <-ctx.Done():
				return
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case <-n.c.Done():
			n.stop(n.c.Err())
			return
		default:
		}
		t := time.NewTimer(b.NextBackOff())
		select {
		case <-t.C:
		case <-sess.Done():
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}

// stop records why the Node stopped.
func (n *Node) stop(cause error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.err = fmt.Errorf("%w: %w", ErrStopped, cause)
}

// ensure creates the node if it is missing and returns a one-shot watch on
// it. A node found at the path is taken as this Node's if it is persistent,
// or ephemeral and owned by sess (a create whose reply was lost); its data
// is then set to the Node's. An ephemeral node of another session (an
// older session of this Conn whose deletion the servers have not applied
// yet, or another client's) is left alone: the watch returned fires when
// it goes.
func (n *Node) ensure(ctx context.Context, sess *client.Session) (<-chan client.Event, error) {
	n.mu.Lock()
	path, data := n.path, n.data
	n.mu.Unlock()
	named := path != ""
	if !named {
		path = n.base
	}
	got, err := n.create(ctx, path, data, n.createMode(named), named)
	switch {
	case err == nil:
		path = got
	case errors.Is(err, client.ErrNodeExists):
	default:
		return nil, err
	}
	cur, st, watch, err := n.c.GetW(ctx, path)
	if errors.Is(err, client.ErrNoNode) {
		return closedEvents, nil // deleted already: create again
	}
	if err != nil {
		return nil, err
	}
	if !n.ours(st, sess) {
		return watch, nil
	}
	n.mu.Lock()
	data = n.data
	n.mu.Unlock()
	if !bytes.Equal(cur, data) {
		if _, err := n.c.Set(ctx, path, data, st.Version); err != nil && !errors.Is(err, client.ErrBadVersion) && !errors.Is(err, client.ErrNoNode) {
			return nil, err
		}
		// the watch fires on this change (or the node's removal): the next
		// round checks again
	}
	n.created1(path)
	return watch, nil
}

// closedEvents is a closed event channel: a watch that has fired already.
var closedEvents = func() <-chan client.Event {
	ch := make(chan client.Event)
	close(ch)
	return ch
}()

// created1 records the node's actual path and ends WaitForInitialCreate.
func (n *Node) created1(path string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.path == "" {
		n.path = path
		close(n.created)
	}
}

// create makes the node at path in mode: protected the first time if asked
// (named is false), with missing parents as containers.
func (n *Node) create(ctx context.Context, path string, data []byte, mode client.CreateMode, named bool) (string, error) {
	if n.o.protect && !named {
		p, _, err := n.c.CreateProtected(ctx, path, data, mode, n.o.acl, client.WithParentContainers())
		return p, err
	}
	if !mode.IsTTL() {
		p, _, err := n.c.Create(ctx, path, data, mode, n.o.acl, client.WithParentContainers())
		return p, err
	}
	p, _, err := n.c.CreateTTL(ctx, path, data, mode, n.o.acl, n.o.ttl)
	if errors.Is(err, client.ErrNoNode) {
		parent := path[:max(1, lastSlash(path))]
		if _, _, err := n.c.Create(ctx, parent, nil, client.ModeContainer, client.OpenACL(), client.WithParentContainers()); err != nil && !errors.Is(err, client.ErrNodeExists) {
			return "", err
		}
		p, _, err = n.c.CreateTTL(ctx, path, data, mode, n.o.acl, n.o.ttl)
	}
	return p, err
}

// lastSlash is the index of path's last '/'.
func lastSlash(path string) int {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return i
		}
	}
	return 0
}
