package election

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/ownership"
	"github.com/zabkit/zabkit/recipes/internal/seqnode"
)

// latchName is Curator's LeaderLatch node name.
const latchName = "latch-"

var (
	// ErrNoLeader is returned by Leader when no candidate is campaigning.
	ErrNoLeader = errors.New("election: no leader")
	// ErrCampaigning is returned by Campaign and Run on an Election that is
	// already campaigning or leading.
	ErrCampaigning = errors.New("election: already campaigning")
	// ErrNotLeader is returned by Resign when the Election does not lead
	// or campaign.
	ErrNotLeader = errors.New("election: not campaigning")
	// ErrSessionLost is returned when the session ended (expired, closed)
	// or the candidate's node vanished.
	ErrSessionLost = seqnode.ErrSessionLost
	// ErrLost is the cause (context.Cause of Context) when leadership may
	// have been lost: session ended, or no connection for longer than the
	// grace period.
	ErrLost = errors.New("election: leadership may have been lost")
	// ErrResigned is the cause (context.Cause of Context) after Resign.
	ErrResigned = ownership.ErrReleased
)

// Option configures an Election.
type Option func(*Election)

// WithSuspendGrace sets how long a leader may stay without a connection
// before its leadership counts as lost (default 0: at once). Keep it well
// below a third of the session timeout.
func WithSuspendGrace(d time.Duration) Option { return func(e *Election) { e.grace = d } }

// Election is one candidate in the election held in a directory.
type Election struct {
	c     *client.Conn
	dir   string
	grace time.Duration

	mu      sync.Mutex
	busy    bool
	node    *seqnode.Node
	leading bool
	mon     *ownership.Monitor
}

// New returns a candidate for the election in dir on the session c.
func New(c *client.Conn, dir string, opts ...Option) *Election {
	e := &Election{c: c, dir: dir}
	for _, o := range opts {
		o(e)
	}
	return e
}

var first = func(sorted []string, idx int) seqnode.Decision {
	if idx == 0 {
		return seqnode.Decision{Acquired: true}
	}
	return seqnode.Decision{Watch: sorted[idx-1]}
}

// Campaign enters the election with value (stored in the candidate's node)
// and blocks until the candidate leads, ctx ends (its node is then deleted
// and ctx's error returned) or the session is lost (ErrSessionLost).
func (e *Election) Campaign(ctx context.Context, value string) error {
	if err := seqnode.ValidDir(e.dir); err != nil {
		return err
	}
	e.mu.Lock()
	if e.busy || e.node != nil {
		e.mu.Unlock()
		return ErrCampaigning
	}
	e.busy = true
	e.mu.Unlock()
	n, err := seqnode.CreateProtected(ctx, e.c, e.dir, latchName, []byte(value))
	if err == nil {
		e.mu.Lock()
		e.node = &n // Resign from another goroutine can now withdraw it
		e.mu.Unlock()
		err = seqnode.Await(ctx, e.c, e.dir, n, []string{latchName}, first, false)
		if err != nil {
			_ = seqnode.DeleteDetached(ctx, e.c, n.Path)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.busy = false
	if err != nil {
		e.node = nil
		return fmt.Errorf("election %s: %w", e.dir, err)
	}
	e.leading = true
	e.mon = ownership.Start(e.c, e.grace, ErrLost)
	return nil
}

// Resign gives up leadership: it deletes the candidate's node, retrying
// until it is gone or the session is gone, so the next candidate takes
// over. It returns ErrNotLeader when the Election does not lead.
func (e *Election) Resign(ctx context.Context) error {
	e.mu.Lock()
	n, mon := e.node, e.mon
	if n == nil || !e.leading {
		e.mu.Unlock()
		return ErrNotLeader
	}
	e.mu.Unlock()
	if err := seqnode.Delete(ctx, e.c, n.Path); err != nil {
		return fmt.Errorf("election %s: resign: %w", e.dir, err)
	}
	e.mu.Lock()
	e.node, e.mon, e.leading = nil, nil, false
	e.mu.Unlock()
	mon.Stop()
	return nil
}

// IsLeader reports whether the candidate won its campaign and has not
// resigned (check Lost to know whether it may still act as leader).
func (e *Election) IsLeader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leading
}

// Token returns the fencing token of the current term (the leader node's
// czxid, increasing from one leader to the next), or 0 when not leading.
func (e *Election) Token() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.leading {
		return 0
	}
	return e.node.Stat.Czxid
}

// Key returns the path of the candidate's node while leading.
func (e *Election) Key() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.leading {
		return ""
	}
	return e.node.Path
}

// Context returns a context cancelled when leadership may have been lost
// (cause wrapping ErrLost) or after Resign (cause ErrResigned). When not
// leading it is already cancelled.
func (e *Election) Context() context.Context {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.mon == nil {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(ErrNotLeader)
		return ctx
	}
	return e.mon.Context()
}

// Lost returns Context().Done().
func (e *Election) Lost() <-chan struct{} { return e.Context().Done() }

// Term describes a leader: its value, its node and its fencing token.
type Term struct {
	Value string
	Key   string
	Token int64
}

// Leader returns the current leader's value, or ErrNoLeader.
func (e *Election) Leader(ctx context.Context) (string, error) {
	t, err := leader(ctx, e.c, e.dir)
	return t.Value, err
}

// CurrentTerm returns the current leader's Term, or ErrNoLeader.
func (e *Election) CurrentTerm(ctx context.Context) (Term, error) { return leader(ctx, e.c, e.dir) }

func leader(ctx context.Context, c *client.Conn, dir string) (Term, error) {
	for {
		sorted, err := seqnode.Sorted(ctx, c, dir, latchName)
		if err != nil {
			return Term{}, err
		}
		if len(sorted) == 0 {
			return Term{}, ErrNoLeader
		}
		p := seqnode.Join(dir, sorted[0])
		data, st, err := c.Get(ctx, p)
		if errors.Is(err, client.ErrNoNode) {
			continue // the leader left between the two reads
		}
		if err != nil {
			if client.IsRetryable(err) {
				continue
			}
			return Term{}, err
		}
		return Term{Value: string(data), Key: p, Token: st.Czxid}, nil
	}
}
