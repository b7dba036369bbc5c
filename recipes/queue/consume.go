package queue

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/zabkit/zabkit/client"
)

// base is what the three DistributedQueue kinds share: the node layout,
// putting, and the consumer.
type base struct {
	c     *client.Conn
	path  string
	byDue bool // a delay queue: order by due time, take only due nodes
	o     options

	ensured atomic.Bool // the queue's and lock path's nodes were made once
}

func newBase(c *client.Conn, path string, byDue bool, opts []Option) *base {
	b := &base{c: c, path: path, byDue: byDue}
	for _, f := range opts {
		f(&b.o)
	}
	return b
}

func (b *base) validate() error {
	if err := client.ValidatePath(b.path); err != nil {
		return fmt.Errorf("queue %s: %w", b.path, err)
	}
	if b.o.lockPath != "" {
		if err := client.ValidatePath(b.o.lockPath); err != nil {
			return fmt.Errorf("queue %s: lock path: %w", b.path, err)
		}
	}
	return nil
}

// ensure creates the queue's node (and the lock path's) as Curator's start
// does: persistent, missing ancestors as containers. Callers that find one
// missing later call it again after resetting ensured.
func (b *base) ensure(ctx context.Context) error {
	if b.ensured.Load() {
		return nil
	}
	if err := ensure(ctx, b.c, b.path, client.ModePersistent); err != nil {
		return fmt.Errorf("queue %s: %w", b.path, err)
	}
	if b.o.lockPath != "" {
		if err := ensure(ctx, b.c, b.o.lockPath, client.ModePersistent); err != nil {
			return fmt.Errorf("queue %s: lock path: %w", b.path, err)
		}
	}
	b.ensured.Store(true)
	return nil
}

// reensure makes the nodes again after one was found missing.
func (b *base) reensure(ctx context.Context) error {
	b.ensured.Store(false)
	return b.ensure(ctx)
}

func (b *base) put(ctx context.Context, encoding string, items [][]byte) error {
	if err := b.validate(); err != nil {
		return err
	}
	data := encodeItems(items)
	path := client.JoinPath(b.path, itemPrefix+encoding)
	err := createItem(ctx, b.c, path, data, false)
	if errors.Is(err, client.ErrNoNode) {
		if err = b.reensure(ctx); err == nil {
			err = createItem(ctx, b.c, path, data, false)
		}
	}
	if err != nil {
		return fmt.Errorf("queue %s: put: %w", b.path, err)
	}
	return nil
}

func (b *base) consume(ctx context.Context, h Handler) error {
	for {
		if err := b.take(ctx, h); err != nil {
			return err
		}
	}
}

// take lists the queue with a watch, tries its nodes in order until one is
// processed, and otherwise waits for the children to change, the next due
// time, or the session to end.
func (b *base) take(ctx context.Context, h Handler) error {
	if err := b.validate(); err != nil {
		return err
	}
	if err := b.ensure(ctx); err != nil {
		return err
	}
	for {
		sess := b.c.Session()
		var (
			kids []string
			ch   <-chan client.Event
		)
		err := retry(ctx, b.c, func(ctx context.Context) error {
			var err error
			kids, _, ch, err = b.c.ChildrenW(ctx, b.path)
			return err
		})
		if errors.Is(err, client.ErrNoNode) { // removed by someone: make it again
			if err = b.reensure(ctx); err == nil {
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("queue %s: %w", b.path, err)
		}
		var (
			timer  *time.Timer
			lockCh <-chan client.Event // the first item locked by another consumer
			again  bool
		)
		for _, name := range sortItems(kids, b.byDue) {
			if b.byDue {
				if wait := time.Until(dueTime(name)); wait > 0 {
					timer = time.NewTimer(wait)
					break // sorted by due time: no later node is due
				}
			}
			done, locked, err := b.process(ctx, name, h)
			if err != nil {
				return fmt.Errorf("queue %s: %s: %w", b.path, name, err)
			}
			if done {
				return nil
			}
			if locked && lockCh == nil {
				// A consumer that dies leaves its item in place and its
				// lock goes: watch the lock, since the children will not
				// change.
				ok, _, ch, err := b.c.ExistsW(ctx, client.JoinPath(b.o.lockPath, name))
				again = err == nil && !ok // released meanwhile
				lockCh = ch
			}
		}
		if again {
			continue
		}
		var due <-chan time.Time
		if timer != nil {
			due = timer.C
		}
		select {
		case <-ch:
		case <-lockCh:
		case <-due:
		case <-sess.Done(): // its watches are gone; list again on the next session
		case <-ctx.Done():
		}
		if timer != nil {
			timer.Stop()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// process takes the node name: done is false when another consumer had
// it first, locked when another consumer holds its lock now.
func (b *base) process(ctx context.Context, name string, h Handler) (done, locked bool, err error) {
	if b.o.lockPath == "" {
		done, err = b.processUnlocked(ctx, name, h)
		return done, false, err
	}
	return b.processLocked(ctx, name, h)
}

// processUnlocked is Curator's consumption without a lock path: read the
// node, delete it (with the version read, so only one consumer wins),
// then run h. A consumer that dies in h loses the item.
func (b *base) processUnlocked(ctx context.Context, name string, h Handler) (bool, error) {
	path := client.JoinPath(b.path, name)
	var (
		data []byte
		st   client.Stat
	)
	err := retry(ctx, b.c, func(ctx context.Context) (err error) {
		data, st, err = b.c.Get(ctx, path)
		return err
	})
	if errors.Is(err, client.ErrNoNode) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	err = retry(ctx, b.c, func(ctx context.Context) error {
		return b.c.Delete(ctx, path, st.Version)
	})
	if errors.Is(err, client.ErrNoNode) || errors.Is(err, client.ErrBadVersion) {
		// Another consumer took it, or, after a connection loss, our own
		// delete was applied: either way skip it (at most once).
		return false, nil
	}
	if err != nil {
		return false, err
	}
	items, err := decodeItems(data)
	if err != nil {
		return true, err
	}
	for _, it := range items {
		if err := h(ctx, it); err != nil {
			return true, err
		}
	}
	return true, nil
}

// processLocked is Curator's safe consumption: create the ephemeral lock
// node lockPath/name (another consumer holding it means the item is
// taken), read the item, run h, then remove the item (or, when h failed,
// move it to the end of the queue) in a multi that checks the lock node,
// and delete the lock node.
func (b *base) processLocked(ctx context.Context, name string, h Handler) (done, locked bool, err error) {
	lock := client.JoinPath(b.o.lockPath, name)
	path := client.JoinPath(b.path, name)
	sess, ok, err := b.lock(ctx, lock)
	if err != nil || !ok {
		return false, err == nil, err
	}
	defer b.unlock(ctx, sess, lock)

	var data []byte
	err = client.Retry(ctx, func(ctx context.Context) (err error) {
		data, _, err = b.c.Get(ctx, path)
		return err
	}, retryOpt)
	if errors.Is(err, client.ErrNoNode) {
		return false, false, nil // processed by the lock's previous holder
	}
	if client.IsSessionLost(err) {
		return false, false, awaitSession(ctx, b.c) // the lock went with the session: list again
	}
	if err != nil {
		return false, false, err
	}
	items, derr := decodeItems(data)
	var herr error
	if derr == nil {
		herr = b.handle(ctx, sess, items, h)
	}
	ops := []client.Op{
		client.CheckOp{Path: lock, Version: client.AnyVersion},
		client.DeleteOp{Path: path, Version: client.AnyVersion},
	}
	if herr != nil && !b.o.deleteOnError && ctx.Err() == nil {
		ops = append(ops, client.CreateOp{
			Path: client.JoinPath(b.path, requeueName(name)), Data: data, Mode: client.ModePersistentSequential,
		})
	}
	if herr != nil && ctx.Err() != nil {
		ops = nil // ctx ended in h: leave the item for the next Take
	}
	if len(ops) > 0 {
		if err := b.remove(ctx, sess, ops); err != nil {
			return true, false, errors.Join(err, herr)
		}
	}
	if derr != nil {
		return true, false, derr
	}
	return true, false, herr
}

// lock creates the item's lock node. ok is false when another consumer
// holds it. sess is the session that owns it.
func (b *base) lock(ctx context.Context, lock string) (sess *client.Session, ok bool, err error) {
	for {
		sess = b.c.Session()
		err = client.Retry(ctx, func(ctx context.Context) error {
			_, _, err := b.c.Create(ctx, lock, nil, client.ModeEphemeral, nil)
			if !errors.Is(err, client.ErrNodeExists) {
				return err
			}
			// Ours if an earlier attempt was applied before a connection loss.
			ok, st, err := b.c.Exists(ctx, lock)
			if err == nil && (!ok || st.EphemeralOwner != sess.ID()) {
				return client.ErrNodeExists
			}
			return err
		}, retryOpt)
		switch {
		case err == nil:
			return sess, true, nil
		case errors.Is(err, client.ErrNodeExists):
			return nil, false, nil
		case errors.Is(err, client.ErrNoNode): // the lock path was removed
			if err := b.reensure(ctx); err != nil {
				return nil, false, err
			}
		case client.IsSessionLost(err):
			if err := awaitSession(ctx, b.c); err != nil {
				return nil, false, err
			}
		default:
			// ctx ended (or the retries ran out) with the create's outcome
			// unknown: a lock node of ours would keep the item from every
			// consumer until the session ends.
			b.unlockIfOurs(ctx, sess, lock)
			return nil, false, err
		}
	}
}

// handle runs h on items under a context that also ends with sess.
func (b *base) handle(ctx context.Context, sess *client.Session, items [][]byte, h Handler) error {
	hctx, cancel := context.WithCancelCause(ctx)
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-sess.Done():
			cancel(ErrLockLost)
		case <-stop:
		}
	}()
	defer func() { close(stop); <-stopped; cancel(nil) }()
	for _, it := range items {
		if err := h(hctx, it); err != nil {
			return err
		}
	}
	return nil
}

// remove applies ops (a check of the lock node first) once the item is
// processed. A connection loss is retried: the multi is all or nothing,
// and a retry after an applied first attempt fails on the item's delete
// (ErrNoNode) while the lock still stands, which means done.
func (b *base) remove(ctx context.Context, sess *client.Session, ops []client.Op) error {
	// ctx may have ended in h; the item must still be removed, bounded by
	// the session timeout (past it the lock is gone anyway).
	ctx, cancel := detached(ctx, b.c)
	defer cancel()
	err := client.Retry(ctx, func(ctx context.Context) error {
		if !current(b.c, sess) {
			return ErrLockLost
		}
		res, err := b.c.Multi(ctx, ops...)
		switch {
		case err == nil:
			return nil
		case len(res) > 1 && errors.Is(res[0].Err, client.ErrNoNode):
			return ErrLockLost // the lock node went with an expired session
		case len(res) > 1 && res[0].Err == nil && errors.Is(res[1].Err, client.ErrNoNode):
			return nil // applied before a connection loss (or removed by a consumer without a lock path)
		}
		return err
	}, retryOpt)
	if errors.Is(err, ErrLockLost) || client.IsSessionLost(err) {
		return fmt.Errorf("%w: %w", ErrLockLost, err)
	}
	return err
}

// current reports whether sess is the Conn's live session.
func current(c *client.Conn, sess *client.Session) bool {
	select {
	case <-sess.Done():
		return false
	default:
		return sess == c.Session()
	}
}

// unlock deletes the lock node if its session is still the Conn's.
func (b *base) unlock(ctx context.Context, sess *client.Session, lock string) {
	ctx, cancel := detached(ctx, b.c)
	defer cancel()
	_ = client.Retry(ctx, func(ctx context.Context) error {
		if !current(b.c, sess) {
			return nil // gone with its session
		}
		err := b.c.Delete(ctx, lock, client.AnyVersion)
		if errors.Is(err, client.ErrNoNode) {
			return nil
		}
		return err
	}, retryOpt)
}

// unlockIfOurs deletes the lock node if sess created it.
func (b *base) unlockIfOurs(ctx context.Context, sess *client.Session, lock string) {
	ctx, cancel := detached(ctx, b.c)
	defer cancel()
	_ = client.Retry(ctx, func(ctx context.Context) error {
		if !current(b.c, sess) {
			return nil
		}
		ok, st, err := b.c.Exists(ctx, lock)
		if err != nil || !ok || st.EphemeralOwner != sess.ID() {
			return err
		}
		err = b.c.Delete(ctx, lock, st.Version)
		if errors.Is(err, client.ErrNoNode) {
			return nil
		}
		return err
	}, retryOpt)
}

// detached returns a context that outlives ctx's cancellation, bounded by
// the session timeout.
func detached(ctx context.Context, c *client.Conn) (context.Context, context.CancelFunc) {
	bound := c.SessionTimeout()
	if bound <= 0 {
		bound = client.DefaultSessionTimeout
	}
	return context.WithTimeout(context.WithoutCancel(ctx), bound)
}
