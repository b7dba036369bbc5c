package barrier

import (
	"context"
	"errors"
	"fmt"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/seqnode"
)

var (
	// ErrSessionLost is returned when the session ended while waiting or
	// the participant's node vanished.
	ErrSessionLost = seqnode.ErrSessionLost
	// ErrNotEntered is returned by Leave before a successful Enter.
	ErrNotEntered = errors.New("barrier: not entered")
	// ErrEntered is returned by Enter on a DoubleBarrier already entered.
	ErrEntered = errors.New("barrier: already entered")
)

// Barrier is a node whose existence holds waiters back.
type Barrier struct {
	c    *client.Conn
	path string
}

// New returns the barrier at path.
func New(c *client.Conn, path string) *Barrier { return &Barrier{c: c, path: path} }

// Set raises the barrier (creates its node, and missing parents as
// containers). Setting a raised barrier is not an error.
func (b *Barrier) Set(ctx context.Context) error {
	if err := seqnode.ValidDir(b.path); err != nil {
		return err
	}
	err := client.Retry(ctx, func(ctx context.Context) error {
		_, _, err := b.c.Create(ctx, b.path, nil, client.ModePersistent, nil)
		switch {
		case errors.Is(err, client.ErrNodeExists):
			return nil
		case errors.Is(err, client.ErrNoNode):
			if err := seqnode.EnsureContainers(ctx, b.c, parent(b.path)); err != nil {
				return err
			}
			return client.ErrConnectionLoss // create again
		}
		return err
	}, client.WithRetryBackOff(seqnode.FastBackOff))
	if err != nil {
		return fmt.Errorf("barrier %s: set: %w", b.path, err)
	}
	return nil
}

// Remove lowers the barrier, releasing every waiter. Removing a lowered
// barrier is not an error.
func (b *Barrier) Remove(ctx context.Context) error {
	if err := seqnode.ValidDir(b.path); err != nil {
		return err
	}
	if err := seqnode.Delete(ctx, b.c, b.path); err != nil {
		return fmt.Errorf("barrier %s: remove: %w", b.path, err)
	}
	if err := b.c.Err(); err != nil {
		return fmt.Errorf("barrier %s: remove: %w: %w", b.path, ErrSessionLost, err)
	}
	return nil
}

// Wait blocks while the barrier is raised; it returns nil once it is
// lowered (at once if it is not raised), ctx's error, or ErrSessionLost.
func (b *Barrier) Wait(ctx context.Context) error {
	if err := seqnode.ValidDir(b.path); err != nil {
		return err
	}
	for {
		ok, _, ch, err := b.c.ExistsW(ctx, b.path)
		if err != nil {
			if client.IsRetryable(err) {
				continue
			}
			if client.IsSessionLost(err) {
				return fmt.Errorf("barrier %s: %w: %w", b.path, ErrSessionLost, err)
			}
			return fmt.Errorf("barrier %s: %w", b.path, err)
		}
		if !ok {
			return nil
		}
		select {
		case <-ch:
		case <-b.c.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func parent(p string) string {
	for i := len(p) - 1; i > 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return "/"
}
