package znode

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zabkit/zabkit/wire"
)

type conn struct{ name string }

func eventsOf(res Result) []string {
	var out []string
	for _, e := range res.Events {
		s := e.Type.String() + " " + e.Path + ":"
		for _, w := range e.Watchers {
			s += " " + w.(*conn).name
		}
		out = append(out, s)
	}
	return out
}

func TestWatchEventsOrderAndDedup(t *testing.T) {
	h := newHarness(t)
	h.create("/p", 0)
	h.create("/p/c", 0)
	a, b, c := &conn{"a"}, &conn{"b"}, &conn{"c"}
	_, _, err := h.tree.GetData("/p/c", nil, b)
	require.NoError(t, err)
	_, _, err = h.tree.Children("/p/c", nil, a)
	require.NoError(t, err)
	_, err = h.tree.Exists("/p/c", nil, a) // a: data and child watch on /p/c
	require.NoError(t, err)
	_, _, err = h.tree.Children("/p", nil, c)
	require.NoError(t, err)
	res, err := h.do(1, nil, wire.OpDelete, &wire.DeleteRequest{Path: "/p/c", Version: -1})
	require.NoError(t, err)
	// Data watchers first (b before a: registration order), then child
	// watchers not already notified; each watcher once; then the parent.
	require.Equal(t, []string{"NodeDeleted /p/c: b a", "NodeChildrenChanged /p: c"}, eventsOf(res))
	d, ch := h.tree.WatchCount()
	require.Zero(t, d+ch, "one-shot watches are consumed")
}

func TestPersistentAndRecursiveWatches(t *testing.T) {
	h := newHarness(t)
	h.create("/r", 0)
	p, r := &conn{"p"}, &conn{"r"}
	require.NoError(t, h.tree.AddWatch("/r", wire.AddWatchPersistent, p))
	require.NoError(t, h.tree.AddWatch("/r", wire.AddWatchPersistentRecursive, r))
	require.ErrorIs(t, h.tree.AddWatch("/r", 7, r), wire.CodeBadArguments)
	res, _ := h.do(1, nil, wire.OpCreate, &wire.CreateRequest{Path: "/r/x", ACL: OpenACLUnsafe})
	require.Equal(t, []string{"NodeCreated /r/x: r", "NodeChildrenChanged /r: p"}, eventsOf(res))
	res, _ = h.do(1, nil, wire.OpSetData, &wire.SetDataRequest{Path: "/r", Version: -1})
	require.Equal(t, []string{"NodeDataChanged /r: p r"}, eventsOf(res))
	res, _ = h.do(1, nil, wire.OpCreate, &wire.CreateRequest{Path: "/r/x/y", ACL: OpenACLUnsafe})
	require.Equal(t, []string{"NodeCreated /r/x/y: r"}, eventsOf(res))
	h.tree.RemoveWatcher(r)
	res, _ = h.do(1, nil, wire.OpSetData, &wire.SetDataRequest{Path: "/r", Version: -1})
	require.Equal(t, []string{"NodeDataChanged /r: p"}, eventsOf(res), "persistent watches stay")
	require.ErrorIs(t, h.tree.RemoveWatches("/r", wire.WatcherAny, r), wire.CodeNoWatcher)
	require.NoError(t, h.tree.RemoveWatches("/r", wire.WatcherAny, p))
	res, _ = h.do(1, nil, wire.OpSetData, &wire.SetDataRequest{Path: "/r", Version: -1})
	require.Empty(t, res.Events)
}

func TestEventCarriesACLForDeliveryFilter(t *testing.T) {
	h := newHarness(t)
	secret := []wire.ACL{digestACL(wire.PermAll, "alice:pw")}
	_, err := h.do(1, nil, wire.OpCreate, &wire.CreateRequest{Path: "/s", ACL: secret})
	require.NoError(t, err)
	w := &conn{"w"}
	require.NoError(t, h.tree.AddWatch("/", wire.AddWatchPersistentRecursive, w))
	res, err := h.do(1, DigestAuth("alice:pw", ""), wire.OpSetData, &wire.SetDataRequest{Path: "/s", Version: -1})
	require.NoError(t, err)
	require.Len(t, res.Events, 1)
	require.ErrorIs(t, CheckACL(res.Events[0].ACL, wire.PermRead, nil), wire.CodeNoAuth, "a stranger must not get the event")
}

func TestSetWatchesReportsMissedChanges(t *testing.T) {
	h := newHarness(t)
	h.create("/a", 0)
	h.create("/b", 0)
	seen := h.zxid
	h.do(1, nil, wire.OpSetData, &wire.SetDataRequest{Path: "/a", Version: -1})
	h.create("/b/c", 0)
	w := &conn{"w"}
	evs, err := h.tree.SetWatches(seen, []string{"/a", "/b", "/gone"}, []string{"/b", "/new"}, []string{"/b", "/a"}, nil, []string{"/"}, w)
	require.NoError(t, err)
	var got []string
	for _, e := range evs {
		got = append(got, e.Type.String()+" "+e.Path)
	}
	require.Equal(t, []string{"NodeDataChanged /a", "NodeDeleted /gone", "NodeCreated /b", "NodeChildrenChanged /b"}, got)
	require.NoError(t, h.tree.CheckWatches("/b", wire.WatcherData, w))
	require.NoError(t, h.tree.CheckWatches("/new", wire.WatcherData, w))
	require.NoError(t, h.tree.CheckWatches("/a", wire.WatcherChildren, w))
	require.NoError(t, h.tree.CheckWatches("/", wire.WatcherAny, w))
	_, err = h.tree.SetWatches(0, []string{"/a"}, nil, nil, nil, nil, []int{1})
	require.ErrorIs(t, err, ErrWatcherNotComparable)
}
