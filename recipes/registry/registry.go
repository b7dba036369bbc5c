package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/sessions"
)

var (
	// ErrNotRegistered is returned by Update and Unregister for an
	// instance this Registry did not register.
	ErrNotRegistered = errors.New("registry: instance not registered here")
	// ErrSessionLost is returned when the session ended and no new one
	// could be had (no WithRedial, or the Registry is closed).
	ErrSessionLost = sessions.ErrSessionLost
	// ErrClosed is returned by every call after Close.
	ErrClosed = errors.New("registry: closed")
)

// Option configures a Registry.
type Option func(*options)

type options struct {
	dial sessions.Dial
	log  *slog.Logger
}

// WithRedial gives the Registry a way to open a new session after its
// session expires; it then registers every instance again. Sessions it
// opens are closed by Close.
func WithRedial(dial func(ctx context.Context) (*client.Conn, error)) Option {
	return func(o *options) { o.dial = dial }
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Registry registers this process's service instances.
type Registry struct {
	base string
	log  *slog.Logger
	src  *sessions.Source

	mu        sync.Mutex
	instances map[string]Instance // name/id -> instance
	closed    bool

	cancel context.CancelFunc
	exited chan struct{}
}

// New returns a Registry that registers instances below base on c. It
// starts one goroutine (stopped by Close) that re-registers after a
// session expiry when WithRedial is given.
func New(c *client.Conn, base string, opts ...Option) *Registry {
	o := options{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range opts {
		f(&o)
	}
	r := &Registry{base: base, instances: map[string]Instance{}, log: o.log, src: sessions.New(c, o.dial),
		exited: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go r.run(ctx)
	return r
}

func key(name, id string) string { return name + "/" + id }

func (r *Registry) path(inst Instance) string {
	return client.JoinPath(client.JoinPath(r.base, inst.Name), inst.ID)
}

// Register writes inst at <base>/<name>/<id> (ephemeral for dynamic
// instances, the default, persistent for static and permanent ones). An
// empty ServiceType means Dynamic; a zero RegistrationTimeUTC is set to
// now. A node left at that path by another (older) session is replaced.
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
	data, err := Marshal(inst)
	if err != nil {
		return err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	r.instances[key(inst.Name, inst.ID)] = inst
	r.mu.Unlock()
	c, err := r.src.Conn(ctx)
	if err != nil {
		return err
	}
	if err := r.write(ctx, c, inst, data); err != nil {
		return fmt.Errorf("registry: register %s: %w", r.path(inst), err)
	}
	return nil
}

// write creates or overwrites inst's node on c.
func (r *Registry) write(ctx context.Context, c *client.Conn, inst Instance, data []byte) error {
	p := r.path(inst)
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
	old, ok := r.instances[key(inst.Name, inst.ID)]
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
	inst, ok := r.instances[key(name, id)]
	delete(r.instances, key(name, id))
	r.mu.Unlock()
	if !ok {
		return ErrNotRegistered
	}
	c, err := r.src.Conn(ctx)
	if err != nil {
		if inst.ServiceType == Dynamic {
			return nil // gone with the session
		}
		return err
	}
	if err := deleteNode(ctx, c, r.path(inst)); err != nil {
		return fmt.Errorf("registry: unregister %s: %w", r.path(inst), err)
	}
	return nil
}

// Instances returns the instances this Registry has registered.
func (r *Registry) Instances() []Instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Instance, 0, len(r.instances))
	for _, i := range r.instances {
		out = append(out, i)
	}
	return out
}

// Close unregisters every dynamic instance (as Curator's close does), stops
// the Registry's goroutine and closes the sessions it dialed. The Conn
// given to New is left open.
func (r *Registry) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	var dyn []Instance
	for _, i := range r.instances {
		if i.ServiceType == Dynamic {
			dyn = append(dyn, i)
		}
	}
	r.instances = map[string]Instance{}
	r.mu.Unlock()
	r.cancel()
	<-r.exited
	var first error
	if c := r.src.Current(); c.Err() == nil {
		for _, i := range dyn {
			if err := deleteNode(ctx, c, r.path(i)); err != nil && first == nil {
				first = err
			}
		}
	}
	r.src.Close(ctx)
	return first
}

// run re-registers everything on a new session after the current one is
// lost.
func (r *Registry) run(ctx context.Context) {
	defer close(r.exited)
	if !r.src.CanRedial() {
		return
	}
	for {
		c := r.src.Current()
		select {
		case <-ctx.Done():
			return
		case <-c.Done():
		}
		r.log.Info("registry: session lost, registering again on a new session", "err", c.Err())
		nc, err := client.RetryValue(ctx, r.src.Conn, client.WithRetryIf(func(error) bool { return true }))
		if err != nil {
			return // ctx ended
		}
		for _, inst := range r.Instances() {
			data, err := Marshal(inst)
			if err == nil {
				err = r.write(ctx, nc, inst, data)
			}
			if err != nil {
				r.log.Warn("registry: re-register failed", "instance", r.path(inst), "err", err)
			}
		}
	}
}

// deleteNode deletes path, retrying after connection loss until the node
// is gone (ErrNoNode counts as gone) or the session is lost (an ephemeral
// node goes with it). Only ctx ending leaves the node possibly in place,
// and then ctx's error is returned.
func deleteNode(ctx context.Context, c *client.Conn, path string) error {
	err := client.Retry(ctx, func(ctx context.Context) error {
		err := c.Delete(ctx, path, client.AnyVersion)
		if errors.Is(err, client.ErrNoNode) {
			return nil
		}
		return err
	})
	if err == nil || client.IsSessionLost(err) {
		return nil
	}
	return err
}
