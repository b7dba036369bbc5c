package election

import (
	"context"
	"errors"
)

// Run leads whenever it can until ctx ends, in the manner of Curator's
// LeaderSelector with auto-requeue but on LeaderLatch's nodes (see the
// package doc): it campaigns with value, calls fn with a context that is
// cancelled as soon as leadership may have been lost (or ctx ends), resigns
// when fn returns, and campaigns again.
//
// fn should return when its context is cancelled. If fn returns an error
// while its leadership was intact, Run resigns and returns that error. Run
// campaigns on across session expiries the Conn renews (see the package
// doc); it returns nil when ctx ends, and an error wrapping ErrSessionLost
// once the Conn is finished (Close, or an expiry with
// client.WithSessionRenewal(false)).
func (e *Election) Run(ctx context.Context, value string, fn func(ctx context.Context) error) error {
	for {
		if err := e.Campaign(ctx, value); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		lctx, cancel := context.WithCancelCause(ctx)
		stop := context.AfterFunc(e.Context(), func() { cancel(context.Cause(e.Context())) })
		ferr := fn(lctx)
		stop()
		lost := lctx.Err() != nil
		cancel(nil)
		rerr := e.Resign(context.WithoutCancel(ctx))
		if ferr != nil && !lost {
			return ferr
		}
		if ctx.Err() != nil {
			return nil
		}
		if rerr != nil && !errors.Is(rerr, ErrNotLeader) {
			return rerr
		}
	}
}
