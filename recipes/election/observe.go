package election

import (
	"context"
	"errors"

	"github.com/zabkit/zabkit/client"
)

// Observe streams the election's leaders: the current one (if any), then
// each new one as it takes over. A Term is sent when the leading node
// changes, so a leader re-elected with the same value is seen again. A
// slow reader only misses intermediate leaders, never the latest.
//
// Observing needs no ephemeral node, so it goes on across connection loss
// and across an expiry the Conn renews (it reads the election again on the
// new session). The channel closes when ctx ends or the Conn is finished
// (Close, or an expiry with client.WithSessionRenewal(false)).
func (e *Election) Observe(ctx context.Context) <-chan Term {
	out := make(chan Term)
	go func() {
		defer close(out)
		var last string
		for ctx.Err() == nil && e.c.Err() == nil {
			kids, _, ch, err := e.c.ChildrenW(ctx, e.dir)
			if errors.Is(err, client.ErrNoNode) {
				var ok bool
				ok, _, ch, err = e.c.ExistsW(ctx, e.dir)
				if err == nil && ok {
					continue // created meanwhile
				}
				kids = nil
			}
			if err != nil {
				if client.IsRetryable(err) || renewed(e.c, err) {
					continue
				}
				return
			}
			if len(kids) > 0 {
				t, err := leader(ctx, e.c, e.dir)
				switch {
				case err == nil && t.Key != last:
					last = t.Key
					select {
					case out <- t:
					case <-ctx.Done():
						return
					}
				case err != nil && !errors.Is(err, ErrNoLeader) && !client.IsRetryable(err) && !renewed(e.c, err):
					return
				}
			}
			select {
			case <-ch:
			case <-ctx.Done():
				return
			case <-e.c.Done():
				return
			}
		}
	}()
	return out
}

// renewed reports whether err is an expiry of a session that c replaces
// with a new one (c is not finished): a read may simply be made again.
func renewed(c *client.Conn, err error) bool {
	return errors.Is(err, client.ErrSessionExpired) && c.Err() == nil
}
