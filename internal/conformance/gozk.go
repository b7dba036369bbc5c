package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// goZK drives github.com/go-zookeeper/zk v1.0.4, a third-party client. It has
// no context support, so every call runs in a goroutine the driver waits for;
// the client's own request timeout bounds it after ctx ends.
type goZK struct{}

func (goZK) Name() string { return "go-zookeeper" }

func (goZK) Lacks(f feature) string {
	switch f {
	case featPersistentWatch, featEphemerals, featAllChildren, featWhoAmI, featCreateStat, featSessionResume, featRemoveWatches, featMultiRead:
		return "go-zookeeper/zk v1.0.4 lacks " + f.String()
	case featServerPaths:
		return "go-zookeeper/zk validates paths before sending them"
	case featAuthFailedState:
		return "go-zookeeper/zk reconnects after AuthFailed instead of ending the session"
	}
	return ""
}

type goZKConn struct {
	c *zk.Conn

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every append
	states  []State
	events  []Event // every watch event, in arrival order
}

func (goZK) Dial(ctx context.Context, servers string, cfg sessionConfig) (Client, error) {
	g := &goZKConn{changed: make(chan struct{})}
	if cfg.resume != nil {
		return nil, errUnsupported
	}
	c, _, err := zk.Connect(strings.Split(servers, ","), cfg.timeout,
		zk.WithLogger(nopLogger{}),
		zk.WithLogInfo(false),
		zk.WithEventCallback(g.onEvent))
	if err != nil {
		return nil, err
	}
	g.c = c
	if _, err := g.WaitState(ctx, 0, StateConnected); err != nil {
		c.Close()
		return nil, fmt.Errorf("go-zookeeper: no session: %w", err)
	}
	for _, a := range cfg.auth {
		if err := g.AddAuth(ctx, a.scheme, a.auth); err != nil {
			c.Close()
			return nil, err
		}
	}
	return g, nil
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

func (g *goZKConn) onEvent(ev zk.Event) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch ev.Type {
	case zk.EventSession:
		var s State
		switch ev.State {
		case zk.StateHasSession:
			s = StateConnected
		case zk.StateDisconnected:
			s = StateDisconnected
		case zk.StateExpired:
			s = StateExpired
		case zk.StateAuthFailed:
			s = StateAuthFailed
		default:
			return
		}
		g.states = append(g.states, s)
	case zk.EventNotWatching:
		return // reported on the watch itself
	default:
		g.events = append(g.events, Event{Type: EventType(ev.Type), Path: ev.Path})
	}
	close(g.changed)
	g.changed = make(chan struct{})
}

func (g *goZKConn) StateCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.states)
}

func (g *goZKConn) WaitState(ctx context.Context, from int, s State) (int, error) {
	for {
		g.mu.Lock()
		for i := from; i < len(g.states); i++ {
			if g.states[i] == s {
				g.mu.Unlock()
				return i + 1, nil
			}
		}
		ch := g.changed
		seen := append([]State(nil), g.states[min(from, len(g.states)):]...)
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, fmt.Errorf("waiting for state %v (saw %v): %w", s, seen, ctx.Err())
		}
	}
}

// EventCount and WaitEvents expose the connection-wide event order.
func (g *goZKConn) EventCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.events)
}

func (g *goZKConn) WaitEvents(ctx context.Context, from, n int) ([]Event, error) {
	for {
		g.mu.Lock()
		if len(g.events) >= from+n {
			evs := append([]Event(nil), g.events[from:from+n]...)
			g.mu.Unlock()
			return evs, nil
		}
		ch := g.changed
		got := len(g.events) - from
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %d events (got %d): %w", n, got, ctx.Err())
		}
	}
}

func (g *goZKConn) SessionID() int64 { return g.c.SessionID() }

func (g *goZKConn) SessionPassword() []byte { return nil }

func (g *goZKConn) Close() { g.c.Close() }

// call runs f in a goroutine and waits for it or ctx. go-zookeeper cannot
// cancel a request; an abandoned call ends at the client's request timeout.
func call[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, goZKErr(r.err)
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

var goZKCodes = map[error]Code{
	zk.ErrNoNode:                  CodeNoNode,
	zk.ErrNoAuth:                  CodeNoAuth,
	zk.ErrBadVersion:              CodeBadVersion,
	zk.ErrNoChildrenForEphemerals: CodeNoChildrenForEphemeral,
	zk.ErrNodeExists:              CodeNodeExists,
	zk.ErrNotEmpty:                CodeNotEmpty,
	zk.ErrSessionExpired:          CodeSessionExpired,
	zk.ErrInvalidACL:              CodeInvalidACL,
	zk.ErrAuthFailed:              CodeAuthFailed,
	zk.ErrBadArguments:            CodeBadArguments,
	zk.ErrConnectionClosed:        CodeConnectionLoss,
	zk.ErrReconfigDisabled:        CodeReconfigDisabled,
	zk.ErrSessionMoved:            -118,
	zk.ErrClosing:                 -116,
	zk.ErrNothing:                 -117,
	zk.ErrAPIError:                -100,
}

// goZKErr turns a go-zookeeper error into a *CodeError when it maps to a
// ZooKeeper code (go-zookeeper reports codes it has no sentinel for as
// "unknown error: N").
func goZKErr(err error) error {
	if err == nil {
		return nil
	}
	for sentinel, code := range goZKCodes {
		if errors.Is(err, sentinel) {
			return &CodeError{Code: code, Err: err}
		}
	}
	var n int32
	if _, scanErr := fmt.Sscanf(err.Error(), "unknown error: %d", &n); scanErr == nil {
		return &CodeError{Code: Code(n), Err: err}
	}
	return err
}

func toZKACL(acl []ACL) []zk.ACL {
	out := make([]zk.ACL, len(acl))
	for i, a := range acl {
		out[i] = zk.ACL{Perms: a.Perms, Scheme: a.Scheme, ID: a.ID}
	}
	return out
}

func fromZKACL(acl []zk.ACL) []ACL {
	out := make([]ACL, len(acl))
	for i, a := range acl {
		out[i] = ACL{Perms: a.Perms, Scheme: a.Scheme, ID: a.ID}
	}
	return out
}

func fromZKStat(s *zk.Stat) Stat {
	if s == nil {
		return Stat{}
	}
	return Stat{
		Czxid: s.Czxid, Mzxid: s.Mzxid, Ctime: s.Ctime, Mtime: s.Mtime,
		Version: s.Version, Cversion: s.Cversion, Aversion: s.Aversion,
		EphemeralOwner: s.EphemeralOwner, DataLength: s.DataLength,
		NumChildren: s.NumChildren, Pzxid: s.Pzxid,
	}
}

func (g *goZKConn) Create(ctx context.Context, path string, data []byte, mode Mode, acl []ACL, ttl time.Duration) (string, error) {
	return call(ctx, func() (string, error) {
		switch mode {
		case ModeContainer:
			return g.c.CreateContainer(path, data, int32(mode), toZKACL(acl))
		case ModeTTL, ModeTTLSequential:
			return g.c.CreateTTL(path, data, int32(mode), toZKACL(acl), ttl)
		}
		return g.c.Create(path, data, int32(mode), toZKACL(acl))
	})
}

func (g *goZKConn) Delete(ctx context.Context, path string, version int32) error {
	_, err := call(ctx, func() (struct{}, error) { return struct{}{}, g.c.Delete(path, version) })
	return err
}

func (g *goZKConn) Exists(ctx context.Context, path string) (bool, Stat, error) {
	type r struct {
		ok bool
		s  *zk.Stat
	}
	v, err := call(ctx, func() (r, error) { ok, s, err := g.c.Exists(path); return r{ok, s}, err })
	return v.ok, fromZKStat(v.s), err
}

func (g *goZKConn) Get(ctx context.Context, path string) ([]byte, Stat, error) {
	type r struct {
		d []byte
		s *zk.Stat
	}
	v, err := call(ctx, func() (r, error) { d, s, err := g.c.Get(path); return r{d, s}, err })
	return v.d, fromZKStat(v.s), err
}

func (g *goZKConn) Set(ctx context.Context, path string, data []byte, version int32) (Stat, error) {
	s, err := call(ctx, func() (*zk.Stat, error) { return g.c.Set(path, data, version) })
	return fromZKStat(s), err
}

func (g *goZKConn) Children(ctx context.Context, path string) ([]string, Stat, error) {
	type r struct {
		c []string
		s *zk.Stat
	}
	v, err := call(ctx, func() (r, error) { c, s, err := g.c.Children(path); return r{c, s}, err })
	return v.c, fromZKStat(v.s), err
}

func (g *goZKConn) GetACL(ctx context.Context, path string) ([]ACL, Stat, error) {
	type r struct {
		a []zk.ACL
		s *zk.Stat
	}
	v, err := call(ctx, func() (r, error) { a, s, err := g.c.GetACL(path); return r{a, s}, err })
	return fromZKACL(v.a), fromZKStat(v.s), err
}

func (g *goZKConn) SetACL(ctx context.Context, path string, acl []ACL, version int32) (Stat, error) {
	s, err := call(ctx, func() (*zk.Stat, error) { return g.c.SetACL(path, toZKACL(acl), version) })
	return fromZKStat(s), err
}

func (g *goZKConn) Sync(ctx context.Context, path string) error {
	_, err := call(ctx, func() (string, error) { return g.c.Sync(path) })
	return err
}

func (g *goZKConn) AddAuth(ctx context.Context, scheme string, auth []byte) error {
	_, err := call(ctx, func() (struct{}, error) { return struct{}{}, g.c.AddAuth(scheme, auth) })
	return err
}

func (g *goZKConn) Multi(ctx context.Context, ops ...Op) ([]OpResult, error) {
	reqs := make([]any, len(ops))
	for i, op := range ops {
		switch op.Kind {
		case OpCreate:
			reqs[i] = &zk.CreateRequest{Path: op.Path, Data: op.Data, Acl: toZKACL(op.ACL), Flags: int32(op.Mode)}
		case OpDelete:
			reqs[i] = &zk.DeleteRequest{Path: op.Path, Version: op.Version}
		case OpSetData:
			reqs[i] = &zk.SetDataRequest{Path: op.Path, Data: op.Data, Version: op.Version}
		case OpCheck:
			reqs[i] = &zk.CheckVersionRequest{Path: op.Path, Version: op.Version}
		default:
			return nil, fmt.Errorf("multi op %d: unknown kind %d", i, op.Kind)
		}
	}
	rs, err := call(ctx, func() ([]zk.MultiResponse, error) { return g.c.Multi(reqs...) })
	out := make([]OpResult, len(rs))
	for i, r := range rs {
		out[i] = OpResult{Code: codeOf(goZKErr(r.Error)), Path: r.String}
		if r.Stat != nil {
			s := fromZKStat(r.Stat)
			out[i].Stat = &s
		}
	}
	return out, err
}

// goZKWatch adapts a one-shot go-zookeeper watch channel.
type goZKWatch struct{ ch <-chan zk.Event }

func (w goZKWatch) Next(ctx context.Context) (Event, error) {
	select {
	case ev, ok := <-w.ch:
		return goZKEvent(ev, ok)
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}

func (w goZKWatch) TryNext() (Event, bool) {
	select {
	case ev, ok := <-w.ch:
		e, err := goZKEvent(ev, ok)
		return e, err == nil
	default:
		return Event{}, false
	}
}

// goZKEvent converts a received one-shot event; !ok means the channel was
// already drained.
func goZKEvent(ev zk.Event, ok bool) (Event, error) {
	if !ok {
		return Event{}, errors.New("one-shot watch already fired")
	}
	if ev.Type == zk.EventNotWatching {
		end := StateClosed
		if errors.Is(ev.Err, zk.ErrSessionExpired) {
			end = StateExpired
		}
		return Event{Type: EventNone, Path: ev.Path, End: end}, nil
	}
	return Event{Type: EventType(ev.Type), Path: ev.Path}, nil
}

func (g *goZKConn) ExistsW(ctx context.Context, path string) (bool, Stat, Watch, error) {
	type r struct {
		ok bool
		s  *zk.Stat
		w  <-chan zk.Event
	}
	v, err := call(ctx, func() (r, error) { ok, s, w, err := g.c.ExistsW(path); return r{ok, s, w}, err })
	return v.ok, fromZKStat(v.s), goZKWatch{v.w}, err
}

func (g *goZKConn) GetW(ctx context.Context, path string) ([]byte, Stat, Watch, error) {
	type r struct {
		d []byte
		s *zk.Stat
		w <-chan zk.Event
	}
	v, err := call(ctx, func() (r, error) { d, s, w, err := g.c.GetW(path); return r{d, s, w}, err })
	return v.d, fromZKStat(v.s), goZKWatch{v.w}, err
}

func (g *goZKConn) ChildrenW(ctx context.Context, path string) ([]string, Stat, Watch, error) {
	type r struct {
		c []string
		s *zk.Stat
		w <-chan zk.Event
	}
	v, err := call(ctx, func() (r, error) { c, s, w, err := g.c.ChildrenW(path); return r{c, s, w}, err })
	return v.c, fromZKStat(v.s), goZKWatch{v.w}, err
}

func (g *goZKConn) AddWatch(context.Context, string, bool) (Watch, error) {
	return nil, errUnsupported
}

func (g *goZKConn) CheckWatches(context.Context, string, WatcherKind) error {
	return errUnsupported
}

func (g *goZKConn) RemoveWatches(context.Context, string, WatcherKind) error {
	return errUnsupported
}

func (g *goZKConn) GetEphemerals(context.Context, string) ([]string, error) {
	return nil, errUnsupported
}

func (g *goZKConn) AllChildrenNumber(context.Context, string) (int, error) {
	return 0, errUnsupported
}

func (g *goZKConn) WhoAmI(context.Context) ([]string, error) { return nil, errUnsupported }

// Reconfig sends a reconfig request with an empty change (featReconfig).
func (g *goZKConn) Reconfig(ctx context.Context) error {
	_, err := call(ctx, func() (*zk.Stat, error) { return g.c.IncrementalReconfig(nil, nil, -1) })
	return err
}
