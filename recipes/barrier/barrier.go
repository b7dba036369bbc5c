package barrier

import (
	"context"
	"errors"
	"fmt"

	"github.com/zabkit/zabkit/client"
)

var (
	// ErrSessionLost is returned when the Conn is finished while waiting
	// (closed, or expired without renewal), when a double barrier's
	// participant's session ended after Enter, or when its node vanished.
	ErrSessionLost = errors.New("barrier: session lost")
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
	if err := client.ValidatePath(b.path); err != nil {
		return err
	}
	err := retry(ctx, b.c, func(ctx context.Context) error {
		_, _, err := b.c.Create(ctx, b.path, nil, client.ModePersistent, nil, client.WithParentContainers())
		if errors.Is(err, client.ErrNodeExists) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("barrier %s: set: %w", b.path, err)
	}
	return nil
}

// Remove lowers the barrier, releasing every waiter. Removing a lowered
// barrier is not an error.
func (b *Barrier) Remove(ctx context.Context) error {
	if err := client.ValidatePath(b.path); err != nil {
		return err
	}
	err := retry(ctx, b.c, func(ctx context.Context) error {
		err := b.c.Delete(ctx, b.path, client.AnyVersion)
		if errors.Is(err, client.ErrNoNode) {
			return nil
		}
		return err
	})
	if client.IsSessionLost(err) {
		return fmt.Errorf("barrier %s: remove: %w: %w", b.path, ErrSessionLost, err)
	}
	if err != nil {
		return fmt.Errorf("barrier %s: remove: %w", b.path, err)
	}
	return nil
}

// retry runs op, an operation on a persistent node, again after
// connection loss and after an expiry of a session that c replaces with a
// new one (the node does not depend on the session); it fails when ctx
// ends or the Conn is finished.
func retry(ctx context.Context, c *client.Conn, op func(ctx context.Context) error) error {
	for {
		err := client.Retry(ctx, op)
		if !renewed(c, err) || ctx.Err() != nil {
			return err
		}
	}
}

// renewed reports whether err is an expiry of a session that c replaces
// with a new one (c is not finished).
func renewed(c *client.Conn, err error) bool {
	return errors.Is(err, client.ErrSessionExpired) && c.Err() == nil
}

// Wait blocks while the barrier is raised; it returns nil once it is
// lowered (at once if it is not raised), ctx's error, or ErrSessionLost
// once the Conn is finished. It goes on across an expiry the Conn renews.
func (b *Barrier) Wait(ctx context.Context) error {
	if err := client.ValidatePath(b.path); err != nil {
		return err
	}
	for {
		ok, _, ch, err := b.c.ExistsW(ctx, b.path)
		if err != nil {
			if client.IsRetryable(err) || renewed(b.c, err) {
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
