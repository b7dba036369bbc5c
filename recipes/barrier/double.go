package barrier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/zabkit/zabkit/client"
)

// readyNode is Curator's DistributedDoubleBarrier ready node name.
const readyNode = "ready"

// DoubleBarrier synchronises n participants on entering and leaving.
type DoubleBarrier struct {
	c   *client.Conn
	dir string
	n   int
	id  string

	mu      sync.Mutex
	entered bool
}

// NewDoubleBarrier returns a participant of the double barrier in dir for
// n participants.
func NewDoubleBarrier(c *client.Conn, dir string, n int) *DoubleBarrier {
	return &DoubleBarrier{c: c, dir: dir, n: n, id: client.NewUUID()}
}

func (b *DoubleBarrier) ours() string  { return client.JoinPath(b.dir, b.id) }
func (b *DoubleBarrier) ready() string { return client.JoinPath(b.dir, readyNode) }

// participants lists the participant names, sorted.
func (b *DoubleBarrier) participants(ctx context.Context) ([]string, error) {
	kids, err := client.RetryValue(ctx, func(ctx context.Context) ([]string, error) {
		k, _, err := b.c.Children(ctx, b.dir)
		if errors.Is(err, client.ErrNoNode) {
			return nil, nil
		}
		return k, err
	})
	if err != nil {
		return nil, err
	}
	kids = slices.DeleteFunc(kids, func(k string) bool { return k == readyNode })
	slices.Sort(kids)
	return kids, nil
}

func (b *DoubleBarrier) fail(what string, err error) error {
	if client.IsSessionLost(err) && !errors.Is(err, ErrSessionLost) {
		err = fmt.Errorf("%w: %w", ErrSessionLost, err)
	}
	return fmt.Errorf("double barrier %s: %s: %w", b.dir, what, err)
}

// Enter joins the barrier and blocks until n participants have joined. If
// ctx ends first, the participant's node is deleted and ctx's error
// returned.
func (b *DoubleBarrier) Enter(ctx context.Context) error {
	if err := client.ValidatePath(b.dir); err != nil {
		return err
	}
	if b.n < 1 {
		return fmt.Errorf("double barrier %s: %d participants: %w", b.dir, b.n, client.ErrBadArguments)
	}
	b.mu.Lock()
	if b.entered {
		b.mu.Unlock()
		return ErrEntered
	}
	b.mu.Unlock()
	err := client.Retry(ctx, func(ctx context.Context) error {
		_, _, err := b.c.Create(ctx, b.ours(), nil, client.ModeEphemeral, nil, client.WithParentContainers())
		if errors.Is(err, client.ErrNodeExists) {
			return nil // our own create, whose reply was lost (the id is ours alone)
		}
		return err
	})
	if err != nil {
		deleteDetached(ctx, b.c, b.ours())
		return b.fail("enter", err)
	}
	if err := b.awaitReady(ctx); err != nil {
		deleteDetached(ctx, b.c, b.ours())
		return b.fail("enter", err)
	}
	b.mu.Lock()
	b.entered = true
	b.mu.Unlock()
	return nil
}

func (b *DoubleBarrier) awaitReady(ctx context.Context) error {
	for {
		if err := b.c.Err(); err != nil {
			return err
		}
		ok, _, ch, err := b.c.ExistsW(ctx, b.ready())
		if err != nil {
			if client.IsRetryable(err) {
				continue
			}
			return err
		}
		if ok {
			return b.checkOurs(ctx)
		}
		kids, err := b.participants(ctx)
		if err != nil {
			return err
		}
		if !slices.Contains(kids, b.id) {
			return fmt.Errorf("%w: participant node %s is gone", ErrSessionLost, b.ours())
		}
		if len(kids) >= b.n {
			_, _, err := b.c.Create(ctx, b.ready(), nil, client.ModePersistent, nil)
			if err == nil || errors.Is(err, client.ErrNodeExists) {
				return nil
			}
			if !client.IsRetryable(err) {
				return err
			}
			continue
		}
		select {
		case <-ch:
		case <-b.c.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// checkOurs confirms the participant's node is still there (the session
// did not expire while the ready node appeared).
func (b *DoubleBarrier) checkOurs(ctx context.Context) error {
	ok, st, err := b.c.Exists(ctx, b.ours())
	if err != nil {
		return err
	}
	if !ok || st.EphemeralOwner != b.c.SessionID() {
		return fmt.Errorf("%w: participant node %s is gone", ErrSessionLost, b.ours())
	}
	return nil
}

// Leave leaves the barrier and blocks until every participant has left (or
// crashed). As in ZooKeeper's recipe, the lowest participant waits for the
// highest one, the others delete their node and wait for the lowest, so
// each wake-up concerns a single node.
func (b *DoubleBarrier) Leave(ctx context.Context) error {
	b.mu.Lock()
	if !b.entered {
		b.mu.Unlock()
		return ErrNotEntered
	}
	b.mu.Unlock()
	for {
		if err := b.c.Err(); err != nil {
			return b.fail("leave", err)
		}
		kids, err := b.participants(ctx)
		if err != nil {
			return b.fail("leave", err)
		}
		if len(kids) == 0 {
			break
		}
		idx := slices.Index(kids, b.id)
		var watch string
		switch {
		case len(kids) == 1 && idx == 0:
			if err := deleteNode(ctx, b.c, b.ours()); err != nil {
				return b.fail("leave", err)
			}
			if err := deleteNode(ctx, b.c, b.ready()); err != nil {
				return b.fail("leave", err)
			}
			continue
		case idx == 0:
			watch = kids[len(kids)-1]
		default:
			if idx > 0 {
				if err := deleteNode(ctx, b.c, b.ours()); err != nil {
					return b.fail("leave", err)
				}
			}
			watch = kids[0]
		}
		ok, _, ch, err := b.c.ExistsW(ctx, client.JoinPath(b.dir, watch))
		if err != nil {
			if client.IsRetryable(err) {
				continue
			}
			return b.fail("leave", err)
		}
		if !ok {
			continue
		}
		select {
		case <-ch:
		case <-b.c.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	b.mu.Lock()
	b.entered = false
	b.mu.Unlock()
	return nil
}
