package shared

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/zabkit/zabkit/client"
)

var (
	// ErrConflict: a TrySet or CompareAndSet lost to a concurrent change
	// (the node's version or value was no longer the one expected).
	ErrConflict = errors.New("shared: value changed concurrently")
	// ErrCorrupt: the node's data is not an encoded value of the expected
	// size (4 bytes for a Count, 8 for an AtomicLong).
	ErrCorrupt = errors.New("shared: node data is not a value of the expected size")
	// ErrUnknownOutcome: the connection broke while a conditional write was
	// in flight, so whether it was applied is unknown. It is not retried
	// (a retried increment could count twice); read the value to find out.
	ErrUnknownOutcome = errors.New("shared: outcome of the write is unknown (connection lost)")
	// ErrContention: an AtomicLong operation ran out of attempts, each
	// beaten by a concurrent change.
	ErrContention = errors.New("shared: too many concurrent changes")
)

// Versioned is a value with the node version and modifying zxid it was
// read or written at (Curator's VersionedValue). TrySet takes it back to
// write only if the node has not changed since.
type Versioned[T any] struct {
	Value   T
	Version int32
	Zxid    int64 // the node's mzxid: increases with every change
}

// Value is Curator's SharedValue: one persistent node holding bytes,
// created with a seed value by the first participant that needs it.
type Value struct {
	c    *client.Conn
	path string
	seed []byte
}

// NewValue returns the shared value at path, seeded with seed when the
// node does not exist yet.
func NewValue(c *client.Conn, path string, seed []byte) *Value {
	return &Value{c: c, path: path, seed: slices.Clone(seed)}
}

// Get returns the current value, creating the node with the seed if it is
// missing (as Curator's start does).
func (v *Value) Get(ctx context.Context) (Versioned[[]byte], error) {
	for {
		g, err := client.RetryValue(ctx, func(ctx context.Context) (get, error) {
			d, st, err := v.c.Get(ctx, v.path)
			return get{d, st}, err
		})
		if errors.Is(err, client.ErrNoNode) {
			if err := v.create(ctx); err != nil {
				return Versioned[[]byte]{}, err
			}
			continue
		}
		if err != nil {
			return Versioned[[]byte]{}, fmt.Errorf("shared value %s: %w", v.path, err)
		}
		return Versioned[[]byte]{Value: g.d, Version: g.st.Version, Zxid: g.st.Mzxid}, nil
	}
}

type get struct {
	d  []byte
	st client.Stat
}

// create creates the node with the seed (parents as containers), a node
// created meanwhile by another participant being as good.
func (v *Value) create(ctx context.Context) error {
	err := client.Retry(ctx, func(ctx context.Context) error {
		_, _, err := v.c.Create(ctx, v.path, v.seed, client.ModePersistent, nil, client.WithParentContainers())
		return err
	})
	if err != nil && !errors.Is(err, client.ErrNodeExists) {
		return fmt.Errorf("shared value %s: create: %w", v.path, err)
	}
	return nil
}

// Set writes data whatever the current value (Curator's setValue).
func (v *Value) Set(ctx context.Context, data []byte) (Versioned[[]byte], error) {
	for {
		st, err := client.RetryValue(ctx, func(ctx context.Context) (client.Stat, error) {
			return v.c.Set(ctx, v.path, data, client.AnyVersion)
		})
		if errors.Is(err, client.ErrNoNode) {
			if err := v.create(ctx); err != nil {
				return Versioned[[]byte]{}, err
			}
			continue
		}
		if err != nil {
			return Versioned[[]byte]{}, fmt.Errorf("shared value %s: set: %w", v.path, err)
		}
		return Versioned[[]byte]{Value: slices.Clone(data), Version: st.Version, Zxid: st.Mzxid}, nil
	}
}

// TrySet writes data only if the node is still at prev's version
// (Curator's trySetValue), and returns the new versioned value. It
// returns ErrConflict if the node changed since prev was read, and
// ErrUnknownOutcome if the connection broke before the reply.
func (v *Value) TrySet(ctx context.Context, prev Versioned[[]byte], data []byte) (Versioned[[]byte], error) {
	st, err := v.c.Set(ctx, v.path, data, prev.Version)
	switch {
	case errors.Is(err, client.ErrBadVersion), errors.Is(err, client.ErrNoNode):
		return Versioned[[]byte]{}, fmt.Errorf("shared value %s: %w", v.path, ErrConflict)
	case client.IsRetryable(err):
		return Versioned[[]byte]{}, fmt.Errorf("shared value %s: %w: %w", v.path, ErrUnknownOutcome, err)
	case err != nil:
		return Versioned[[]byte]{}, fmt.Errorf("shared value %s: %w", v.path, err)
	}
	return Versioned[[]byte]{Value: slices.Clone(data), Version: st.Version, Zxid: st.Mzxid}, nil
}

// Watch returns a stream of the value: the current one first, then every
// change the watch sees. A consumer that falls behind misses intermediate
// values, never the latest: the channel holds one value, replaced by a
// newer one until it is received. The stream re-reads after a connection
// loss and after a session is replaced (client.WithSessionRenewal), so it
// delivers what changed meanwhile; it is closed when ctx ends or the Conn
// is finished.
func (v *Value) Watch(ctx context.Context) <-chan Versioned[[]byte] {
	ch := make(chan Versioned[[]byte], 1)
	go func() {
		defer close(ch)
		var last int64 = -1
		backoff := 10 * time.Millisecond
		for {
			data, st, ev, err := v.c.GetW(ctx, v.path)
			switch {
			case err == nil:
				backoff = 10 * time.Millisecond
				if st.Mzxid > last {
					last = st.Mzxid
					latest(ch, Versioned[[]byte]{Value: data, Version: st.Version, Zxid: st.Mzxid})
				}
				select {
				case <-ev: // changed, deleted, or the session ended: read again
				case <-ctx.Done():
					return
				}
				continue
			case errors.Is(err, client.ErrNoNode):
				if v.create(ctx) == nil {
					continue
				}
			case client.IsSessionLost(err):
				if _, err := v.c.WaitSession(ctx); err != nil {
					return // the Conn is finished, or ctx ended
				}
				continue
			}
			if ctx.Err() != nil {
				return
			}
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
			backoff = min(2*backoff, time.Second)
		}
	}()
	return ch
}

// latest puts x in ch (capacity 1, one sender), replacing a value the
// receiver has not taken yet.
func latest[T any](ch chan T, x T) {
	select {
	case ch <- x:
		return
	default:
	}
	select {
	case <-ch:
	default:
	}
	ch <- x
}

// Count is Curator's SharedCount: a Value holding an int32 as 4 bytes,
// big-endian.
type Count struct{ v *Value }

// NewCount returns the shared count at path, seeded with seed.
func NewCount(c *client.Conn, path string, seed int32) *Count {
	return &Count{v: NewValue(c, path, binary.BigEndian.AppendUint32(nil, uint32(seed)))}
}

func countOf(x Versioned[[]byte]) (Versioned[int32], error) {
	if len(x.Value) != 4 {
		return Versioned[int32]{}, fmt.Errorf("%w: %d bytes, want 4", ErrCorrupt, len(x.Value))
	}
	return Versioned[int32]{Value: int32(binary.BigEndian.Uint32(x.Value)), Version: x.Version, Zxid: x.Zxid}, nil
}

func countBytes(n int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

// Get returns the current count.
func (c *Count) Get(ctx context.Context) (Versioned[int32], error) {
	x, err := c.v.Get(ctx)
	if err != nil {
		return Versioned[int32]{}, err
	}
	return countOf(x)
}

// Set writes n whatever the current count.
func (c *Count) Set(ctx context.Context, n int32) (Versioned[int32], error) {
	x, err := c.v.Set(ctx, countBytes(n))
	if err != nil {
		return Versioned[int32]{}, err
	}
	return countOf(x)
}

// TrySet writes n only if the count is still at prev's version; see
// Value.TrySet for its errors.
func (c *Count) TrySet(ctx context.Context, prev Versioned[int32], n int32) (Versioned[int32], error) {
	x, err := c.v.TrySet(ctx, Versioned[[]byte]{Version: prev.Version}, countBytes(n))
	if err != nil {
		return Versioned[int32]{}, err
	}
	return countOf(x)
}

// Watch returns a stream of the count, as Value.Watch; a node whose data
// is not 4 bytes is skipped.
func (c *Count) Watch(ctx context.Context) <-chan Versioned[int32] {
	out := make(chan Versioned[int32], 1)
	in := c.v.Watch(ctx)
	go func() {
		defer close(out)
		for x := range in {
			if n, err := countOf(x); err == nil {
				latest(out, n)
			}
		}
	}()
	return out
}
