package config

import (
	"context"
	"errors"

	"github.com/zabkit/zabkit/client"
)

// Watch streams key's value: the current one first (Deleted set if the key
// does not exist), then every change. The channel holds at most one
// undelivered value, replaced by newer ones, so the last value received is
// always the latest known. It closes when ctx ends, or when the session is
// lost and no new one can be had (no WithRedial, or the Center closed).
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
		for ctx.Err() == nil {
			c, err := cc.src.Conn(ctx)
			if err != nil {
				return
			}
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
				if client.IsRetryable(err) || client.IsSessionLost(err) {
					continue // same session again, or a new one from src
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
