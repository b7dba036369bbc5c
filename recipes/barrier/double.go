package barrier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/contend"
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
	sess    *client.Session // the session Enter joined on
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
// returned. If the session expires while waiting, the participant joins
// again on the Conn's next session (a new node) and goes on waiting; once
// the Conn is finished it fails with ErrSessionLost.
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
	for {
		s, err := b.c.WaitSession(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return b.fail("enter", err)
		}
		err = b.enter(ctx, s)
		if err == nil {
			return nil
		}
		if isClosed(s.Done()) && ctx.Err() == nil && b.c.Err() == nil {
			continue // the session expired and the Conn renews it: join again
		}
		return b.fail("enter", err)
	}
}

// enter joins the barrier on session s with a node of a new name (a node
// of an older session may linger at the old one) and waits for the ready
// node.
func (b *DoubleBarrier) enter(ctx context.Context, s *client.Session) error {
	b.mu.Lock()
	b.id = client.NewUUID()
	b.mu.Unlock()
	var st client.Stat
	err := client.Retry(ctx, func(ctx context.Context) error {
		var err error
		_, st, err = b.c.Create(ctx, b.ours(), nil, client.ModeEphemeral, nil, client.WithParentContainers())
		if errors.Is(err, client.ErrNodeExists) {
			// our own create, whose reply was lost (the name is ours alone)
			_, st, err = b.c.Exists(ctx, b.ours())
		}
		return err
	})
	if err == nil && st.EphemeralOwner != s.ID() { // made on a later session
		err = fmt.Errorf("%w: participant node %s made on session 0x%x, not %v", ErrSessionLost, b.ours(), st.EphemeralOwner, s)
		_ = contend.DeleteDetached(ctx, b.c, contend.SessionOf(b.c), b.ours())
		return err
	}
	if err == nil {
		err = b.awaitReady(ctx, s)
	}
	if err != nil {
		_ = contend.DeleteDetached(ctx, b.c, contend.SessionFrom(s), b.ours())
		return err
	}
	b.mu.Lock()
	b.entered, b.sess = true, s
	b.mu.Unlock()
	return nil
}

func (b *DoubleBarrier) awaitReady(ctx context.Context, s *client.Session) error {
	for {
		if isClosed(s.Done()) {
			return fmt.Errorf("%w: session %v: %w", ErrSessionLost, s, s.Err())
		}
		ok, _, ch, err := b.c.ExistsW(ctx, b.ready())
		if err != nil {
			if client.IsRetryable(err) {
				continue
			}
			return err
		}
		if ok {
			return b.checkOurs(ctx, s)
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
				return b.checkOurs(ctx, s)
			}
			if !client.IsRetryable(err) {
				return err
			}
			continue
		}
		select {
		case <-ch:
		case <-s.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// checkOurs confirms the participant's node is still there, an ephemeral
// of the live session s (it did not expire while the ready node appeared).
func (b *DoubleBarrier) checkOurs(ctx context.Context, s *client.Session) error {
	ok, st, err := b.c.Exists(ctx, b.ours())
	if err != nil {
		return err
	}
	if !ok || st.EphemeralOwner != s.ID() || isClosed(s.Done()) {
		return fmt.Errorf("%w: participant node %s is gone", ErrSessionLost, b.ours())
	}
	return nil
}

// Leave leaves the barrier and blocks until every participant has left (or
// crashed). As in ZooKeeper's recipe, the lowest participant waits for the
// highest one, the others delete their node and wait for the lowest, so
// each wake-up concerns a single node. If the session Enter joined on has
// ended (the participant's node went with it, so the others counted it as
// gone), Leave returns ErrSessionLost and the participant may Enter again.
func (b *DoubleBarrier) Leave(ctx context.Context) error {
	b.mu.Lock()
	if !b.entered {
		b.mu.Unlock()
		return ErrNotEntered
	}
	s := b.sess
	b.mu.Unlock()
	for {
		if isClosed(s.Done()) {
			b.mu.Lock()
			b.entered = false
			b.mu.Unlock()
			return b.fail("leave", fmt.Errorf("%w: session %v: %w", ErrSessionLost, s, s.Err()))
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
			if err := contend.DeleteNode(ctx, b.c, contend.SessionFrom(s), b.ours()); err != nil {
				return b.fail("leave", err)
			}
			if err := retry(ctx, b.c, func(ctx context.Context) error {
				err := b.c.Delete(ctx, b.ready(), client.AnyVersion)
				if errors.Is(err, client.ErrNoNode) {
					return nil
				}
				return err
			}); err != nil {
				return b.fail("leave", err)
			}
			continue
		case idx == 0:
			watch = kids[len(kids)-1]
		default:
			if idx > 0 {
				if err := contend.DeleteNode(ctx, b.c, contend.SessionFrom(s), b.ours()); err != nil {
					return b.fail("leave", err)
				}
			}
			watch = kids[0]
		}
		ok, _, ch, err := b.c.ExistsW(ctx, client.JoinPath(b.dir, watch))
		if err != nil {
			if client.IsRetryable(err) || renewed(b.c, err) {
				continue
			}
			return b.fail("leave", err)
		}
		if !ok {
			continue
		}
		select {
		case <-ch:
		case <-s.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	b.mu.Lock()
	b.entered = false
	b.mu.Unlock()
	return nil
}

// isClosed reports whether ch is closed.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
