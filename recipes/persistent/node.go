package persistent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/zabkit/zabkit/client"
)

var (
	// ErrClosed is returned by calls on a Node after Close, and by
	// WaitForInitialCreate when Close came first.
	ErrClosed = errors.New("persistent: node closed")
	// ErrNotCreated is returned by SetData before the initial create.
	ErrNotCreated = errors.New("persistent: initial create has not happened yet")
	// ErrStopped is matched by Err once the Node stopped keeping its znode:
	// its Conn is finished (a session expiry without renewal, an
	// authentication failure, Close of the Conn). The error also matches
	// the cause.
	ErrStopped = errors.New("persistent: stopped keeping the node")
)

// Option configures a Node.
type Option func(*options)

type options struct {
	protect  bool
	acl      []client.ACL
	ttl      time.Duration
	noDelete bool
}

// WithProtection creates the node under a protected name (Curator's
// withProtection: parent/_c_<uuid>-name), so that a create whose reply was
// lost is found again and no orphan is left behind.
func WithProtection() Option { return func(o *options) { o.protect = true } }

// WithACL sets the node's ACL (client.OpenACL by default).
func WithACL(acl []client.ACL) Option { return func(o *options) { o.acl = acl } }

// WithTTL gives a node of mode client.ModePersistentWithTTL or
// client.ModePersistentSequentialWithTTL its TTL (required for those modes).
func WithTTL(ttl time.Duration) Option { return func(o *options) { o.ttl = ttl } }

// Node keeps one znode present (Curator's PersistentNode): it creates it,
// watches it, and creates it again when it is deleted by anyone, after a
// reconnect and on each new session of its Conn. Its methods are safe for
// concurrent use.
type Node struct {
	c    *client.Conn
	base string
	mode client.CreateMode
	o    options

	mu      sync.Mutex
	data    []byte
	path    string // actual path once created ("" before)
	err     error
	closed  bool
	created chan struct{} // closed at the initial create
	done    chan struct{} // closed when the loop has ended

	cancel context.CancelFunc
}

// New starts keeping a node at path with data, in mode (any create mode
// but the container and TTL modes need no option; TTL modes need WithTTL).
// Parents that do not exist are created as containers. New returns at
// once; WaitForInitialCreate waits for the first create. Close stops it.
func New(c *client.Conn, path string, mode client.CreateMode, data []byte, opts ...Option) (*Node, error) {
	if err := client.ValidatePath(path); err != nil {
		return nil, fmt.Errorf("persistent: %w", err)
	}
	if path == "/" {
		return nil, fmt.Errorf("persistent: the root cannot be a persistent node: %w", client.ErrBadArguments)
	}
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.protect && mode.IsTTL() {
		return nil, fmt.Errorf("persistent: protection of a TTL node: %w", client.ErrBadArguments)
	}
	if mode.IsTTL() != (o.ttl > 0) {
		return nil, fmt.Errorf("persistent: mode %v with ttl %v: %w", mode, o.ttl, client.ErrBadArguments)
	}
	if o.acl == nil {
		o.acl = client.OpenACL()
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{c: c, base: path, mode: mode, o: o, data: bytes.Clone(data),
		created: make(chan struct{}), done: make(chan struct{}), cancel: cancel}
	go n.run(ctx)
	return n, nil
}

// WaitForInitialCreate waits until the node has been created (or found,
// see the package doc) once, or ctx ends, or the Node is closed
// (ErrClosed) or stopped (Err).
func (n *Node) WaitForInitialCreate(ctx context.Context) error {
	select {
	case <-n.created:
		return nil
	case <-n.done:
		select {
		case <-n.created:
			return nil
		default:
		}
		if err := n.Err(); err != nil {
			return err
		}
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Path returns the node's actual path (with the protected prefix and
// sequence suffix of those modes), or "" before the initial create.
func (n *Node) Path() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.path
}

// Data returns the data the node is kept with.
func (n *Node) Data() []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	return bytes.Clone(n.data)
}

// SetData changes the data the node is kept with and writes it to the
// node. If the node is missing at that moment (deleted, or its session
// expired), it is created again with the new data and SetData returns nil.
func (n *Node) SetData(ctx context.Context, data []byte) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return ErrClosed
	}
	path := n.path
	if path == "" {
		n.mu.Unlock()
		return ErrNotCreated
	}
	n.data = bytes.Clone(data)
	n.mu.Unlock()
	_, st, err := n.c.Get(ctx, path)
	if err == nil && !n.ours(st, n.c.Session()) {
		return nil // not ours (an older session's): ours comes with the new data
	}
	if err == nil {
		_, err = n.c.Set(ctx, path, data, st.Version)
	}
	if errors.Is(err, client.ErrNoNode) || errors.Is(err, client.ErrBadVersion) {
		return nil // gone or replaced meanwhile: the loop creates it with the new data
	}
	if err != nil {
		return fmt.Errorf("persistent: set data of %s: %w", path, err)
	}
	return nil
}

// Err returns nil while the Node keeps its znode; after it stopped, an
// error matching ErrStopped and its cause; after Close, ErrClosed.
func (n *Node) Err() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return n.err
	}
	if n.closed {
		return ErrClosed
	}
	return nil
}

// Done is closed when the Node stops keeping its znode: after Close, or
// when its Conn is finished (Err says why).
func (n *Node) Done() <-chan struct{} { return n.done }

// Close stops keeping the node and deletes it: a persistent node in any
// case, an ephemeral one only if it belongs to the Conn's current session
// (an older session's node is the servers' to delete). It waits, bounded
// by ctx, for the delete; a node it could not delete is left (an ephemeral
// one goes with its session).
func (n *Node) Close(ctx context.Context) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	n.mu.Unlock()
	n.cancel()
	<-n.done
	n.mu.Lock()
	path := n.path
	stopped := n.err != nil
	n.mu.Unlock()
	if path == "" || n.o.noDelete || stopped {
		return nil
	}
	err := client.Retry(ctx, func(ctx context.Context) error {
		_, st, err := n.c.Get(ctx, path)
		if err != nil {
			return err
		}
		if !n.ours(st, n.c.Session()) {
			return nil
		}
		return n.c.Delete(ctx, path, st.Version)
	})
	if err != nil && !errors.Is(err, client.ErrNoNode) && !errors.Is(err, client.ErrBadVersion) {
		return fmt.Errorf("persistent: delete %s: %w", path, err)
	}
	return nil
}

// ours reports whether a node read at the Node's path is the Node's to act
// on: any node for a persistent mode, for an ephemeral mode one owned by
// session s (the Conn's current one).
func (n *Node) ours(st client.Stat, s *client.Session) bool {
	if !n.mode.IsEphemeral() {
		return true
	}
	return s != nil && st.EphemeralOwner == s.ID()
}

// createMode is the mode of the next create: once the node has a name, a
// sequential mode's non-sequential twin, so that it keeps its name.
func (n *Node) createMode(named bool) client.CreateMode {
	if !named {
		return n.mode
	}
	switch n.mode {
	case client.ModeEphemeralSequential:
		return client.ModeEphemeral
	case client.ModePersistentSequential:
		return client.ModePersistent
	case client.ModePersistentSequentialWithTTL:
		return client.ModePersistentWithTTL
	}
	return n.mode
}

// retryBackOff spaces the attempts of the loop after failures.
func retryBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 50 * time.Millisecond
	b.MaxInterval = 2 * time.Second
	b.MaxElapsedTime = 0
	return b
}
