package election

import (
	"context"
	"errors"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/contend"
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
	// ErrSessionLost is returned when the Conn is finished (closed, or
	// expired with client.WithSessionRenewal(false)) or the candidate's
	// node vanished.
	ErrSessionLost = contend.ErrSessionEnded
	// ErrLost is the cause (context.Cause of Context) when leadership may
	// have been lost: session ended, or no connection for longer than the
	// grace period.
	ErrLost = errors.New("election: leadership may have been lost")
	// ErrResigned is the cause (context.Cause of Context) after Resign.
	ErrResigned = contend.ErrReleased
)

// Option configures an Election.
type Option func(*options)

type options struct {
	grace time.Duration
}

// WithSuspendGrace sets how long a leader may stay without a connection
// before its leadership counts as lost (default 0: at once). Keep it well
// below a third of the session timeout.
func WithSuspendGrace(d time.Duration) Option { return func(o *options) { o.grace = d } }

// Election is one candidate in the election held in a directory.
type Election struct {
	c   *client.Conn
	dir string
	h   contend.Contender
}

// New returns a candidate for the election in dir on the session c.
func New(c *client.Conn, dir string, opts ...Option) *Election {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return &Election{c: c, dir: dir, h: contend.Contender{
		Conn: c, Queue: queue(dir), Kind: "election", Grace: o.grace,
		ErrBusy: ErrCampaigning, ErrNotHeld: ErrNotLeader, ErrLost: ErrLost,
	}}
}

// queue is the election's queue: the first candidate leads, each other
// waits for the one just before it.
func queue(dir string) contend.Queue {
	return contend.Queue{Dir: dir, Name: latchName, Rule: contend.First(1)}
}

// Campaign enters the election with value (stored in the candidate's node)
// and blocks until the candidate leads or ctx ends (its node is then
// deleted and ctx's error returned). If the session expires meanwhile, it
// enters again on the Conn's new session; it returns ErrSessionLost once
// the Conn is finished.
func (e *Election) Campaign(ctx context.Context, value string) error {
	return e.h.Acquire(ctx, []byte(value), false)
}

// Resign gives up leadership: it deletes the candidate's node, retrying
// until it is gone or the session is gone, so the next candidate takes
// over. It returns ErrNotLeader when the Election does not lead.
func (e *Election) Resign(ctx context.Context) error { return e.h.Release(ctx) }

// IsLeader reports whether the candidate won its campaign and has not
// resigned (check Lost to know whether it may still act as leader).
func (e *Election) IsLeader() bool { return e.h.Held() }

// Token returns the fencing token of the current term (the leader node's
// czxid, increasing from one leader to the next), or 0 when not leading.
func (e *Election) Token() int64 { return e.h.Token() }

// Key returns the path of the candidate's node while leading.
func (e *Election) Key() string { return e.h.Key() }

// Context returns a context cancelled when leadership may have been lost
// (cause wrapping ErrLost) or after Resign (cause ErrResigned). When not
// leading it is already cancelled.
func (e *Election) Context() context.Context { return e.h.Context() }

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
		sorted, err := queue(dir).Sorted(ctx, c)
		if err != nil {
			return Term{}, err
		}
		if len(sorted) == 0 {
			return Term{}, ErrNoLeader
		}
		p := client.JoinPath(dir, sorted[0])
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
