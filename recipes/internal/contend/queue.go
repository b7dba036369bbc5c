package contend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/zabkit/zabkit/client"
)

// Queue is a queue of contenders: the nodes below Dir whose names contain
// one of Markers, ordered on what follows the marker (the sequence
// suffix). A contender joins with a node named Name plus the suffix, and
// Rule says when it holds.
type Queue struct {
	Dir     string
	Name    string   // a contender's node name before the suffix ("lock-")
	Markers []string // the names that make up the queue (default: Name)
	Rule    Rule
}

// Node is a contender's node.
type Node struct {
	Path string      // full path
	Name string      // last element
	Stat client.Stat // Stat at creation (Czxid is the fencing token)
}

// Decision is what a Rule says about a contender: it holds, or it waits
// for Watch (a child name) to go, or (Watch == "") for any change of the
// queue.
type Decision struct {
	Acquired bool
	Watch    string
}

// Rule decides for the contender at index idx of the sorted queue.
type Rule func(sorted []string, idx int) Decision

// First grants the first n contenders and makes the others wait: for
// n == 1 on the immediate predecessor (no herd effect), otherwise on any
// change of the queue, since any of the n holders may leave first.
func First(n int) Rule {
	return func(sorted []string, idx int) Decision {
		if idx < n {
			return Decision{Acquired: true}
		}
		if n == 1 {
			return Decision{Watch: sorted[idx-1]}
		}
		return Decision{}
	}
}

// errWouldBlock is returned by await with try set when the contender does
// not hold.
var errWouldBlock = errors.New("would block")

func (q Queue) markers() []string {
	if len(q.Markers) == 0 {
		return []string{q.Name}
	}
	return q.Markers
}

// Sort orders names that contain one of markers on what follows the last
// occurrence of the marker (as Curator's fixForSorting does) and drops
// the others.
func Sort(names []string, markers ...string) []string {
	type kv struct{ key, name string }
	var kvs []kv
	for _, n := range names {
		for _, m := range markers {
			if i := strings.LastIndex(n, m); i >= 0 {
				kvs = append(kvs, kv{n[i+len(m):], n})
				break
			}
		}
	}
	sort.SliceStable(kvs, func(i, j int) bool {
		if kvs[i].key != kvs[j].key {
			return kvs[i].key < kvs[j].key
		}
		return kvs[i].name < kvs[j].name
	})
	out := make([]string, len(kvs))
	for i, x := range kvs {
		out[i] = x.name
	}
	return out
}

// Sorted lists the queue in order, retrying after connection loss. A
// missing directory is an empty queue.
func (q Queue) Sorted(ctx context.Context, c *client.Conn) ([]string, error) {
	kids, err := client.RetryValue(ctx, func(ctx context.Context) ([]string, error) {
		kids, _, err := c.Children(ctx, q.Dir)
		if errors.Is(err, client.ErrNoNode) {
			return nil, nil
		}
		return kids, err
	})
	if err != nil {
		return nil, err
	}
	return Sort(kids, q.markers()...), nil
}

// contend joins the queue on session s with data and waits until the rule
// grants the contender (with try: fails with errWouldBlock instead of
// waiting). On any failure, ctx ending included, its node is deleted.
func (q Queue) contend(ctx context.Context, c *client.Conn, s Session, data []byte, try bool) (Node, error) {
	n, err := q.join(ctx, c, s, data)
	if err != nil {
		return Node{}, err
	}
	if err := q.await(ctx, c, s, n, try); err != nil {
		_ = DeleteDetached(ctx, c, s, n.Path) // no one must wait behind it
		return Node{}, err
	}
	return n, nil
}

// join creates the contender's node: protected (a create whose reply is
// lost is found again by its uuid; after any other failure a node it may
// have made is deleted), ephemeral-sequential, the directory and its
// parents made as containers.
func (q Queue) join(ctx context.Context, c *client.Conn, s Session, data []byte) (Node, error) {
	p, st, err := c.CreateProtected(ctx, client.JoinPath(q.Dir, q.Name), data, client.ModeEphemeralSequential, nil,
		client.WithParentContainers())
	if err != nil {
		return Node{}, fmt.Errorf("create: %w", ended(err))
	}
	if st.EphemeralOwner != s.ID { // made on a later session than s
		// p is an ephemeral of the live session, made by a create that
		// waited for it: delete it on that session, then contend on it.
		_ = DeleteDetached(ctx, c, SessionOf(c), p)
		return Node{}, fmt.Errorf("%w: node %s made on session 0x%x, not %v", ErrSessionEnded, p, st.EphemeralOwner, s)
	}
	return Node{Path: p, Name: p[strings.LastIndexByte(p, '/')+1:], Stat: st}, nil
}

// await blocks until the rule grants self, watching only what the rule
// names. It returns nil once granted and confirmed (checkOwner),
// ErrSessionEnded when s ends or self's node is gone or not s's, ctx's
// error when ctx ends, or another error.
func (q Queue) await(ctx context.Context, c *client.Conn, s Session, self Node, try bool) error {
	for {
		if s.ended() {
			return s.endedErr()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		sorted, err := q.Sorted(ctx, c)
		if err != nil {
			return ended(err)
		}
		idx := slices.Index(sorted, self.Name)
		if idx < 0 {
			return fmt.Errorf("%w: node %s is gone", ErrSessionEnded, self.Path)
		}
		d := q.Rule(sorted, idx)
		if d.Acquired {
			return checkOwner(ctx, c, s, self)
		}
		if try {
			return errWouldBlock
		}
		var ch <-chan client.Event
		if d.Watch == "" {
			var kids []string
			kids, _, ch, err = c.ChildrenW(ctx, q.Dir)
			if err == nil && !slices.Equal(Sort(kids, q.markers()...), sorted) {
				continue // changed since the decision: decide again
			}
		} else {
			_, _, ch, err = c.GetW(ctx, client.JoinPath(q.Dir, d.Watch))
			if errors.Is(err, client.ErrNoNode) {
				continue // already gone: decide again
			}
		}
		if err != nil {
			if client.IsRetryable(err) {
				continue
			}
			return ended(err)
		}
		select {
		case <-ch:
		case <-s.Done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// checkOwner confirms that self still exists and is an ephemeral node of
// s: ownership is never granted on a node of another session (Curator's
// CURATOR-206/604/696).
func checkOwner(ctx context.Context, c *client.Conn, s Session, self Node) error {
	st, err := client.RetryValue(ctx, func(ctx context.Context) (client.Stat, error) {
		ok, st, err := c.Exists(ctx, self.Path)
		if err == nil && !ok {
			err = fmt.Errorf("%w: node %s is gone", ErrSessionEnded, self.Path)
		}
		return st, err
	})
	if err != nil {
		return ended(err)
	}
	if st.EphemeralOwner == 0 || st.EphemeralOwner != s.ID || st.Czxid != self.Stat.Czxid {
		return fmt.Errorf("%w: node %s is owned by session 0x%x, not %v", ErrSessionEnded, self.Path, st.EphemeralOwner, s)
	}
	if s.ended() { // the read may have been answered on the next session
		return s.endedErr()
	}
	return nil
}

// ended wraps err with ErrSessionEnded when it says the session is gone.
func ended(err error) error {
	if client.IsSessionLost(err) && !errors.Is(err, ErrSessionEnded) {
		return fmt.Errorf("%w: %w", ErrSessionEnded, err)
	}
	return err
}

// DeleteNode deletes path, an ephemeral node of session s, retrying after
// connection loss until the node is gone (ErrNoNode counts as gone) or s
// is (its ephemeral nodes go with it, so that counts as gone too: a
// request waiting for the Conn's next session is abandoned, and none is
// sent once s has ended). Only ctx ending leaves the node possibly in
// place, and then ctx's error is returned.
func DeleteNode(ctx context.Context, c *client.Conn, s Session, path string) error {
	if s.ended() {
		return nil
	}
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.Done:
			cancel()
		case <-dctx.Done():
		}
	}()
	err := client.Retry(dctx, func(ctx context.Context) error {
		if s.ended() { // no request for a node of an ended session
			return nil
		}
		err := c.Delete(ctx, path, client.AnyVersion)
		if errors.Is(err, client.ErrNoNode) {
			return nil
		}
		return err
	})
	if err == nil || client.IsSessionLost(err) || s.ended() {
		return nil
	}
	return err
}

// DeleteDetached is DeleteNode on a context that is not cancelled with
// ctx but bounded by the session timeout (past it an ephemeral node is
// gone with its expired session anyway): a waiter whose ctx ended must
// still remove its node.
func DeleteDetached(ctx context.Context, c *client.Conn, s Session, path string) error {
	bound := c.SessionTimeout()
	if bound <= 0 {
		bound = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bound)
	defer cancel()
	return DeleteNode(ctx, c, s, path)
}
