package znode

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zabkit/zabkit/wire"
)

func prep(t *testing.T, tr *Tree, zxid int64, req Request) (Txn, error) {
	t.Helper()
	if req.Auth == nil {
		req.Auth = []wire.ID{IPAuth("127.0.0.1")}
	}
	return tr.Prep(req, zxid, 1000+zxid)
}

func mkCreate(path string, mode wire.CreateMode) *wire.CreateRequest {
	return &wire.CreateRequest{Path: path, ACL: OpenACLUnsafe, Flags: int32(mode)}
}

// TestPrepSeesPreparedChanges: requests prepared back to back, before any
// is applied, see each other's effects, as with ZooKeeper's outstanding
// change records.
func TestPrepSeesPreparedChanges(t *testing.T) {
	tr := New(Config{})
	var txns []Txn
	ok := func(zxid int64, req Request) {
		txn, err := prep(t, tr, zxid, req)
		require.NoError(t, err, "zxid %d", zxid)
		txns = append(txns, txn)
	}
	ok(1, Request{Session: 7, Op: wire.OpCreateSession, Record: &wire.CreateSessionTxn{TimeOut: 3000}})
	ok(2, Request{Session: 7, Op: wire.OpCreate, Record: mkCreate("/a", 0)})
	ok(3, Request{Session: 7, Op: wire.OpCreate, Record: mkCreate("/a/s-", wire.ModeEphemeralSequential)})
	ok(4, Request{Session: 7, Op: wire.OpCreate, Record: mkCreate("/a/s-", wire.ModeEphemeralSequential)})
	ok(5, Request{Session: 7, Op: wire.OpSetData, Record: &wire.SetDataRequest{Path: "/a", Version: 0}})
	_, err := prep(t, tr, 6, Request{Session: 7, Op: wire.OpSetData, Record: &wire.SetDataRequest{Path: "/a", Version: 0}})
	require.ErrorIs(t, err, wire.CodeBadVersion, "the prepared setData bumped the version")
	_, err = prep(t, tr, 7, Request{Session: 7, Op: wire.OpDelete, Record: &wire.DeleteRequest{Path: "/a", Version: -1}})
	require.ErrorIs(t, err, wire.CodeNotEmpty)
	_, err = prep(t, tr, 8, Request{Session: 7, Op: wire.OpCreate, Record: mkCreate("/a/s-0000000000/x", 0)})
	require.ErrorIs(t, err, wire.CodeNoChildrenForEphemerals)
	require.Equal(t, "/a/s-0000000001", txns[3].Record.(*wire.CreateTxn).Path)
	ok(9, Request{Session: 7, Op: wire.OpCloseSession})
	require.Equal(t, []string{"/a/s-0000000000", "/a/s-0000000001"}, txns[5].Record.(*wire.CloseSessionTxn).Paths2Delete,
		"closeSession lists ephemerals that are only prepared")
	ok(10, Request{Session: 8, Op: wire.OpDelete, Record: &wire.DeleteRequest{Path: "/a", Version: 1}})
	require.Equal(t, 4, tr.PendingCount(), "/, /a and the two ephemerals")
	for _, txn := range txns {
		_, err := tr.Apply(txn)
		require.NoError(t, err)
	}
	require.Zero(t, tr.PendingCount(), "applying retires every prepared change")
	_, _, exists := tr.Node("/a")
	require.False(t, exists)
	require.Empty(t, tr.Sessions())
}

func TestResetPendingForgetsPreparedChanges(t *testing.T) {
	tr := New(Config{})
	_, err := prep(t, tr, 1, Request{Op: wire.OpCreate, Record: mkCreate("/a", 0)})
	require.NoError(t, err)
	_, err = prep(t, tr, 2, Request{Op: wire.OpCreate, Record: mkCreate("/a", 0)})
	require.ErrorIs(t, err, wire.CodeNodeExists)
	tr.ResetPending()
	_, err = prep(t, tr, 3, Request{Op: wire.OpCreate, Record: mkCreate("/a", 0)})
	require.NoError(t, err)
}

func TestFailedMultiLeavesNoPreparedChange(t *testing.T) {
	tr := New(Config{})
	m := &wire.MultiRequest{Ops: []wire.MultiOp{
		{Type: wire.OpCreate, Request: mkCreate("/a", 0)},
		{Type: wire.OpDelete, Request: &wire.DeleteRequest{Path: "/nope", Version: -1}},
	}}
	txn, err := prep(t, tr, 1, Request{Op: wire.OpMulti, Record: m})
	require.ErrorIs(t, err, wire.CodeNoNode)
	require.Equal(t, wire.OpMulti, txn.Header.Type)
	require.Zero(t, tr.PendingCount())
	_, err = prep(t, tr, 2, Request{Op: wire.OpDelete, Record: &wire.DeleteRequest{Path: "/a", Version: -1}})
	require.ErrorIs(t, err, wire.CodeNoNode, "the failed multi's create must not be visible")
	res, err := tr.Apply(txn)
	require.NoError(t, err)
	require.Equal(t, wire.CodeNoNode, res.Err)
	code, body := res.Reply()
	require.Equal(t, wire.CodeOK, code, "ZooKeeper answers a failed multi with err 0 and per-op results")
	require.Equal(t, []wire.MultiResult{{Type: wire.OpError, Err: wire.CodeOK}, {Type: wire.OpError, Err: wire.CodeNoNode}}, body.(*wire.MultiResponse).Results)
}

func TestPrepRejectsMismatchedRecords(t *testing.T) {
	tr := New(Config{})
	_, err := tr.Prep(Request{Op: wire.OpCreate, Record: &wire.DeleteRequest{Path: "/a"}}, 1, 1)
	require.ErrorIs(t, err, ErrBadRequest)
	_, err = tr.Prep(Request{Op: wire.OpGetData, Record: &wire.GetDataRequest{Path: "/a"}}, 1, 1)
	require.ErrorIs(t, err, ErrBadRequest)
}

func TestTTLNeedsExtendedTypes(t *testing.T) {
	tr := New(Config{})
	_, err := prep(t, tr, 1, Request{Op: wire.OpCreateTTL, Record: &wire.CreateTTLRequest{Path: "/t", ACL: OpenACLUnsafe, Flags: int32(wire.ModePersistentWithTTL), TTL: 100}})
	require.ErrorIs(t, err, wire.CodeUnimplemented)
}

func TestReapCandidates(t *testing.T) {
	tr := New(Config{ExtendedTypes: true})
	zxid := int64(0)
	at := func(now int64, req Request) {
		zxid++
		txn, err := tr.Prep(req, zxid, now)
		require.NoError(t, err)
		_, err = tr.Apply(txn)
		require.NoError(t, err)
	}
	at(1000, Request{Op: wire.OpCreateContainer, Record: mkCreate("/used", wire.ModeContainer)})
	at(1000, Request{Op: wire.OpCreateContainer, Record: mkCreate("/fresh", wire.ModeContainer)})
	at(1000, Request{Op: wire.OpCreateContainer, Record: mkCreate("/busy", wire.ModeContainer)})
	at(1000, Request{Op: wire.OpCreate, Record: mkCreate("/used/x", 0)})
	at(1000, Request{Op: wire.OpCreate, Record: mkCreate("/busy/x", 0)})
	at(1000, Request{Op: wire.OpDelete, Record: &wire.DeleteRequest{Path: "/used/x", Version: -1}})
	at(2000, Request{Op: wire.OpCreateTTL, Record: &wire.CreateTTLRequest{Path: "/ttl", ACL: OpenACLUnsafe, Flags: int32(wire.ModePersistentWithTTL), TTL: 500}})
	require.Equal(t, []string{"/used"}, tr.ReapCandidates(2500, 0))
	require.Equal(t, []string{"/used"}, tr.ReapCandidates(2500, 2000))
	require.Equal(t, []string{"/fresh", "/ttl", "/used"}, tr.ReapCandidates(3001, 2000))
	at(3001, Request{Op: wire.OpDeleteContainer, Record: &wire.DeleteRequest{Path: "/ttl", Version: -1}})
	_, err := prep(t, tr, 100, Request{Op: wire.OpDeleteContainer, Record: &wire.DeleteRequest{Path: "/busy", Version: -1}})
	require.ErrorIs(t, err, wire.CodeNotEmpty)
	_, st, err := tr.GetData("/used", nil, nil)
	require.NoError(t, err)
	require.Zero(t, st.EphemeralOwner, "clients see no owner for containers")
}

func TestSnapshotRejectsCorruption(t *testing.T) {
	tr := randomTree(t, 9, 300)
	var buf bytes.Buffer
	require.NoError(t, tr.WriteSnapshot(&buf))
	snap := buf.Bytes()
	for _, i := range []int{0, 9, len(snap) / 3, len(snap) / 2, len(snap) - 13, len(snap) - 1} {
		bad := bytes.Clone(snap)
		bad[i] ^= 0x40
		_, err := ReadSnapshot(bytes.NewReader(bad), tr.Config())
		require.ErrorIs(t, err, ErrBadSnapshot, "flipped byte %d", i)
	}
	_, err := ReadSnapshot(bytes.NewReader(snap[:len(snap)-1]), tr.Config())
	require.ErrorIs(t, err, ErrBadSnapshot)
	_, err = ReadSnapshot(bytes.NewReader(snap), Config{})
	require.ErrorIs(t, err, ErrBadSnapshot, "config mismatch")
	back, err := ReadSnapshot(bytes.NewReader(snap), tr.Config())
	require.NoError(t, err)
	require.Equal(t, tr.Digest(), back.Digest())
	require.Equal(t, tr.Sessions(), back.Sessions())
}

func TestDigestCoversSessionsAndACLs(t *testing.T) {
	a, b := New(Config{}), New(Config{})
	require.Equal(t, a.Digest(), b.Digest())
	apply := func(tr *Tree, txn Txn) {
		_, err := tr.Apply(txn)
		require.NoError(t, err)
	}
	apply(a, Txn{Header: wire.TxnHeader{ClientID: 5, Zxid: 1, Type: wire.OpCreateSession}, Record: &wire.CreateSessionTxn{TimeOut: 1}})
	require.NotEqual(t, a.Digest(), b.Digest())
	apply(b, Txn{Header: wire.TxnHeader{ClientID: 5, Zxid: 1, Type: wire.OpCreateSession}, Record: &wire.CreateSessionTxn{TimeOut: 1}})
	require.Equal(t, a.Digest(), b.Digest())
	apply(a, Txn{Header: wire.TxnHeader{Zxid: 2, Type: wire.OpSetACL}, Record: &wire.SetACLTxn{Path: "/zookeeper", ACL: ReadACLUnsafe, Version: 1}})
	apply(b, Txn{Header: wire.TxnHeader{Zxid: 2, Type: wire.OpSetACL}, Record: &wire.SetACLTxn{Path: "/zookeeper", ACL: CreatorAllACL, Version: 1}})
	require.NotEqual(t, a.Digest(), b.Digest())
}

func TestQuotaGarbageStats(t *testing.T) {
	h := newHarness(t)
	for _, p := range []string{"/q", "/zookeeper/quota/q"} {
		h.create(p, 0)
	}
	h.do(1, nil, wire.OpCreate, &wire.CreateRequest{Path: "/zookeeper/quota/q/zookeeper_limits", Data: []byte("count=5"), ACL: OpenACLUnsafe})
	h.do(1, nil, wire.OpCreate, &wire.CreateRequest{Path: "/zookeeper/quota/q/zookeeper_stats", Data: []byte("garbage"), ACL: OpenACLUnsafe})
	data, _, _ := h.tree.Node("/zookeeper/quota/q/zookeeper_stats")
	require.Equal(t, "count=1,bytes=0", string(data), "recounted when the stats node is created")
	h.do(1, nil, wire.OpSetData, &wire.SetDataRequest{Path: "/zookeeper/quota/q/zookeeper_stats", Data: []byte("count=x"), Version: -1})
	h.create("/q/a", 0) // ZooKeeper 3.8 dies here; the tree leaves the stats alone
	data, _, _ = h.tree.Node("/zookeeper/quota/q/zookeeper_stats")
	require.Equal(t, "count=x", string(data))
	// The quota survives a snapshot, and a restored tree keeps counting.
	h.do(1, nil, wire.OpSetData, &wire.SetDataRequest{Path: "/zookeeper/quota/q/zookeeper_stats", Data: []byte("count=0,bytes=0"), Version: -1})
	var buf bytes.Buffer
	require.NoError(t, h.tree.WriteSnapshot(&buf))
	back, err := ReadSnapshot(&buf, h.tree.Config())
	require.NoError(t, err)
	h.tree = back
	h.do(1, nil, wire.OpCreate, &wire.CreateRequest{Path: "/q/b", Data: []byte("12"), ACL: OpenACLUnsafe})
	data, _, _ = h.tree.Node("/zookeeper/quota/q/zookeeper_stats")
	require.Equal(t, "count=1,bytes=2", string(data))
}

func TestReconfigIsDisabled(t *testing.T) {
	txn, err := New(Config{}).Prep(Request{Op: wire.OpReconfig}, 1, 1)
	require.ErrorIs(t, err, wire.CodeReconfigDisabled)
	require.Equal(t, wire.OpError, txn.Header.Type)
}
