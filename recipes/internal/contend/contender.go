package contend

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/zabkit/zabkit/client"
)

// Contender is one contender of a Queue on a Conn: it holds at most one
// node at a time. Acquire joins the queue and waits for its turn, Release
// gives the place back; while held, Context says whether ownership may
// have been lost. The exported fields configure it before first use; the
// Err fields are the recipe's own sentinels, returned as they are.
type Contender struct {
	Conn  *client.Conn
	Queue Queue
	Kind  string        // the recipe, prefixing errors ("lock", "election")
	Grace time.Duration // how long a holding may go without a connection

	ErrBusy       error // Acquire while holding or acquiring
	ErrNotHeld    error // Release when not holding; Context's cause then
	ErrWouldBlock error // Acquire with try when the rule does not grant
	ErrLost       error // wrapped by Context's cause when ownership may be lost

	mu   sync.Mutex
	busy bool // an acquire or release is running
	node *Node
	sess Session // the session node was made on
	mon  *monitor
}

// Acquire joins the queue with data on the Conn's live session and blocks
// until the rule grants the contender (with try, it returns ErrWouldBlock
// instead of waiting) or ctx ends (the node is then deleted and ctx's
// error returned). If the session ends while waiting, the contender
// re-enters the queue on the Conn's next session (waiting for it while
// the Conn renews an expired session); once the Conn is finished (Close,
// or an expiry without renewal) Acquire fails with ErrSessionEnded.
//
// A holding whose session ended is over: Acquire on a Contender still
// holding one drops it (its node went with the session) and contends
// anew, for a new token. A holding on a live session makes Acquire fail
// with ErrBusy.
func (h *Contender) Acquire(ctx context.Context, data []byte, try bool) error {
	if err := client.ValidatePath(h.Queue.Dir); err != nil {
		return h.fail(err)
	}
	h.mu.Lock()
	if h.busy || (h.node != nil && !h.sess.ended()) {
		h.mu.Unlock()
		return h.ErrBusy
	}
	if h.node != nil { // held on a session that ended: nothing left to release
		h.node = nil
		h.mon.stop()
	}
	h.busy = true
	h.mu.Unlock()
	var (
		s   Session
		n   Node
		err error
	)
	for {
		if s, err = nextSession(ctx, h.Conn); err != nil {
			break
		}
		n, err = h.Queue.contend(ctx, h.Conn, s, data, try)
		if errors.Is(err, ErrSessionEnded) && s.ended() && ctx.Err() == nil && h.Conn.Err() == nil {
			continue // the session expired and the Conn renews it: queue again
		}
		break
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.busy = false
	if errors.Is(err, errWouldBlock) {
		return h.ErrWouldBlock
	}
	if err != nil {
		return h.fail(err)
	}
	h.node, h.sess, h.mon = &n, s, startMonitor(h.Conn, s, h.Grace, h.ErrLost)
	return nil
}

func (h *Contender) fail(err error) error {
	return fmt.Errorf("%s %s: %w", h.Kind, h.Queue.Dir, err)
}

// Release deletes the contender's node, retrying after connection loss
// until it is gone or its session is gone (either gives the place up),
// and ends the holding (Context's cause ErrReleased unless it was lost
// before). A holding whose session ended is over: Release sends nothing
// on a later session (a delete waiting for one is abandoned), so no node of
// an older session is ever deleted or otherwise acted on. If ctx
// ends first it returns ctx's error and still holds.
func (h *Contender) Release(ctx context.Context) error {
	h.mu.Lock()
	n, s, mon := h.node, h.sess, h.mon
	if n == nil || h.busy {
		h.mu.Unlock()
		return h.ErrNotHeld
	}
	h.busy = true
	h.mu.Unlock()
	err := DeleteNode(ctx, h.Conn, s, n.Path)
	h.mu.Lock()
	h.busy = false
	if err == nil {
		h.node, h.mon = nil, nil
	}
	h.mu.Unlock()
	if err != nil {
		return h.fail(fmt.Errorf("release: %w", err))
	}
	mon.stop()
	return nil
}

// Held reports whether the contender holds (it may have lost ownership
// since: see Context).
func (h *Contender) Held() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.node != nil
}

// Token returns the holding's fencing token (its node's czxid), or 0.
func (h *Contender) Token() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.node == nil {
		return 0
	}
	return h.node.Stat.Czxid
}

// Key returns the holding's node path, or "".
func (h *Contender) Key() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.node == nil {
		return ""
	}
	return h.node.Path
}

// Context returns a context cancelled when ownership may have been lost
// (cause wrapping ErrLost) or was released (cause ErrReleased); when
// nothing is held it is already cancelled (cause ErrNotHeld).
func (h *Contender) Context() context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.mon == nil {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(h.ErrNotHeld)
		return ctx
	}
	return h.mon.ctx
}
