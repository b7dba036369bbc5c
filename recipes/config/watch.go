package config

import (
	"context"
	"errors"

	"github.com/zabkit/zabkit/client"
)

// Watch streams key's value: the current one first (Deleted set if the key
// does not exist), then every change. The channel holds at most one
// undelivered value, replaced by newer ones, so the last value received is
// always the latest known. It closes when ctx ends or when the Conn is
// finished (a session expiry without WithSessionRenewal, Close). With
// renewal it goes on across an expiry: it reads the key again on the new
// session and delivers it if it changed meanwhile.
func (cc *Center) Watch(ctx context.Context, key string) <-chan Value {
	out := make(chan Value, 1)
	p, err := cc.path(key)
	if err != nil {
		close(out)
		return out
	}
	go func() {
		defer close(out)
		var last Value
		first := true
		deliver := func(v Value) {
			if !first && v.Deleted == last.Deleted && v.Mzxid == last.Mzxid {
				return
			}
			first, last = false, v
			select { // replace an undelivered value
			case <-out:
			default:
			}
			out <- v
		}
		c := cc.c
		for ctx.Err() == nil {
			data, st, ch, err := c.GetW(ctx, p)
			if errors.Is(err, client.ErrNoNode) {
				var ok bool
				ok, _, ch, err = c.ExistsW(ctx, p)
				if err == nil && ok {
					continue // created meanwhile
				}
				if err == nil {
					deliver(Value{Key: key, Deleted: true})
				}
			} else if err == nil {
				deliver(Value{Key: key, Data: data, Version: st.Version, Mzxid: st.Mzxid})
			}
			if err != nil {
				if client.IsRetryable(err) {
					continue // the request waits for the next link
				}
				if client.IsSessionLost(err) {
					if _, err := c.WaitSession(ctx); err == nil {
						continue // on the new session
					}
				}
				return
			}
			select {
			case <-ch:
			case <-c.Done():
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
