package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/zabkit/zabkit/client"
)

var (
	// ErrEmpty is returned by SimpleQueue's Peek and Poll when the queue
	// holds no item.
	ErrEmpty = errors.New("queue: empty")
	// ErrUncertain is returned by Offer and Put when the connection broke
	// while the item's node was being created: the item may or may not be
	// in the queue. Offering it again may enqueue it twice.
	ErrUncertain = errors.New("queue: outcome unknown, the item may have been added")
	// ErrSessionLost is returned when the Conn's session ended and no new
	// one follows (the Conn was closed, or it does not renew sessions).
	ErrSessionLost = errors.New("queue: session lost")
	// ErrLockLost is returned by a consumer with a lock path when its
	// session ended while it processed an item: the item was not removed
	// and another consumer may process it again.
	ErrLockLost = errors.New("queue: item lock lost before the item was removed")
	// ErrCorruptItem is returned when a queue node's data is not Curator's
	// item framing. The node is removed, as Curator removes it.
	ErrCorruptItem = errors.New("queue: corrupt item")
)

// retryOpt makes client.Retry also retry after ErrSessionMoved, as
// Curator's RetryLoop does: the server refused the request because another
// connection resumed the session, and the session may still be ours.
var retryOpt = client.WithRetryIf(func(err error) bool {
	return client.IsRetryable(err) || errors.Is(err, client.ErrSessionMoved)
})

// retry runs op until it succeeds or fails for good: after a connection
// loss (or ErrSessionMoved) it tries again on the same session, and after the
// session expired it waits for the Conn's next session (with
// client.WithSessionRenewal) and tries again. op must be safe to run twice.
func retry(ctx context.Context, c *client.Conn, op func(ctx context.Context) error) error {
	for {
		err := client.Retry(ctx, op, retryOpt)
		if err == nil || !client.IsSessionLost(err) {
			return err
		}
		if err := awaitSession(ctx, c); err != nil {
			return err
		}
	}
}

// awaitSession waits for a live session: the current one or the next one.
// It fails with ErrSessionLost once the Conn is finished, or ctx's error.
func awaitSession(ctx context.Context, c *client.Conn) error {
	if _, err := c.WaitSession(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %w", ErrSessionLost, err)
	}
	return nil
}

// ensure creates path as a persistent node, its missing parents as
// containers (Curator's creatingParentContainersIfNeeded); an existing
// node is fine.
func ensure(ctx context.Context, c *client.Conn, path string, mode client.CreateMode) error {
	return retry(ctx, c, func(ctx context.Context) error {
		_, _, err := c.Create(ctx, path, nil, mode, nil, client.WithParentContainers())
		if errors.Is(err, client.ErrNodeExists) {
			return nil
		}
		return err
	})
}

// createItem creates a persistent-sequential node; a connection loss makes
// the outcome unknown (ErrUncertain), since a retried create could add the
// item twice.
func createItem(ctx context.Context, c *client.Conn, path string, data []byte, parents bool) error {
	var opts []client.Option
	if parents {
		opts = append(opts, client.WithParentContainers())
	}
	_, _, err := c.Create(ctx, path, data, client.ModePersistentSequential, nil, opts...)
	if client.IsRetryable(err) || (err != nil && ctx.Err() != nil) {
		return fmt.Errorf("%w: %w", ErrUncertain, err)
	}
	return err
}
