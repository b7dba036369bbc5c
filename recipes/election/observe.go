package election

import (
	"context"
	"errors"

	"github.com/zabkit/zabkit/client"
)

// Observe streams the election's leaders: the current one (if any), then
// each new one as it takes over. A Term is sent when the leading node
// changes, so a leader re-elected with the same value is seen again. The
// channel closes when ctx ends or the session is lost; a slow reader only
// misses intermediate leaders, never the latest.
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
				if client.IsRetryable(err) {
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
				case err != nil && !errors.Is(err, ErrNoLeader) && !client.IsRetryable(err):
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
