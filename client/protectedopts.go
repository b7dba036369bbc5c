package client

import (
	"context"
	"errors"
)

// WithParentContainers makes Create and CreateProtected create the parent
// of their node, and every missing ancestor, as container nodes
// (ModeContainer, OpenACL) when the create fails with ErrNoNode, then
// create again: Curator's creatingParentContainersIfNeeded. The server
// deletes such a parent some time after its last child goes. On a server
// without container support (ErrUnimplemented) the parents are created
// persistent instead, as Curator does. It applies to Create and
// CreateProtected.
func WithParentContainers() Option {
	return newOption("WithParentContainers", forCreate, func(o *options) { o.parents = true })
}

// createWithParents creates path, and its missing parents as containers
// when the create fails with ErrNoNode. A parent found or made may be
// reaped (an empty container) before the create lands, so the parents are
// made again, up to three times; a further ErrNoNode is returned.
func (c *Conn) createWithParents(ctx context.Context, path string, data []byte, mode CreateMode, acl []ACL) (string, Stat, error) {
	p, st, err := c.create(ctx, path, data, mode, acl, 0)
	for try := 0; errors.Is(err, ErrNoNode) && try < 3; try++ {
		if perr := c.createParentContainers(ctx, parentPath(path)); perr != nil && !errors.Is(perr, ErrNoNode) {
			return "", Stat{}, perr
		}
		p, st, err = c.create(ctx, path, data, mode, acl, 0)
	}
	return p, st, err
}

// createParentContainers creates dir and its missing ancestors as
// containers, from the top down; existing nodes are left as they are. It
// creates rather than first asking Exists: a local read may be stale (a
// lagging follower, or an empty container the leader has just reaped),
// while a create is decided on the leader. An ancestor reaped between two
// of these creates makes the next one fail with ErrNoNode, which the
// caller's bounded retry handles.
func (c *Conn) createParentContainers(ctx context.Context, dir string) error {
	mode := ModeContainer
	for i := 1; i <= len(dir); i++ {
		if i < len(dir) && dir[i] != '/' {
			continue
		}
		p := dir[:i]
		if p == "/" {
			continue
		}
		_, _, err := c.Create(ctx, p, nil, mode, nil)
		if errors.Is(err, ErrUnimplemented) && mode == ModeContainer {
			mode = ModePersistent
			_, _, err = c.Create(ctx, p, nil, mode, nil)
		}
		if err != nil && !errors.Is(err, ErrNodeExists) {
			return err
		}
	}
	return nil
}
