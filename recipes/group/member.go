package group

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/cache"
	"github.com/zabkit/zabkit/recipes/persistent"
)

var (
	// ErrClosed is returned by calls on a Member after Close.
	ErrClosed = errors.New("group: member closed")
	// ErrStopped is matched by Err once the Member stopped (its Conn is
	// finished); the error also matches the cause.
	ErrStopped = errors.New("group: stopped")
)

// Member is one member of a group (Curator's GroupMember): an ephemeral
// node path/id with the member's payload as data, kept by a
// persistent.Node, and a cache of the group's members. Its methods are
// safe for concurrent use.
type Member struct {
	path, id string
	node     *persistent.Node
	cache    *cache.Cache
}

// Join makes id a member of the group at path with payload, and returns
// once its node exists and the member list is read, or ctx ends (nothing
// is left behind then). The group node is created as a container if
// missing. id must be a valid node name, unique in the group.
func Join(ctx context.Context, c *client.Conn, path, id string, payload []byte) (*Member, error) {
	if id == "" || strings.Contains(id, "/") {
		return nil, fmt.Errorf("group: member id %q: %w", id, client.ErrBadArguments)
	}
	n, err := persistent.New(c, strings.TrimSuffix(path, "/")+"/"+id, client.ModeEphemeral, payload)
	if err != nil {
		return nil, fmt.Errorf("group: %w", err)
	}
	if err := n.WaitForInitialCreate(ctx); err != nil {
		_ = n.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("group: join %s as %s: %w", path, id, err)
	}
	ca, err := cache.New(ctx, c, path, cache.WithDepth(1))
	if err != nil {
		_ = n.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("group: read %s: %w", path, err)
	}
	return &Member{path: path, id: id, node: n, cache: ca}, nil
}

// ID returns the member's id.
func (m *Member) ID() string { return m.id }

// Members returns the group as this member's cache sees it: each member's
// id and payload. This member is always in it, with its own payload (as
// in Curator), even while its node is being created again.
func (m *Member) Members() map[string][]byte {
	out := map[string][]byte{}
	for _, name := range m.cache.Children(m.path) {
		if n, ok := m.cache.Get(m.path + "/" + name); ok {
			out[name] = n.Data
		}
	}
	if _, ok := out[m.id]; !ok {
		out[m.id] = m.node.Data()
	}
	return out
}

// Listen returns the changes of the group, as the events of a cache of
// the group node and its children (see cache.Cache.Listen): created,
// changed and deleted for member nodes (ID gives the member), after a
// snapshot of the members and EventInitialized; EventStale and
// EventSynced around a loss of contact. Events of the group node itself
// are left out. The channel closes when ctx ends or the Member is closed.
func (m *Member) Listen(ctx context.Context) <-chan cache.Event {
	in := m.cache.Listen(ctx)
	out := make(chan cache.Event)
	go func() {
		defer close(out)
		for ev := range in {
			if ev.Node.Path == m.path {
				continue
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				for range in { // until the cache's stream closes
				}
				return
			}
		}
	}()
	return out
}

// ID returns the member id of a member node's path (its last element).
func ID(path string) string { return path[strings.LastIndexByte(path, '/')+1:] }

// SetPayload changes the member's payload (see persistent.Node.SetData).
func (m *Member) SetPayload(ctx context.Context, payload []byte) error {
	if err := m.node.SetData(ctx, payload); err != nil {
		if errors.Is(err, persistent.ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("group: %w", err)
	}
	return nil
}

// Err returns nil while the Member is in the group; once it stopped (its
// Conn is finished) an error matching ErrStopped and the cause; after
// Close, ErrClosed.
func (m *Member) Err() error {
	err := m.node.Err()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, persistent.ErrClosed):
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrStopped, err)
}

// Close leaves the group: it stops the cache and deletes the member's
// node (bounded by ctx; an ephemeral node left goes with its session).
func (m *Member) Close(ctx context.Context) error {
	m.cache.Close()
	if err := m.node.Close(ctx); err != nil {
		return fmt.Errorf("group: %w", err)
	}
	return nil
}
