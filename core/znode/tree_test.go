package znode

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zabkit/zabkit/wire"
)

// harness drives a tree as a one-replica server would: Prep then Apply.
type harness struct {
	t    testing.TB
	tree *Tree
	zxid int64
	now  int64
}

func newHarness(t testing.TB) *harness {
	return &harness{t: t, tree: New(Config{ExtendedTypes: true}), now: 1_700_000_000_000}
}

func (h *harness) do(session int64, auth []wire.ID, op wire.Op, rec wire.Record) (Result, error) {
	h.t.Helper()
	h.zxid++
	h.now++
	txn, perr := h.tree.Prep(Request{Session: session, Op: op, Record: rec, Auth: auth}, h.zxid, h.now)
	if errors.Is(perr, ErrBadRequest) {
		h.t.Fatalf("prep %v: %v", op, perr)
	}
	res, err := h.tree.Apply(txn)
	require.NoError(h.t, err)
	if perr != nil {
		require.Equal(h.t, perr, res.Err.Err(), "prep and apply disagree")
	}
	return res, res.Err.Err()
}

func (h *harness) create(path string, flags wire.CreateMode) string {
	h.t.Helper()
	res, err := h.do(1, nil, wire.OpCreate, &wire.CreateRequest{Path: path, ACL: OpenACLUnsafe, Flags: int32(flags)})
	require.NoError(h.t, err, path)
	return res.Path
}

func TestNewTreeHasReservedNodes(t *testing.T) {
	tr := New(Config{})
	for _, p := range []string{"/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"} {
		_, _, ok := tr.Node(p)
		require.True(t, ok, p)
	}
	acl, _, err := tr.GetACL("/zookeeper/config", nil)
	require.NoError(t, err)
	require.Equal(t, ReadACLUnsafe, acl)
	n, err := tr.AllChildrenNumber("/", nil)
	require.NoError(t, err)
	require.Equal(t, int32(3), n)
}

func TestCreateGetSetDelete(t *testing.T) {
	h := newHarness(t)
	h.do(1, nil, wire.OpCreateSession, &wire.CreateSessionTxn{TimeOut: 5000})
	require.Equal(t, "/a", h.create("/a", wire.ModePersistent))
	res, err := h.do(1, nil, wire.OpSetData, &wire.SetDataRequest{Path: "/a", Data: []byte("x"), Version: 0})
	require.NoError(t, err)
	require.Equal(t, int32(1), res.Stat.Version)
	data, st, err := h.tree.GetData("/a", nil, nil)
	require.NoError(t, err)
	require.Equal(t, "x", string(data))
	require.Equal(t, int32(1), st.DataLength)
	require.Equal(t, "/a/0000000000", h.create("/a/", wire.ModeEphemeralSequential))
	require.Equal(t, []string{"/a/0000000000"}, h.tree.Ephemerals(1, "/a"))
	_, err = h.do(1, nil, wire.OpDelete, &wire.DeleteRequest{Path: "/a", Version: -1})
	require.ErrorIs(t, err, wire.CodeNotEmpty)
	_, err = h.do(1, nil, wire.OpCloseSession, nil)
	require.NoError(t, err)
	require.Empty(t, h.tree.Ephemerals(1, ""))
	_, st, err = h.tree.Children("/a", nil, nil)
	require.NoError(t, err)
	require.Equal(t, int32(0), st.NumChildren)
	require.Equal(t, int32(2), st.Cversion) // one create + one delete
	_, err = h.do(1, nil, wire.OpDelete, &wire.DeleteRequest{Path: "/a", Version: 1})
	require.NoError(t, err)
	_, _, ok := h.tree.Node("/a")
	require.False(t, ok)
}
