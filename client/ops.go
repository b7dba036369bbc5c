package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zabkit/zabkit/wire"
)

// opError wraps err with the operation and path it concerns; errors.Is
// still sees the underlying code.
func opError(op, path string, err error) error {
	if err == nil {
		return nil
	}
	if path == "" {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}

// Create makes a znode at path with data, mode and acl (nil means
// OpenACL), and returns its actual path (with the sequence suffix for
// sequential modes, relative to the chroot) and its Stat. For the TTL modes
// use CreateTTL. Container nodes (ModeContainer) are deleted by the server
// some time after their last child goes.
//
// With WithParentContainers, missing ancestors of path are created as
// container nodes (Curator's creatingParentContainersIfNeeded); it is the
// only option Create takes.
func (c *Conn) Create(ctx context.Context, path string, data []byte, mode CreateMode, acl []ACL, opts ...Option) (string, Stat, error) {
	if len(opts) == 0 {
		return c.create(ctx, path, data, mode, acl, 0)
	}
	var o options
	if err := o.apply(callCreate, opts); err != nil {
		return "", Stat{}, opError("create", path, err)
	}
	if o.parents {
		return c.createWithParents(ctx, path, data, mode, acl)
	}
	return c.create(ctx, path, data, mode, acl, 0)
}

// CreateTTL makes a ModePersistentWithTTL or ModePersistentSequentialWithTTL
// znode that the server deletes once it has had no children and no change
// for ttl (millisecond resolution). The servers must run with
// zookeeper.extendedTypesEnabled=true, or they answer ErrUnimplemented.
func (c *Conn) CreateTTL(ctx context.Context, path string, data []byte, mode CreateMode, acl []ACL, ttl time.Duration) (string, Stat, error) {
	if !mode.IsTTL() {
		return "", Stat{}, opError("create", path, fmt.Errorf("zk: mode %v has no TTL: %w", mode, ErrBadArguments))
	}
	ms := ttl.Milliseconds()
	if ms <= 0 || ms > wire.MaxTTL {
		return "", Stat{}, opError("create", path, fmt.Errorf("zk: ttl %v out of range: %w", ttl, ErrBadArguments))
	}
	return c.create(ctx, path, data, mode, acl, ms)
}

// createRequest builds the request of a create op (shared with Multi).
func (c *Conn) createRequest(path string, data []byte, mode CreateMode, acl []ACL, ttlMS int64) (wire.Op, wire.Record, error) {
	if !mode.Valid() {
		return 0, nil, fmt.Errorf("zk: invalid create mode %d: %w", int32(mode), ErrBadArguments)
	}
	if err := validatePath(path, mode.IsSequential()); err != nil {
		return 0, nil, err
	}
	if mode.IsTTL() && ttlMS <= 0 {
		return 0, nil, fmt.Errorf("zk: mode %v needs a TTL (use CreateTTL): %w", mode, ErrBadArguments)
	}
	if !mode.IsTTL() && ttlMS != 0 {
		return 0, nil, fmt.Errorf("zk: mode %v takes no TTL: %w", mode, ErrBadArguments)
	}
	if acl == nil {
		acl = OpenACL()
	}
	sp := c.serverPath(path)
	switch {
	case mode.IsTTL():
		return wire.OpCreateTTL, &wire.CreateTTLRequest{Path: sp, Data: data, ACL: acl, Flags: int32(mode), TTL: ttlMS}, nil
	case mode.IsContainer():
		return wire.OpCreateContainer, &wire.CreateRequest{Path: sp, Data: data, ACL: acl, Flags: int32(mode)}, nil
	}
	return wire.OpCreate2, &wire.CreateRequest{Path: sp, Data: data, ACL: acl, Flags: int32(mode)}, nil
}

func (c *Conn) create(ctx context.Context, path string, data []byte, mode CreateMode, acl []ACL, ttlMS int64) (string, Stat, error) {
	op, req, err := c.createRequest(path, data, mode, acl, ttlMS)
	if err != nil {
		return "", Stat{}, opError("create", path, err)
	}
	var resp wire.Create2Response
	if _, err := c.call(ctx, op, req, &resp, nil); err != nil {
		return "", Stat{}, opError("create", path, err)
	}
	return c.clientPath(resp.Path), resp.Stat, nil
}

// Delete removes the znode at path if its version matches (AnyVersion
// matches all). It fails with ErrNoNode, ErrBadVersion or ErrNotEmpty.
func (c *Conn) Delete(ctx context.Context, path string, version int32) error {
	if err := validatePath(path, false); err != nil {
		return opError("delete", path, err)
	}
	_, err := c.call(ctx, wire.OpDelete, &wire.DeleteRequest{Path: c.serverPath(path), Version: version}, nil, nil)
	return opError("delete", path, err)
}

// Exists reports whether path exists, and its Stat if so.
func (c *Conn) Exists(ctx context.Context, path string) (bool, Stat, error) {
	ok, st, _, err := c.exists(ctx, path, false)
	return ok, st, err
}

// ExistsW is Exists that also sets a one-shot watch: the channel receives
// exactly one event — EventNodeCreated if the node did not exist;
// EventNodeDataChanged or EventNodeDeleted if it did — and is then closed.
// It is closed without an event if the session ends first. No watch is set
// (nil channel) when an error is returned.
func (c *Conn) ExistsW(ctx context.Context, path string) (bool, Stat, <-chan Event, error) {
	return c.exists(ctx, path, true)
}

func (c *Conn) exists(ctx context.Context, path string, watch bool) (bool, Stat, <-chan Event, error) {
	if err := validatePath(path, false); err != nil {
		return false, Stat{}, nil, opError("exists", path, err)
	}
	sp := c.serverPath(path)
	var w *watchReg
	if watch {
		w = &watchReg{kind: watchExist, path: sp, ch: make(chan Event, 1)}
	}
	var resp wire.ExistsResponse
	_, err := c.call(ctx, wire.OpExists, &wire.ExistsRequest{Path: sp, Watch: watch}, &resp, w)
	ch := watchChan(w)
	if errors.Is(err, ErrNoNode) {
		return false, Stat{}, ch, nil
	}
	if err != nil {
		return false, Stat{}, nil, opError("exists", path, err)
	}
	return true, resp.Stat, ch, nil
}

func watchChan(w *watchReg) <-chan Event {
	if w == nil {
		return nil
	}
	return w.ch
}

// Get returns the data and Stat of the znode at path. As in ZooKeeper,
// null data and empty data differ: the data is nil for a znode created or
// set with nil data and a non-nil empty slice for one created or set with
// []byte{} (Stat.DataLength is 0 for both).
func (c *Conn) Get(ctx context.Context, path string) ([]byte, Stat, error) {
	d, st, _, err := c.get(ctx, path, false)
	return d, st, err
}

// GetW is Get that also sets a one-shot data watch: the channel receives
// exactly one event (EventNodeDataChanged or EventNodeDeleted) and is then
// closed, or is closed without an event if the session ends first.
func (c *Conn) GetW(ctx context.Context, path string) ([]byte, Stat, <-chan Event, error) {
	return c.get(ctx, path, true)
}

func (c *Conn) get(ctx context.Context, path string, watch bool) ([]byte, Stat, <-chan Event, error) {
	if err := validatePath(path, false); err != nil {
		return nil, Stat{}, nil, opError("get", path, err)
	}
	sp := c.serverPath(path)
	var w *watchReg
	if watch {
		w = &watchReg{kind: watchData, path: sp, ch: make(chan Event, 1)}
	}
	var resp wire.GetDataResponse
	if _, err := c.call(ctx, wire.OpGetData, &wire.GetDataRequest{Path: sp, Watch: watch}, &resp, w); err != nil {
		return nil, Stat{}, nil, opError("get", path, err)
	}
	return resp.Data, resp.Stat, watchChan(w), nil
}

// Set replaces the data of the znode at path if its version matches
// (AnyVersion matches all) and returns the new Stat.
func (c *Conn) Set(ctx context.Context, path string, data []byte, version int32) (Stat, error) {
	if err := validatePath(path, false); err != nil {
		return Stat{}, opError("set", path, err)
	}
	var resp wire.SetDataResponse
	_, err := c.call(ctx, wire.OpSetData, &wire.SetDataRequest{Path: c.serverPath(path), Data: data, Version: version}, &resp, nil)
	if err != nil {
		return Stat{}, opError("set", path, err)
	}
	return resp.Stat, nil
}

// GetACL returns the ACL and Stat of the znode at path.
func (c *Conn) GetACL(ctx context.Context, path string) ([]ACL, Stat, error) {
	if err := validatePath(path, false); err != nil {
		return nil, Stat{}, opError("getACL", path, err)
	}
	var resp wire.GetACLResponse
	if _, err := c.call(ctx, wire.OpGetACL, &wire.GetACLRequest{Path: c.serverPath(path)}, &resp, nil); err != nil {
		return nil, Stat{}, opError("getACL", path, err)
	}
	return resp.ACL, resp.Stat, nil
}

// SetACL replaces the ACL of the znode at path if its ACL version
// (Stat.Aversion) matches (AnyVersion matches all) and returns the new Stat.
func (c *Conn) SetACL(ctx context.Context, path string, acl []ACL, version int32) (Stat, error) {
	if err := validatePath(path, false); err != nil {
		return Stat{}, opError("setACL", path, err)
	}
	var resp wire.SetACLResponse
	_, err := c.call(ctx, wire.OpSetACL, &wire.SetACLRequest{Path: c.serverPath(path), ACL: acl, Version: version}, &resp, nil)
	if err != nil {
		return Stat{}, opError("setACL", path, err)
	}
	return resp.Stat, nil
}

// Children returns the names of the children of path (unsorted, as the
// server sends them) and the Stat of path.
func (c *Conn) Children(ctx context.Context, path string) ([]string, Stat, error) {
	ch, st, _, err := c.children(ctx, path, false)
	return ch, st, err
}

// ChildrenW is Children that also sets a one-shot child watch: the channel
// receives exactly one event (EventNodeChildrenChanged, or EventNodeDeleted
// for path itself) and is then closed, or is closed without an event if the
// session ends first.
func (c *Conn) ChildrenW(ctx context.Context, path string) ([]string, Stat, <-chan Event, error) {
	return c.children(ctx, path, true)
}

func (c *Conn) children(ctx context.Context, path string, watch bool) ([]string, Stat, <-chan Event, error) {
	if err := validatePath(path, false); err != nil {
		return nil, Stat{}, nil, opError("children", path, err)
	}
	sp := c.serverPath(path)
	var w *watchReg
	if watch {
		w = &watchReg{kind: watchChild, path: sp, ch: make(chan Event, 1)}
	}
	var resp wire.GetChildren2Response
	if _, err := c.call(ctx, wire.OpGetChildren2, &wire.GetChildren2Request{Path: sp, Watch: watch}, &resp, w); err != nil {
		return nil, Stat{}, nil, opError("children", path, err)
	}
	return resp.Children, resp.Stat, watchChan(w), nil
}

// GetEphemerals returns the paths of the session's ephemeral nodes that
// start with prefix ("/" for all), relative to the chroot.
func (c *Conn) GetEphemerals(ctx context.Context, prefix string) ([]string, error) {
	if err := validatePath(prefix, true); err != nil {
		return nil, opError("getEphemerals", prefix, err)
	}
	var resp wire.GetEphemeralsResponse
	if _, err := c.call(ctx, wire.OpGetEphemerals, &wire.GetEphemeralsRequest{PrefixPath: c.serverPath(prefix)}, &resp, nil); err != nil {
		return nil, opError("getEphemerals", prefix, err)
	}
	out := resp.Ephemerals
	for i, p := range out {
		out[i] = c.clientPath(p)
	}
	return out, nil
}

// AllChildrenNumber returns the number of nodes below path (its
// descendants, path itself not counted).
func (c *Conn) AllChildrenNumber(ctx context.Context, path string) (int, error) {
	if err := validatePath(path, false); err != nil {
		return 0, opError("getAllChildrenNumber", path, err)
	}
	var resp wire.GetAllChildrenNumberResponse
	if _, err := c.call(ctx, wire.OpGetAllChildrenNumber, &wire.GetAllChildrenNumberRequest{Path: c.serverPath(path)}, &resp, nil); err != nil {
		return 0, opError("getAllChildrenNumber", path, err)
	}
	return int(resp.TotalNumber), nil
}

// Sync asks the server the client is connected to to catch up with the
// leader before answering later reads of this session.
func (c *Conn) Sync(ctx context.Context, path string) error {
	if err := validatePath(path, false); err != nil {
		return opError("sync", path, err)
	}
	var resp wire.SyncResponse
	_, err := c.call(ctx, wire.OpSync, &wire.SyncRequest{Path: c.serverPath(path)}, &resp, nil)
	return opError("sync", path, err)
}

// AddAuth adds an identity to the session (for example scheme "digest",
// auth "user:password"). It is remembered and sent again on every
// reconnect, and on every new session (WithSessionRenewal). A rejected identity ends the session with ErrAuthFailed, as
// in ZooKeeper.
func (c *Conn) AddAuth(ctx context.Context, scheme string, auth []byte) error {
	a := authInfo{scheme: scheme, auth: append([]byte(nil), auth...)}
	r := &request{op: wire.OpAuth, auth: &a, done: make(chan struct{}),
		body: wire.Marshal(&wire.AuthPacket{Type: 0, Scheme: scheme, Auth: a.auth})}
	_, err := c.roundTrip(ctx, r)
	return opError("addAuth", scheme, err)
}

// WhoAmI returns the identities of the session (ZooKeeper 3.8.1 and later;
// older servers answer ErrUnimplemented or close the connection).
func (c *Conn) WhoAmI(ctx context.Context) ([]ClientInfo, error) {
	var resp wire.WhoAmIResponse
	if _, err := c.call(ctx, wire.OpWhoAmI, nil, &resp, nil); err != nil {
		return nil, opError("whoAmI", "", err)
	}
	return resp.ClientInfo, nil
}

// AddWatch sets a persistent watch on path (which need not exist). It
// delivers events until Watch.Remove, RemoveWatches(path, WatcherAny) or
// the end of the Conn (with WithSessionRenewal it is re-added on each new
// session); see Watch for the buffering.
//
// The server keeps one persistent watch mode per path and session: adding
// a persistent watch where a recursive one exists (or the reverse) changes
// the mode of the server's watch, and the client routes the events the
// server then sends to every Watch on the path that they concern.
func (c *Conn) AddWatch(ctx context.Context, path string, mode AddWatchMode) (*Watch, error) {
	if err := validatePath(path, false); err != nil {
		return nil, opError("addWatch", path, err)
	}
	kind := watchPersistent
	switch mode {
	case AddWatchPersistent:
	case AddWatchPersistentRecursive:
		kind = watchRecursive
	default:
		return nil, opError("addWatch", path, fmt.Errorf("zk: invalid watch mode %d: %w", int32(mode), ErrBadArguments))
	}
	sp := c.serverPath(path)
	w := &Watch{c: c, path: path, serverPath: sp, mode: mode}
	w.s = newStream[Event](c.spawn, c.stop, nil)
	reg := &watchReg{kind: kind, path: sp, pw: w}
	if _, err := c.call(ctx, wire.OpAddWatch, &wire.AddWatchRequest{Path: sp, Mode: int32(mode)}, nil, reg); err != nil {
		w.s.finish()
		return nil, opError("addWatch", path, err)
	}
	return w, nil
}

// RemoveWatches removes this session's watches of type t on path, on the
// server and locally: one-shot data/exists watches receive
// EventDataWatchRemoved, child watches EventChildWatchRemoved, and (for
// WatcherAny) persistent watches EventPersistentWatchRemoved, then their
// channels close. It fails with ErrNoWatcher if the server has no such
// watch.
func (c *Conn) RemoveWatches(ctx context.Context, path string, t WatcherType) error {
	if err := validatePath(path, false); err != nil {
		return opError("removeWatches", path, err)
	}
	sp := c.serverPath(path)
	if _, err := c.call(ctx, wire.OpRemoveWatches, &wire.RemoveWatchesRequest{Path: sp, Type: int32(t)}, nil, nil); err != nil {
		return opError("removeWatches", path, err)
	}
	c.watches.removeLocal(sp, path, t)
	return nil
}

// RemoveLocalWatches removes this Conn's watches of type t on path on the
// client only, without a request, so it works while disconnected
// (ZooKeeper's removeAllWatches with local=true). The watches get the same
// *Removed events as with RemoveWatches. The server keeps its watch until it
// fires or the session ends; its event then reaches no one. It fails with
// ErrNoWatcher if the client had no such watch.
func (c *Conn) RemoveLocalWatches(path string, t WatcherType) error {
	if err := validatePath(path, false); err != nil {
		return opError("removeWatches", path, err)
	}
	if c.watches.removeLocal(c.serverPath(path), path, t) == 0 {
		return opError("removeWatches", path, ErrNoWatcher)
	}
	return nil
}

// CheckWatches asks the server whether this session has a watch of type t
// on path; it fails with ErrNoWatcher if not.
func (c *Conn) CheckWatches(ctx context.Context, path string, t WatcherType) error {
	if err := validatePath(path, false); err != nil {
		return opError("checkWatches", path, err)
	}
	_, err := c.call(ctx, wire.OpCheckWatches, &wire.CheckWatchesRequest{Path: c.serverPath(path), Type: int32(t)}, nil, nil)
	return opError("checkWatches", path, err)
}
