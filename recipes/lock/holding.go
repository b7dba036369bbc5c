package lock

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/ownership"
	"github.com/zabkit/zabkit/recipes/internal/seqnode"
)

// closedCh is returned by Lost when nothing is held.
var closedCh = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// contender is the machinery shared by Mutex, RWMutex's halves and
// Semaphore: one node at a time, the acquire loop, the holding's monitor.
type contender struct {
	c       *client.Conn
	dir     string
	name    string   // node name before the sequence ("lock-")
	markers []string // names ordering the queue
	rule    seqnode.Rule
	opts    options

	mu   sync.Mutex
	busy bool // an acquire or release is running
	node *seqnode.Node
	mon  *ownership.Monitor
}

func (h *contender) acquire(ctx context.Context, try bool) error {
	if err := seqnode.ValidDir(h.dir); err != nil {
		return err
	}
	h.mu.Lock()
	if h.node != nil || h.busy {
		h.mu.Unlock()
		return ErrHeld
	}
	h.busy = true
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.busy = false
		h.mu.Unlock()
	}()

	n, err := seqnode.CreateProtected(ctx, h.c, h.dir, h.name, h.opts.data)
	if err != nil {
		return fmt.Errorf("lock %s: create: %w", h.dir, err)
	}
	err = seqnode.Await(ctx, h.c, h.dir, n, h.markers, h.rule, try)
	if err != nil {
		// Give up: remove our node so that no one waits behind it.
		_ = seqnode.DeleteDetached(ctx, h.c, n.Path)
		if errors.Is(err, seqnode.ErrWouldBlock) {
			return ErrLocked
		}
		return fmt.Errorf("lock %s: %w", h.dir, err)
	}
	mon := ownership.Start(h.c, h.opts.grace, ErrLost)
	h.mu.Lock()
	h.node, h.mon = &n, mon
	h.mu.Unlock()
	return nil
}

func (h *contender) release(ctx context.Context) error {
	h.mu.Lock()
	n, mon := h.node, h.mon
	if n == nil || h.busy {
		h.mu.Unlock()
		return ErrNotHeld
	}
	h.busy = true
	h.mu.Unlock()
	err := seqnode.Delete(ctx, h.c, n.Path)
	h.mu.Lock()
	h.busy = false
	if err == nil {
		h.node, h.mon = nil, nil
	}
	h.mu.Unlock()
	if err != nil {
		return fmt.Errorf("lock %s: unlock: %w", h.dir, err)
	}
	mon.Stop()
	return nil
}

func (h *contender) token() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.node == nil {
		return 0
	}
	return h.node.Stat.Czxid
}

func (h *contender) path() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.node == nil {
		return ""
	}
	return h.node.Path
}

func (h *contender) lost() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.mon == nil {
		return closedCh
	}
	return h.mon.Done()
}

func (h *contender) context() context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.mon == nil {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(ErrNotHeld)
		return ctx
	}
	return h.mon.Context()
}
