package persistent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/zabkit/zabkit/client"
)

// TouchName is the name of a TTLNode's touch child (Curator's
// PersistentTtlNode.DEFAULT_CHILD_NODE_NAME).
const TouchName = "touch"

// TTLNode is a node that lives as long as its owner touches it (Curator's
// PersistentTtlNode): a container node at the path, kept by a Node, with a
// child TouchName created with a TTL and touched (its data set) every half
// TTL. When no process touches it any more, the servers delete the child
// once its TTL has passed with no change, then the container as empty.
// The TTL modes need servers with extended types
// (zookeeper.extendedTypesEnabled=true).
type TTLNode struct {
	node  *Node
	c     *client.Conn
	touch string
	ttl   time.Duration

	mu      sync.Mutex
	touched error // the last touch's error
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// NewTTL starts keeping a TTL node at path with data and ttl. It returns
// at once; WaitForInitialCreate waits for the container node. Close stops
// touching it and leaves it to expire.
func NewTTL(c *client.Conn, path string, ttl time.Duration, data []byte, opts ...Option) (*TTLNode, error) {
	if ttl.Milliseconds() <= 0 {
		return nil, fmt.Errorf("persistent: ttl %v: %w", ttl, client.ErrBadArguments)
	}
	n, err := New(c, path, client.ModeContainer, data, append(opts, func(o *options) { o.noDelete = true })...)
	if err != nil {
		return nil, err
	}
	t := &TTLNode{node: n, c: c, touch: path + "/" + TouchName, ttl: ttl,
		stop: make(chan struct{}), done: make(chan struct{})}
	go t.run()
	return t, nil
}

// run touches the child once the container exists, then every half TTL,
// until Close.
func (t *TTLNode) run() {
	defer close(t.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-t.stop:
		case <-t.node.Done():
		}
		cancel()
	}()
	if t.node.WaitForInitialCreate(ctx) != nil {
		return
	}
	tick := time.NewTicker(t.ttl / 2)
	defer tick.Stop()
	for {
		err := t.touchOnce(ctx)
		t.mu.Lock()
		t.touched = err
		t.mu.Unlock()
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// touchOnce sets the touch child's data, or creates it with the TTL.
func (t *TTLNode) touchOnce(ctx context.Context) error {
	_, err := t.c.Set(ctx, t.touch, nil, client.AnyVersion)
	if !errors.Is(err, client.ErrNoNode) {
		return err
	}
	_, _, err = t.c.CreateTTL(ctx, t.touch, nil, client.ModePersistentWithTTL, client.OpenACL(), t.ttl)
	if errors.Is(err, client.ErrNodeExists) || errors.Is(err, client.ErrNoNode) {
		return nil // touched by another process, or the container is being re-created
	}
	return err
}

// WaitForInitialCreate waits until the container node has been created
// once (see Node.WaitForInitialCreate).
func (t *TTLNode) WaitForInitialCreate(ctx context.Context) error {
	return t.node.WaitForInitialCreate(ctx)
}

// Path returns the node's path, or "" before the initial create.
func (t *TTLNode) Path() string { return t.node.Path() }

// Data returns the data the node is kept with.
func (t *TTLNode) Data() []byte { return t.node.Data() }

// SetData changes the node's data (see Node.SetData).
func (t *TTLNode) SetData(ctx context.Context, data []byte) error { return t.node.SetData(ctx, data) }

// Err returns the Node's error (see Node.Err), or else the last touch's
// error (nil once a touch succeeded again).
func (t *TTLNode) Err() error {
	if err := t.node.Err(); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.touched
}

// Close stops touching the node and keeping it. The node is not deleted:
// it expires after its TTL unless another process touches it.
func (t *TTLNode) Close(ctx context.Context) error {
	t.once.Do(func() { close(t.stop) })
	<-t.done
	return t.node.Close(ctx)
}
