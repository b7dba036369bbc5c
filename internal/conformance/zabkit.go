package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/wire"
)

// zabkitClient drives zabkit's own client (package client), the primary
// client of the suite.
type zabkitClient struct{}

func (zabkitClient) Name() string { return "zabkit-client" }

func (zabkitClient) Lacks(f feature) string {
	switch f {
	case featServerPaths:
		return "zabkit's client validates paths before sending them"
	case featReconfig:
		return "zabkit's client has no reconfig"
	case featEventLog:
		return "zabkit's client has no connection-wide event log (order is checked on persistent-recursive watches)"
	}
	return ""
}

type zabkitConn struct {
	c      *client.Conn
	cancel context.CancelFunc
	done   chan struct{} // closed when the state recorder exits

	mu      sync.Mutex
	changed chan struct{}
	states  []State
}

func (zabkitClient) Dial(ctx context.Context, servers string, cfg sessionConfig) (Client, error) {
	// The checks compare the classic session life (a Conn ends at expiry,
	// as go-zookeeper's and the Java client's do).
	opts := []client.Option{client.WithSessionTimeout(cfg.timeout), client.WithSessionRenewal(false)}
	for _, a := range cfg.auth {
		opts = append(opts, client.WithAuth(a.scheme, a.auth))
	}
	if cfg.resume != nil {
		opts = append(opts, client.WithSession(cfg.resume.id, cfg.resume.passwd))
	}
	c, err := client.Dial(ctx, servers, opts...)
	if err != nil {
		return nil, zabkitErr(err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	z := &zabkitConn{c: c, cancel: cancel, done: make(chan struct{}), changed: make(chan struct{})}
	states := c.States(sctx)
	go z.record(states)
	return z, nil
}

// record keeps every session state the client reports, in order.
func (z *zabkitConn) record(states <-chan client.State) {
	defer close(z.done)
	for s := range states {
		var st State
		switch s {
		case client.StateConnected, client.StateConnectedReadOnly:
			st = StateConnected
		case client.StateDisconnected:
			st = StateDisconnected
		case client.StateExpired:
			st = StateExpired
		case client.StateAuthFailed:
			st = StateAuthFailed
		case client.StateClosed:
			st = StateClosed
		default:
			continue
		}
		z.mu.Lock()
		z.states = append(z.states, st)
		close(z.changed)
		z.changed = make(chan struct{})
		z.mu.Unlock()
	}
}

func (z *zabkitConn) StateCount() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return len(z.states)
}

func (z *zabkitConn) WaitState(ctx context.Context, from int, s State) (int, error) {
	for {
		z.mu.Lock()
		for i := from; i < len(z.states); i++ {
			if z.states[i] == s {
				z.mu.Unlock()
				return i + 1, nil
			}
		}
		ch := z.changed
		z.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

func (z *zabkitConn) SessionID() int64 { return z.c.SessionID() }

func (z *zabkitConn) SessionPassword() []byte { return z.c.SessionPassword() }

func (z *zabkitConn) Close() {
	_ = z.c.Close(context.Background())
	z.cancel()
	<-z.done
}

// zabkitErr wraps a client error that carries a ZooKeeper code.
func zabkitErr(err error) error {
	if err == nil {
		return nil
	}
	var code wire.Code
	if errors.As(err, &code) {
		return &CodeError{Code: Code(code), Err: err}
	}
	return err
}

func toClientACL(acl []ACL) []client.ACL {
	if acl == nil {
		return []client.ACL{} // nil means OpenACL to the client; the suite means empty
	}
	out := make([]client.ACL, len(acl))
	for i, a := range acl {
		out[i] = client.ACL{Perms: a.Perms, ID: client.ID{Scheme: a.Scheme, ID: a.ID}}
	}
	return out
}

func fromClientACL(acl []client.ACL) []ACL {
	out := make([]ACL, len(acl))
	for i, a := range acl {
		out[i] = ACL{Perms: a.Perms, Scheme: a.ID.Scheme, ID: a.ID.ID}
	}
	return out
}

func fromClientStat(s client.Stat) Stat {
	return Stat{
		Czxid: s.Czxid, Mzxid: s.Mzxid, Ctime: s.Ctime, Mtime: s.Mtime,
		Version: s.Version, Cversion: s.Cversion, Aversion: s.Aversion,
		EphemeralOwner: s.EphemeralOwner, DataLength: s.DataLength,
		NumChildren: s.NumChildren, Pzxid: s.Pzxid,
	}
}

func (z *zabkitConn) Create(ctx context.Context, path string, data []byte, mode Mode, acl []ACL, ttl time.Duration) (string, error) {
	var (
		p   string
		err error
	)
	switch mode {
	case ModeTTL, ModeTTLSequential:
		p, _, err = z.c.CreateTTL(ctx, path, data, client.CreateMode(mode), toClientACL(acl), ttl)
	default:
		p, _, err = z.c.Create(ctx, path, data, client.CreateMode(mode), toClientACL(acl))
	}
	return p, zabkitErr(err)
}

// Create2 is Create returning the new node's Stat (featCreateStat).
func (z *zabkitConn) Create2(ctx context.Context, path string, data []byte, mode Mode, acl []ACL, ttl time.Duration) (string, Stat, error) {
	var (
		p   string
		s   client.Stat
		err error
	)
	switch mode {
	case ModeTTL, ModeTTLSequential:
		p, s, err = z.c.CreateTTL(ctx, path, data, client.CreateMode(mode), toClientACL(acl), ttl)
	default:
		p, s, err = z.c.Create(ctx, path, data, client.CreateMode(mode), toClientACL(acl))
	}
	return p, fromClientStat(s), zabkitErr(err)
}

func (z *zabkitConn) Delete(ctx context.Context, path string, version int32) error {
	return zabkitErr(z.c.Delete(ctx, path, version))
}

func (z *zabkitConn) Exists(ctx context.Context, path string) (bool, Stat, error) {
	ok, s, err := z.c.Exists(ctx, path)
	return ok, fromClientStat(s), zabkitErr(err)
}

func (z *zabkitConn) Get(ctx context.Context, path string) ([]byte, Stat, error) {
	d, s, err := z.c.Get(ctx, path)
	return d, fromClientStat(s), zabkitErr(err)
}

func (z *zabkitConn) Set(ctx context.Context, path string, data []byte, version int32) (Stat, error) {
	s, err := z.c.Set(ctx, path, data, version)
	return fromClientStat(s), zabkitErr(err)
}

func (z *zabkitConn) Children(ctx context.Context, path string) ([]string, Stat, error) {
	k, s, err := z.c.Children(ctx, path)
	return k, fromClientStat(s), zabkitErr(err)
}

func (z *zabkitConn) GetACL(ctx context.Context, path string) ([]ACL, Stat, error) {
	a, s, err := z.c.GetACL(ctx, path)
	return fromClientACL(a), fromClientStat(s), zabkitErr(err)
}

func (z *zabkitConn) SetACL(ctx context.Context, path string, acl []ACL, version int32) (Stat, error) {
	s, err := z.c.SetACL(ctx, path, toClientACL(acl), version)
	return fromClientStat(s), zabkitErr(err)
}

func (z *zabkitConn) Sync(ctx context.Context, path string) error {
	return zabkitErr(z.c.Sync(ctx, path))
}

func (z *zabkitConn) AddAuth(ctx context.Context, scheme string, auth []byte) error {
	return zabkitErr(z.c.AddAuth(ctx, scheme, auth))
}

func (z *zabkitConn) Multi(ctx context.Context, ops ...Op) ([]OpResult, error) {
	cops := make([]client.Op, len(ops))
	for i, op := range ops {
		switch op.Kind {
		case OpCreate:
			cops[i] = client.CreateOp{Path: op.Path, Data: op.Data, Mode: client.CreateMode(op.Mode), ACL: toClientACL(op.ACL)}
		case OpDelete:
			cops[i] = client.DeleteOp{Path: op.Path, Version: op.Version}
		case OpSetData:
			cops[i] = client.SetOp{Path: op.Path, Data: op.Data, Version: op.Version}
		case OpCheck:
			cops[i] = client.CheckOp{Path: op.Path, Version: op.Version}
		default:
			return nil, fmt.Errorf("multi op %d: unknown kind %d", i, op.Kind)
		}
	}
	rs, err := z.c.Multi(ctx, cops...)
	out := make([]OpResult, len(rs))
	for i, r := range rs {
		out[i] = OpResult{Code: codeOf(zabkitErr(r.Err)), Path: r.Path}
		if ops[i].Kind == OpSetData || r.Stat != (client.Stat{}) {
			s := fromClientStat(r.Stat)
			out[i].Stat = &s
		}
	}
	return out, zabkitErr(err)
}

// zabkitWatch adapts a one-shot watch channel: one event, or closed when
// the session ends.
type zabkitWatch struct {
	c  *client.Conn
	ch <-chan client.Event
}

func (w zabkitWatch) Next(ctx context.Context) (Event, error) {
	select {
	case ev, ok := <-w.ch:
		return zabkitEvent(w.c, ev, ok), nil
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}

func (w zabkitWatch) TryNext() (Event, bool) {
	select {
	case ev, ok := <-w.ch:
		return zabkitEvent(w.c, ev, ok), true
	default:
		return Event{}, false
	}
}

// zabkitEvent converts a received event; !ok means the channel closed
// because the session ended.
func zabkitEvent(c *client.Conn, ev client.Event, ok bool) Event {
	if !ok {
		end := StateClosed
		if errors.Is(c.Err(), client.ErrSessionExpired) {
			end = StateExpired
		}
		return Event{Type: EventNone, End: end}
	}
	return Event{Type: EventType(ev.Type), Path: ev.Path}
}

func (z *zabkitConn) ExistsW(ctx context.Context, path string) (bool, Stat, Watch, error) {
	ok, s, ch, err := z.c.ExistsW(ctx, path)
	return ok, fromClientStat(s), zabkitWatch{z.c, ch}, zabkitErr(err)
}

func (z *zabkitConn) GetW(ctx context.Context, path string) ([]byte, Stat, Watch, error) {
	d, s, ch, err := z.c.GetW(ctx, path)
	return d, fromClientStat(s), zabkitWatch{z.c, ch}, zabkitErr(err)
}

func (z *zabkitConn) ChildrenW(ctx context.Context, path string) ([]string, Stat, Watch, error) {
	k, s, ch, err := z.c.ChildrenW(ctx, path)
	return k, fromClientStat(s), zabkitWatch{z.c, ch}, zabkitErr(err)
}

// zabkitPersistent adapts a persistent watch.
type zabkitPersistent struct {
	c *client.Conn
	w *client.Watch
}

func (w zabkitPersistent) Next(ctx context.Context) (Event, error) {
	select {
	case ev, ok := <-w.w.Events():
		return zabkitEvent(w.c, ev, ok), nil
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}

func (w zabkitPersistent) TryNext() (Event, bool) {
	select {
	case ev, ok := <-w.w.Events():
		return zabkitEvent(w.c, ev, ok), true
	default:
		return Event{}, false
	}
}

func (z *zabkitConn) AddWatch(ctx context.Context, path string, recursive bool) (Watch, error) {
	mode := client.AddWatchPersistent
	if recursive {
		mode = client.AddWatchPersistentRecursive
	}
	w, err := z.c.AddWatch(ctx, path, mode)
	if err != nil {
		return nil, zabkitErr(err)
	}
	return zabkitPersistent{z.c, w}, nil
}

func (z *zabkitConn) CheckWatches(ctx context.Context, path string, kind WatcherKind) error {
	return zabkitErr(z.c.CheckWatches(ctx, path, client.WatcherType(kind)))
}

func (z *zabkitConn) RemoveWatches(ctx context.Context, path string, kind WatcherKind) error {
	return zabkitErr(z.c.RemoveWatches(ctx, path, client.WatcherType(kind)))
}

func (z *zabkitConn) GetEphemerals(ctx context.Context, prefix string) ([]string, error) {
	e, err := z.c.GetEphemerals(ctx, prefix)
	return e, zabkitErr(err)
}

func (z *zabkitConn) AllChildrenNumber(ctx context.Context, path string) (int, error) {
	n, err := z.c.AllChildrenNumber(ctx, path)
	return n, zabkitErr(err)
}

func (z *zabkitConn) WhoAmI(ctx context.Context) ([]string, error) {
	infos, err := z.c.WhoAmI(ctx)
	if err != nil {
		return nil, zabkitErr(err)
	}
	out := make([]string, len(infos))
	for i, ci := range infos {
		out[i] = ci.AuthScheme + ":" + ci.User
	}
	return out, nil
}

// MultiRead runs getData (children == false) or getChildren reads in one
// multiRead request (featMultiRead).
func (z *zabkitConn) MultiRead(ctx context.Context, paths []string, children []bool) ([]ReadResult, error) {
	ops := make([]client.ReadOp, len(paths))
	for i, p := range paths {
		if children[i] {
			ops[i] = client.ChildrenOp{Path: p}
		} else {
			ops[i] = client.GetOp{Path: p}
		}
	}
	rs, err := z.c.MultiRead(ctx, ops...)
	out := make([]ReadResult, len(rs))
	for i, r := range rs {
		out[i] = ReadResult{Code: codeOf(zabkitErr(r.Err)), Data: r.Data, Stat: fromClientStat(r.Stat), Children: r.Children}
	}
	return out, zabkitErr(err)
}
