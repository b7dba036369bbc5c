package queue

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/zabkit/zabkit/client"
)

// SimpleQueue is Curator's SimpleDistributedQueue: each item is a
// persistent-sequential node path/qn-<sequence> holding the item's bytes
// as they are; the lowest sequence is the head. Taking an item reads and
// deletes its node, so an item is delivered at least once (see the
// package doc for when twice). A SimpleQueue is safe for concurrent use.
type SimpleQueue struct {
	c    *client.Conn
	path string
}

// NewSimple returns the simple queue at path.
func NewSimple(c *client.Conn, path string) *SimpleQueue { return &SimpleQueue{c: c, path: path} }

// Offer adds data at the tail, creating the queue's node and missing
// ancestors as containers if needed. A connection loss while the node is
// being created returns an error matching ErrUncertain.
func (q *SimpleQueue) Offer(ctx context.Context, data []byte) error {
	if err := client.ValidatePath(q.path); err != nil {
		return err
	}
	if err := createItem(ctx, q.c, client.JoinPath(q.path, simplePrefix), data, true); err != nil {
		return fmt.Errorf("queue %s: offer: %w", q.path, err)
	}
	return nil
}

// Peek returns the head item without removing it, or ErrEmpty.
func (q *SimpleQueue) Peek(ctx context.Context) ([]byte, error) {
	data, _, err := q.head(ctx, false, false)
	return data, err
}

// Poll removes and returns the head item, or returns ErrEmpty.
func (q *SimpleQueue) Poll(ctx context.Context) ([]byte, error) {
	data, _, err := q.head(ctx, true, false)
	return data, err
}

// Take removes and returns the head item, waiting for one while the queue
// is empty. It returns ctx's error when ctx ends first, or an error
// matching ErrSessionLost once the Conn can no longer have a session.
func (q *SimpleQueue) Take(ctx context.Context) ([]byte, error) {
	for {
		sess := q.c.Session()
		data, ch, err := q.head(ctx, true, true)
		if !errors.Is(err, ErrEmpty) {
			return data, err
		}
		select {
		case <-ch:
		case <-sess.Done(): // the watch may be gone with it; head waits for the next session
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// head reads, and with remove deletes, the head item. With watch it also
// returns a channel that fires when the queue's children (or, if the
// queue's node is missing, its existence) change.
func (q *SimpleQueue) head(ctx context.Context, remove, watch bool) ([]byte, <-chan client.Event, error) {
	if err := client.ValidatePath(q.path); err != nil {
		return nil, nil, err
	}
	for {
		var (
			kids []string
			ch   <-chan client.Event
		)
		err := retry(ctx, q.c, func(ctx context.Context) error {
			var err error
			if !watch {
				kids, _, err = q.c.Children(ctx, q.path)
				return err
			}
			for {
				if kids, _, ch, err = q.c.ChildrenW(ctx, q.path); !errors.Is(err, client.ErrNoNode) {
					return err
				}
				// No queue node yet: watch for its creation instead.
				var ok bool
				if ok, _, ch, err = q.c.ExistsW(ctx, q.path); err != nil || !ok {
					return err
				}
			}
		})
		if errors.Is(err, client.ErrNoNode) && !watch {
			return nil, nil, fmt.Errorf("queue %s: %w", q.path, ErrEmpty)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("queue %s: %w", q.path, err)
		}
		sort.Strings(kids)
		again := false
		for _, k := range kids {
			if !strings.HasPrefix(k, simplePrefix) {
				continue // a foreign node, as Curator skips it
			}
			data, ok, err := q.read(ctx, client.JoinPath(q.path, k), remove)
			if errors.Is(err, errSessionChanged) {
				again = true
				break
			}
			if err != nil {
				return nil, nil, fmt.Errorf("queue %s: %w", q.path, err)
			}
			if ok {
				return data, nil, nil
			}
		}
		if !again {
			return nil, ch, fmt.Errorf("queue %s: %w", q.path, ErrEmpty)
		}
	}
}

// errSessionChanged makes head list the queue again after a session
// ended in the middle of taking an item.
var errSessionChanged = errors.New("queue: session changed")

// read reads the item at path and, with remove, deletes it. ok is false
// when another consumer took it first.
func (q *SimpleQueue) read(ctx context.Context, path string, remove bool) (data []byte, ok bool, err error) {
	var st client.Stat
	err = client.Retry(ctx, func(ctx context.Context) error {
		data, st, err = q.c.Get(ctx, path)
		return err
	}, retryOpt)
	if errors.Is(err, client.ErrNoNode) {
		return nil, false, nil
	}
	if client.IsSessionLost(err) {
		if err := awaitSession(ctx, q.c); err != nil {
			return nil, false, err
		}
		return nil, false, errSessionChanged
	}
	if err != nil || !remove {
		return data, err == nil, err
	}
	// Once the delete is sent it must be answered: abandoning it when ctx
	// ends could remove the item without returning it.
	dctx, cancel := detached(ctx, q.c)
	defer cancel()
	lost := false // a connection loss after the delete was sent
	err = client.Retry(dctx, func(ctx context.Context) error {
		err := q.c.Delete(ctx, path, st.Version)
		if client.IsRetryable(err) {
			lost = true
		}
		return err
	}, retryOpt)
	switch {
	case err == nil:
		return data, true, nil
	case errors.Is(err, client.ErrNoNode) && lost:
		// Our first delete may have been applied; if it was not, another
		// consumer took the item too. Deliver it: at least once.
		return data, true, nil
	case errors.Is(err, client.ErrNoNode):
		return nil, false, nil
	case client.IsSessionLost(err):
		if err := awaitSession(ctx, q.c); err != nil {
			return nil, false, err
		}
		return nil, false, errSessionChanged
	default:
		return nil, false, err
	}
}
