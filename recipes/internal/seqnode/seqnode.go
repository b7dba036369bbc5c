// Package seqnode holds the machinery the queue-based recipes share: Curator
// compatible protected ephemeral-sequential nodes, parents created as
// containers, children ordered on their sequence suffix, waiting on one node
// and deleting a node until it is really gone.
package seqnode

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

// ErrSessionLost means the session that owned a node ended (or its node
// vanished), so whatever the node stood for is no longer held.
var ErrSessionLost = errors.New("session lost")

// Node is a contender's node.
type Node struct {
	Path string      // full path
	Name string      // last element
	Stat client.Stat // Stat at creation (Czxid is the fencing token)
}

// Join joins a directory and a child name.
func Join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// ValidDir checks that dir is an absolute path usable as a recipe's
// directory.
func ValidDir(dir string) error {
	if dir == "" || dir[0] != '/' || (len(dir) > 1 && dir[len(dir)-1] == '/') || strings.Contains(dir, "//") {
		return fmt.Errorf("recipes: directory %q must be an absolute znode path", dir)
	}
	return nil
}

// EnsureContainers creates dir and every missing ancestor as container
// nodes, as Curator's creatingParentContainersIfNeeded does. Existing
// nodes are left as they are. The server reaps an empty container at any
// time, so an ancestor just created (or found) may be gone when its child
// is created: the walk then starts again from the top, until ctx ends.
func EnsureContainers(ctx context.Context, c *client.Conn, dir string) error {
	if dir == "/" {
		return nil
	}
	ok, _, err := c.Exists(ctx, dir)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	for i := 1; i <= len(dir); i++ {
		if i < len(dir) && dir[i] != '/' {
			continue
		}
		p := dir[:i]
		_, _, err := c.Create(ctx, p, nil, client.ModeContainer, nil)
		switch {
		case errors.Is(err, client.ErrNoNode) && ctx.Err() == nil:
			i = 0 // an ancestor was reaped meanwhile: from the top again
		case err != nil && !errors.Is(err, client.ErrNodeExists):
			return err
		}
	}
	return nil
}

// CreateProtected creates dir/_c_<uuid>-<name><seq> as an ephemeral
// sequential node with data through client.CreateProtected, with dir (and
// its ancestors) created as containers when missing
// (client.WithParentContainers). A create whose reply is lost is found
// again by its uuid and this session's id; after any other failure,
// including ctx ending, a node it may have created is deleted (best
// effort, bounded by the session timeout). A lost session is reported as
// ErrSessionLost.
func CreateProtected(ctx context.Context, c *client.Conn, dir, name string, data []byte) (Node, error) {
	p, st, err := c.CreateProtected(ctx, Join(dir, name), data, client.ModeEphemeralSequential, nil,
		client.WithParentContainers(), client.WithRetryBackOff(fastBackOff))
	if err != nil {
		return Node{}, lostOr(err)
	}
	return Node{Path: p, Name: p[strings.LastIndexByte(p, '/')+1:], Stat: st}, nil
}

// cleanupBound bounds a detached delete: past the session timeout an
// ephemeral node is gone with its expired session anyway.
func cleanupBound(c *client.Conn) time.Duration {
	if t := c.SessionTimeout(); t > 0 {
		return t
	}
	return 10 * time.Second
}

// Delete deletes path, retrying after connection loss until the node is
// gone (ErrNoNode counts as gone) or the session is lost (its ephemeral
// nodes go with it, so that counts as gone too). Only ctx ending leaves the
// node possibly in place, and then ctx's error is returned.
func Delete(ctx context.Context, c *client.Conn, path string) error {
	err := client.Retry(ctx, func(ctx context.Context) error {
		err := c.Delete(ctx, path, client.AnyVersion)
		if errors.Is(err, client.ErrNoNode) {
			return nil
		}
		return err
	}, client.WithRetryBackOff(fastBackOff))
	if err == nil || client.IsSessionLost(err) {
		return nil
	}
	return err
}

// DeleteDetached is Delete with a context that is not cancelled with ctx
// but bounded by the session timeout: used when a waiter gives up because
// its ctx ended and must still remove its node.
func DeleteDetached(ctx context.Context, c *client.Conn, path string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupBound(c))
	defer cancel()
	return Delete(ctx, c, path)
}

// SortKey returns the part of a child name that orders it: what follows the
// last occurrence of marker (as Curator's StandardLockInternalsDriver
// fixForSorting does), and whether marker occurs at all.
func SortKey(name, marker string) (string, bool) {
	i := strings.LastIndex(name, marker)
	if i < 0 {
		return "", false
	}
	return name[i+len(marker):], true
}

// Sort orders names that contain one of markers on their sequence suffix
// and drops the others.
func Sort(names []string, markers ...string) []string {
	type kv struct{ key, name string }
	var kvs []kv
	for _, n := range names {
		for _, m := range markers {
			if k, ok := SortKey(n, m); ok {
				kvs = append(kvs, kv{k, n})
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

// Sorted lists dir's children that contain one of markers, in sequence
// order, retrying after connection loss. A missing dir has no children.
func Sorted(ctx context.Context, c *client.Conn, dir string, markers ...string) ([]string, error) {
	kids, err := client.RetryValue(ctx, func(ctx context.Context) ([]string, error) {
		kids, _, err := c.Children(ctx, dir)
		if errors.Is(err, client.ErrNoNode) {
			return nil, nil
		}
		return kids, err
	}, client.WithRetryBackOff(fastBackOff))
	if err != nil {
		return nil, err
	}
	return Sort(kids, markers...), nil
}

// Decision is what a recipe's rule says about a contender at index idx of
// the sorted children: it holds, or it waits for Watch (a child name) to go,
// or (Watch == "") for dir's children to change.
type Decision struct {
	Acquired bool
	Watch    string
}

// Rule decides for the contender at idx among sorted.
type Rule func(sorted []string, idx int) Decision

// Await blocks until rule says self holds, watching only what rule names.
// It returns nil when acquired, ErrSessionLost when self's node is gone or
// is not owned by the current session, ctx's error when ctx ends (self's
// node is then left in place: the caller deletes it), or another error.
// With try set, it returns errWouldBlock instead of waiting.
func Await(ctx context.Context, c *client.Conn, dir string, self Node, markers []string, rule Rule, try bool) error {
	for {
		if err := c.Err(); err != nil {
			return fmt.Errorf("%w: %w", ErrSessionLost, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		sorted, err := Sorted(ctx, c, dir, markers...)
		if err != nil {
			return lostOr(err)
		}
		idx := -1
		for i, n := range sorted {
			if n == self.Name {
				idx = i
				break
			}
		}
		if idx < 0 {
			return fmt.Errorf("%w: node %s is gone", ErrSessionLost, self.Path)
		}
		d := rule(sorted, idx)
		if d.Acquired {
			return CheckOwner(ctx, c, self)
		}
		if try {
			return ErrWouldBlock
		}
		var ch <-chan client.Event
		if d.Watch == "" {
			var kids []string
			kids, _, ch, err = c.ChildrenW(ctx, dir)
			if err == nil && !slices.Equal(Sort(kids, markers...), sorted) {
				continue // changed since the decision: decide again
			}
		} else {
			_, _, ch, err = c.GetW(ctx, Join(dir, d.Watch))
			if errors.Is(err, client.ErrNoNode) {
				continue // already gone: decide again
			}
		}
		if err != nil {
			if client.IsRetryable(err) {
				continue
			}
			return lostOr(err)
		}
		select {
		case <-ch:
		case <-c.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ErrWouldBlock is returned by Await with try set when self does not hold.
var ErrWouldBlock = errors.New("would block")

// CheckOwner confirms that self still exists and is an ephemeral node of
// the Conn's current session: ownership is never granted on a node of
// another (older) session (Curator's CURATOR-206/604/696).
func CheckOwner(ctx context.Context, c *client.Conn, self Node) error {
	st, err := client.RetryValue(ctx, func(ctx context.Context) (client.Stat, error) {
		ok, st, err := c.Exists(ctx, self.Path)
		if err == nil && !ok {
			err = fmt.Errorf("%w: node %s is gone", ErrSessionLost, self.Path)
		}
		return st, err
	}, client.WithRetryBackOff(fastBackOff))
	if err != nil {
		return lostOr(err)
	}
	sid := c.SessionID()
	if st.EphemeralOwner == 0 || st.EphemeralOwner != sid || st.Czxid != self.Stat.Czxid {
		return fmt.Errorf("%w: node %s is owned by session 0x%x, not 0x%x", ErrSessionLost, self.Path, st.EphemeralOwner, sid)
	}
	return nil
}

func lostOr(err error) error {
	if client.IsSessionLost(err) && !errors.Is(err, ErrSessionLost) {
		return fmt.Errorf("%w: %w", ErrSessionLost, err)
	}
	return err
}
