package shared

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zabkit/zabkit/client"
)

// Atomically runs a software transaction over several nodes (etcd
// concurrency's STM idea on ZooKeeper): fn reads nodes through tx and
// buffers writes in it; then every node fn read is checked to be
// unchanged and the writes are applied, all in one multi. If another
// client changed a node fn read (or created one fn found missing), the
// multi fails, nothing is written, and fn runs again on fresh reads, until
// it commits or ctx ends. fn may run several times and must have no other
// side effects; its reads within one run may mix moments (an attempt
// whose reads were not consistent never commits). An error from fn aborts
// the transaction with that error and writes nothing.
//
// A node found missing is checked by creating and deleting it (or its
// topmost missing ancestor) in the multi, which watchers of its parent see
// as a change of children. A commit whose connection breaks in flight
// fails with ErrUnknownOutcome (it is not retried: it may have been
// applied).
func Atomically(ctx context.Context, c *client.Conn, fn func(ctx context.Context, tx *Tx) error) error {
	wait := 5 * time.Millisecond
	for {
		tx := &Tx{c: c, reads: map[string]read{}, writes: map[string]*write{}}
		if err := fn(ctx, tx); err != nil {
			return err
		}
		ops := tx.ops()
		if len(ops) == 0 {
			return nil
		}
		_, err := c.Multi(ctx, ops...)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, client.ErrBadVersion), errors.Is(err, client.ErrNodeExists), errors.Is(err, client.ErrNoNode):
			// a node read changed: run again
		case client.IsRetryable(err):
			return fmt.Errorf("transaction: %w: %w", ErrUnknownOutcome, err)
		default:
			return fmt.Errorf("transaction: %w", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("transaction: %w", ctx.Err())
		}
		wait = min(2*wait, time.Second)
	}
}

// Tx is one run of a transaction's function: reads are recorded (and
// repeatable), writes buffered until the commit.
type Tx struct {
	c      *client.Conn
	reads  map[string]read
	writes map[string]*write
}

type read struct {
	data    []byte
	version int32
	exists  bool
	gap     string // when missing: the topmost missing node on its path (itself or an ancestor)
}

type write struct {
	data []byte
	del  bool
}

// Get returns the data of path and whether it exists, as the transaction
// sees it (its own writes included).
func (tx *Tx) Get(ctx context.Context, path string) ([]byte, bool, error) {
	if w := tx.writes[path]; w != nil {
		return slices.Clone(w.data), !w.del, nil
	}
	r, err := tx.read(ctx, path)
	return slices.Clone(r.data), r.exists, err
}

// Put sets path to data at commit, creating it and its missing parents
// (persistent) if needed.
func (tx *Tx) Put(ctx context.Context, path string, data []byte) error {
	if _, err := tx.read(ctx, path); err != nil {
		return err
	}
	tx.writes[path] = &write{data: slices.Clone(data)}
	return nil
}

// Delete deletes path at commit if it exists (it must have no children).
func (tx *Tx) Delete(ctx context.Context, path string) error {
	if _, err := tx.read(ctx, path); err != nil {
		return err
	}
	tx.writes[path] = &write{del: true}
	return nil
}

func (tx *Tx) read(ctx context.Context, path string) (read, error) {
	if r, ok := tx.reads[path]; ok {
		return r, nil
	}
	if err := client.ValidatePath(path); err != nil {
		return read{}, err
	}
	g, err := client.RetryValue(ctx, func(ctx context.Context) (get, error) {
		d, st, err := tx.c.Get(ctx, path)
		return get{d, st}, err
	})
	var r read
	switch {
	case err == nil:
		r = read{data: g.d, version: g.st.Version, exists: true}
	case errors.Is(err, client.ErrNoNode):
		r.gap = path
		for p := parent(path); p != "/"; p = parent(p) {
			ok, err := client.RetryValue(ctx, func(ctx context.Context) (bool, error) {
				ok, _, err := tx.c.Exists(ctx, p)
				return ok, err
			})
			if err != nil {
				return read{}, fmt.Errorf("transaction: read %s: %w", p, err)
			}
			if ok {
				break
			}
			r.gap = p
		}
	default:
		return read{}, fmt.Errorf("transaction: read %s: %w", path, err)
	}
	tx.reads[path] = r
	return r, nil
}

func parent(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return "/"
}

// ops returns the commit's multi: a check per node read (its version, or
// for a missing node that its topmost missing ancestor is still missing:
// created and deleted again, which fails if it exists), then the writes,
// parents before children, children deleted before parents. A read-only
// transaction commits its checks too, so its reads are proven consistent.
func (tx *Tx) ops() []client.Op {
	var ops []client.Op
	gaps := map[string]bool{}
	for _, p := range sortedKeys(tx.reads) {
		r := tx.reads[p]
		w := tx.writes[p]
		switch {
		case r.exists && w == nil:
			ops = append(ops, client.CheckOp{Path: p, Version: r.version})
		case !r.exists && (w == nil || w.del) && !gaps[r.gap]:
			gaps[r.gap] = true
			ops = append(ops, client.CreateOp{Path: r.gap, Mode: client.ModePersistent},
				client.DeleteOp{Path: r.gap, Version: 0})
		}
	}
	created := map[string]bool{}
	var deletes []string
	for _, p := range sortedKeys(tx.writes) {
		r, w := tx.reads[p], tx.writes[p]
		switch {
		case w.del:
			if r.exists {
				deletes = append(deletes, p)
			}
		case r.exists:
			ops = append(ops, client.SetOp{Path: p, Data: w.data, Version: r.version})
		default:
			// Missing parents from the gap down, then the node.
			var chain []string
			for a := parent(p); len(a) >= len(r.gap) && a != "/"; a = parent(a) {
				chain = append(chain, a)
			}
			slices.Reverse(chain)
			for _, a := range chain {
				if !created[a] {
					created[a] = true
					ops = append(ops, client.CreateOp{Path: a, Mode: client.ModePersistent})
				}
			}
			created[p] = true
			ops = append(ops, client.CreateOp{Path: p, Data: w.data, Mode: client.ModePersistent})
		}
	}
	slices.Reverse(deletes) // children before parents
	for _, p := range deletes {
		ops = append(ops, client.DeleteOp{Path: p, Version: tx.reads[p].version})
	}
	return ops
}

// sortedKeys returns m's keys sorted, so parents come before children.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
