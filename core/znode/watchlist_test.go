package znode

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/wire"
)

func TestWatchListings(t *testing.T) {
	tree := New(Config{})
	type conn struct{ id int }
	a, b := &conn{1}, &conn{2}
	_, err := tree.Exists("/x", nil, b) // data watch on a missing node
	assert.ErrorIs(t, err, wire.CodeNoNode)
	_, err = tree.Exists("/x", nil, a)
	assert.ErrorIs(t, err, wire.CodeNoNode)
	_, _, err = tree.Children("/", nil, a) // child watch
	require.NoError(t, err)
	_, _, err = tree.GetData("/", nil, a) // data watch on the same path: listed once
	require.NoError(t, err)
	require.NoError(t, tree.AddWatch("/r", wire.AddWatchPersistentRecursive, b))

	assert.Equal(t, map[Watcher][]string{a: {"/", "/x"}, b: {"/r", "/x"}}, tree.WatchesByWatcher())
	assert.Equal(t, map[string][]Watcher{"/": {a}, "/x": {b, a}, "/r": {b}}, tree.WatchesByPath())

	// Snapshots: the caller may keep and modify them.
	byW := tree.WatchesByWatcher()
	byW[a][0] = "changed"
	assert.Equal(t, []string{"/", "/x"}, tree.WatchesByWatcher()[a])

	tree.RemoveWatcher(a)
	assert.Equal(t, map[Watcher][]string{b: {"/r", "/x"}}, tree.WatchesByWatcher())
	assert.Equal(t, map[string][]Watcher{"/x": {b}, "/r": {b}}, tree.WatchesByPath())
	require.NoError(t, tree.RemoveWatches("/r", wire.WatcherAny, b))
	require.NoError(t, tree.RemoveWatches("/x", wire.WatcherAny, b))
	assert.Empty(t, tree.WatchesByWatcher())
	assert.Empty(t, tree.WatchesByPath())
}
