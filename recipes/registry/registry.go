package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/zabkit/zabkit/client"
)

var (
	// ErrNotRegistered is returned by Update and Unregister for an
	// instance this Registry did not register.
	ErrNotRegistered = errors.New("registry: instance not registered here")
	// ErrSessionLost is matched by the errors of calls on a Conn that is
	// finished: its session expired without WithSessionRenewal, its
	// authentication failed, or it was closed. The error also matches the
	// Conn's (client.ErrSessionExpired, ...).
	ErrSessionLost = errors.New("registry: session lost")
	// ErrClosed is returned by every call after Close.
	ErrClosed = errors.New("registry: closed")
)

// Option configures a Registry.
type Option func(*options)

type options struct {
	log *slog.Logger
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Registry registers this process's service instances.
type Registry struct {
	c    *client.Conn
	base string
	log  *slog.Logger

	mu        sync.Mutex
	instances map[string]*entry // name/id -> registration
	closed    bool

	// wmu serializes the writes of nodes (Register, Unregister and
	// re-registration), so that one instance never gets two
	// DynamicSequential nodes.
	wmu sync.Mutex

	cancel context.CancelFunc
	exited chan struct{}
}

// New returns a Registry that registers instances below base on c. It
// starts one goroutine (stopped by Close) that registers every instance
// again on each new session of c (with client.WithSessionRenewal).
func New(c *client.Conn, base string, opts ...Option) *Registry {
	o := options{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range opts {
		f(&o)
	}
	r := &Registry{c: c, base: base, instances: map[string]*entry{}, log: o.log, exited: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go r.run(ctx)
	return r
}

// entry is one registered instance and the node last written for it.
type entry struct {
	inst Instance
	path string // "" until written; with the sequence suffix for DynamicSequential
}

func key(name, id string) string { return name + "/" + id }

// path is where inst's node goes: for DynamicSequential, the prefix the
// server appends the sequence number to.
func (r *Registry) path(inst Instance) string {
	return client.JoinPath(client.JoinPath(r.base, inst.Name), inst.ID)
}

// ephemeral reports whether t's nodes go with the session.
func ephemeral(t ServiceType) bool { return t == Dynamic || t == DynamicSequential }

// Register writes inst at <base>/<name>/<id>, as Curator does: an
// ephemeral node for Dynamic instances (the default), an
// ephemeral-sequential one (<id> plus a 10-digit sequence number) for
// DynamicSequential, a persistent one for Static and Permanent. An empty
// ServiceType means Dynamic; a zero RegistrationTimeUTC is set to now. A
// node left at that path by another (older) session is replaced.
// Registering an instance again updates its node (a DynamicSequential
// instance keeps its node while its session lives).
func (r *Registry) Register(ctx context.Context, inst Instance) error {
	if err := client.ValidatePath(r.base); err != nil {
		return err
	}
	if inst.ServiceType == "" {
		inst.ServiceType = Dynamic
	}
	if inst.RegistrationTimeUTC == 0 {
		inst.RegistrationTimeUTC = time.Now().UnixMilli()
	}
	if _, err := Marshal(inst); err != nil {
		return err
	}
	k := key(inst.Name, inst.ID)
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	if e, ok := r.instances[k]; ok {
		e.inst = inst
	} else {
		r.instances[k] = &entry{inst: inst}
	}
	r.mu.Unlock()
	if err := r.retry(ctx, func(ctx context.Context) error { return r.write(ctx, r.c, k) }); err != nil {
		return fmt.Errorf("registry: register %s: %w", r.path(inst), err)
	}
	return nil
}

// retry runs op again while the Conn replaces an expired session (a write
// queued for the old session fails with ErrSessionExpired without being
// sent), waiting for the new one; an error of a finished Conn matches
// ErrSessionLost.
func (r *Registry) retry(ctx context.Context, op func(ctx context.Context) error) error {
	for {
		err := op(ctx)
		if !client.IsSessionLost(err) {
			return err
		}
		if r.c.Err() != nil {
			return fmt.Errorf("%w: %w", ErrSessionLost, err)
		}
		if _, werr := r.c.WaitSession(ctx); werr != nil {
			return err
		}
	}
}

// write creates or overwrites the node of the instance registered under k
// on c, and records its path; an instance no longer registered is not
// written.
func (r *Registry) write(ctx context.Context, c *client.Conn, k string) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	r.mu.Lock()
	e, ok := r.instances[k]
	var inst Instance
	var old string
	if ok {
		inst, old = e.inst, e.path
	}
	r.mu.Unlock()
	if !ok {
		return nil
	}
	data, err := Marshal(inst)
	if err != nil {
		return err
	}
	var p string
	if inst.ServiceType == DynamicSequential {
		p, err = r.writeSequential(ctx, c, inst, old, data)
	} else {
		p = r.path(inst)
		err = r.writeAt(ctx, c, inst, p, data)
	}
	if err != nil {
		return err
	}
	r.mu.Lock()
	e.path = p // also when unregistered meanwhile: Unregister and Close delete it
	r.mu.Unlock()
	if old != "" && old != p {
		// The service type changed: remove the node of the old one if it
		// is ours.
		if ok, st, err := c.Exists(ctx, old); err == nil && ok && (st.EphemeralOwner == c.SessionID() || st.EphemeralOwner == 0) {
			_ = c.Delete(ctx, old, st.Version)
		}
	}
	return nil
}

// writeSequential writes a DynamicSequential instance: its node of this
// session (old, or one left by a create whose reply was lost) is updated;
// otherwise an ephemeral-sequential node <id>NNNNNNNNNN is created. It
// returns the node's path.
func (r *Registry) writeSequential(ctx context.Context, c *client.Conn, inst Instance, old string, data []byte) (string, error) {
	prefix := r.path(inst)
	lost := false // a create may have been applied without a reply
	return client.RetryValue(ctx, func(ctx context.Context) (string, error) {
		for {
			p, err := r.ownSequential(ctx, c, inst, old, lost)
			if err != nil {
				return "", err
			}
			if p == "" {
				p, _, err = c.Create(ctx, prefix, data, client.ModeEphemeralSequential, nil, client.WithParentContainers())
				lost = lost || client.IsRetryable(err)
				return p, err
			}
			_, err = c.Set(ctx, p, data, client.AnyVersion)
			if !errors.Is(err, client.ErrNoNode) {
				return p, err
			}
			old = "" // gone meanwhile: look again, then create
		}
	})
}

// ownSequential returns the path of inst's ephemeral-sequential node owned
// by c's session: old if it still is, else (search) a child of the service
// named <id>NNNNNNNNNN holding inst's id; "" if there is none.
func (r *Registry) ownSequential(ctx context.Context, c *client.Conn, inst Instance, old string, search bool) (string, error) {
	if old != "" {
		ok, st, err := c.Exists(ctx, old)
		if err != nil {
			return "", err
		}
		if ok && st.EphemeralOwner == c.SessionID() {
			return old, nil
		}
	}
	if !search {
		return "", nil
	}
	dir := client.JoinPath(r.base, inst.Name)
	kids, _, err := c.Children(ctx, dir)
	if errors.Is(err, client.ErrNoNode) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, k := range kids {
		if !isSequentialOf(k, inst.ID) {
			continue
		}
		p := client.JoinPath(dir, k)
		data, st, err := c.Get(ctx, p)
		if errors.Is(err, client.ErrNoNode) {
			continue
		}
		if err != nil {
			return "", err
		}
		if got, err := Unmarshal(data); err == nil && got.ID == inst.ID && st.EphemeralOwner == c.SessionID() {
			return p, nil
		}
	}
	return "", nil
}

// isSequentialOf reports whether node is id followed by a 10-digit
// sequence number.
func isSequentialOf(node, id string) bool {
	seq, ok := strings.CutPrefix(node, id)
	if !ok || len(seq) != 10 {
		return false
	}
	for _, d := range seq {
		if d < '0' || d > '9' {
			return false
		}
	}
	return true
}

// writeAt creates or overwrites inst's node at p (not sequential).
func (r *Registry) writeAt(ctx context.Context, c *client.Conn, inst Instance, p string, data []byte) error {
	mode := client.ModeEphemeral
	if inst.ServiceType != Dynamic {
		mode = client.ModePersistent
	}
	return client.Retry(ctx, func(ctx context.Context) error {
		for {
			_, _, err := c.Create(ctx, p, data, mode, nil, client.WithParentContainers())
			if !errors.Is(err, client.ErrNodeExists) {
				return err
			}
			ok, st, err := c.Exists(ctx, p)
			switch {
			case err != nil:
				return err
			case !ok:
				continue // gone meanwhile: create again
			case st.EphemeralOwner == c.SessionID() || (mode == client.ModePersistent && st.EphemeralOwner == 0):
				_, err = c.Set(ctx, p, data, st.Version)
				if errors.Is(err, client.ErrBadVersion) || errors.Is(err, client.ErrNoNode) {
					continue // changed or gone meanwhile: start over
				}
				return err
			}
			// Another session's node (ours before an expiry, or a stale
			// registration): replace it, as Curator does.
			if err := c.Delete(ctx, p, st.Version); err != nil && !errors.Is(err, client.ErrNoNode) && !errors.Is(err, client.ErrBadVersion) {
				return err
			}
		}
	})
}

// Update replaces the data of a registered instance.
func (r *Registry) Update(ctx context.Context, inst Instance) error {
	r.mu.Lock()
	e, ok := r.instances[key(inst.Name, inst.ID)]
	var old Instance
	if ok {
		old = e.inst
	}
	r.mu.Unlock()
	if !ok {
		return ErrNotRegistered
	}
	if inst.ServiceType == "" {
		inst.ServiceType = old.ServiceType
	}
	if inst.RegistrationTimeUTC == 0 {
		inst.RegistrationTimeUTC = old.RegistrationTimeUTC
	}
	return r.Register(ctx, inst)
}

// Unregister removes an instance registered by this Registry.
func (r *Registry) Unregister(ctx context.Context, name, id string) error {
	r.mu.Lock()
	e, ok := r.instances[key(name, id)]
	delete(r.instances, key(name, id))
	r.mu.Unlock()
	if !ok {
		return ErrNotRegistered
	}
	r.wmu.Lock() // a write in progress has recorded its path
	defer r.wmu.Unlock()
	if err := r.c.Err(); err != nil {
		if ephemeral(e.inst.ServiceType) {
			return nil // gone with the session
		}
		return fmt.Errorf("registry: unregister %s: %w: %w", r.path(e.inst), ErrSessionLost, err)
	}
	if err := r.remove(ctx, r.c, e); err != nil {
		return fmt.Errorf("registry: unregister %s: %w", r.path(e.inst), err)
	}
	return nil
}

// remove deletes e's node on c: the one last written, or, if no write
// completed (its outcome may be unknown), the node it would have made.
// The caller holds wmu.
func (r *Registry) remove(ctx context.Context, c *client.Conn, e *entry) error {
	r.mu.Lock()
	inst, p := e.inst, e.path
	r.mu.Unlock()
	if p == "" && inst.ServiceType != DynamicSequential {
		p = r.path(inst)
	}
	if p == "" {
		var err error
		if p, err = r.ownSequential(ctx, c, inst, "", true); err != nil || p == "" {
			return err
		}
	}
	return deleteNode(ctx, c, p)
}

// Instances returns the instances this Registry has registered.
func (r *Registry) Instances() []Instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Instance, 0, len(r.instances))
	for _, e := range r.instances {
		out = append(out, e.inst)
	}
	return out
}

// Close unregisters every dynamic instance (as Curator's close does; unlike
// Curator it also deletes DynamicSequential nodes) and stops the
// Registry's goroutine. The Conn given to New is left open.
func (r *Registry) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	all := r.instances
	r.instances = map[string]*entry{}
	r.mu.Unlock()
	r.cancel()
	<-r.exited
	r.wmu.Lock() // writes in progress have recorded their paths
	var first error
	if r.c.Err() == nil {
		for _, e := range all {
			if !ephemeral(e.inst.ServiceType) {
				continue
			}
			if err := r.remove(ctx, r.c, e); err != nil && first == nil {
				first = err
			}
		}
	}
	r.wmu.Unlock()
	return first
}

// run registers every instance again on each new session of the Conn,
// until Close or the Conn is finished.
func (r *Registry) run(ctx context.Context) {
	defer close(r.exited)
	s := r.c.Session()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.Done():
		}
		ns, err := r.c.WaitSession(ctx)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Info("registry: session lost; the dynamic instances are gone", "session", s, "err", err)
			}
			return
		}
		r.log.Info("registry: new session, registering again", "old", s, "new", ns)
		s = ns
		for _, inst := range r.Instances() {
			err := r.write(ctx, r.c, key(inst.Name, inst.ID))
			switch {
			case err == nil, ctx.Err() != nil:
			case client.IsSessionLost(err):
				// Expired again: the next round writes it.
			default:
				r.log.Warn("registry: re-register failed", "instance", r.path(inst), "err", err)
			}
		}
	}
}

// deleteNode deletes path, retrying after connection loss, and on the new
// session after an expiry the Conn replaces (a request queued for the old
// session fails without being sent), until the node is gone (ErrNoNode
// counts as gone) or the Conn is finished (an ephemeral node goes with its
// session). Only ctx ending leaves the node possibly in place, and then
// ctx's error is returned.
func deleteNode(ctx context.Context, c *client.Conn, path string) error {
	err := client.Retry(ctx, func(ctx context.Context) error {
		err := c.Delete(ctx, path, client.AnyVersion)
		if errors.Is(err, client.ErrNoNode) {
			return nil
		}
		return err
	}, client.WithRetryIf(func(err error) bool {
		return client.IsRetryable(err) || client.IsSessionLost(err) && c.Err() == nil
	}))
	if err == nil || client.IsSessionLost(err) {
		return nil
	}
	return err
}
