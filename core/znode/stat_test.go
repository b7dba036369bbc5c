package znode

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zabkit/zabkit/wire"
)

// TestStatFieldsExactly follows one node and its parent through every
// kind of change and checks every Stat field against ZooKeeper 3.8's
// rules (DataTree and PrepRequestProcessor): create sets czxid = mzxid =
// pzxid and ctime = mtime; a child create or delete bumps the parent's
// cversion and pzxid and nothing else (checked against ZooKeeper 3.8.0
// with zkCli.sh: create /p, create /p/c, delete /p/c leaves /p with
// cversion 2, and the next sequential child is numbered 1: ZooKeeper
// stores the count of child creates and reports it doubled minus the
// children, DataNode.copyStat); setData moves mzxid, mtime and version
// only; setACL moves aversion only; a multi gives every op the multi's
// zxid and time.
// Times are 1000+zxid (see prep).
func TestStatFieldsExactly(t *testing.T) {
	tr := New(Config{})
	const sess = 0x51
	step := func(zxid int64, req Request) {
		t.Helper()
		req.Session = sess
		txn, err := prep(t, tr, zxid, req)
		require.NoError(t, err, "zxid %d", zxid)
		_, err = tr.Apply(txn)
		require.NoError(t, err, "zxid %d", zxid)
	}
	stat := func(path string) wire.Stat {
		t.Helper()
		_, st, ok := tr.Node(path)
		require.True(t, ok, path)
		return st
	}

	step(1, Request{Op: wire.OpCreateSession, Record: &wire.CreateSessionTxn{TimeOut: 3000}})
	root := stat("/")
	step(2, Request{Op: wire.OpCreate, Record: &wire.CreateRequest{Path: "/a", Data: []byte("hello"), ACL: OpenACLUnsafe}})
	require.Equal(t, wire.Stat{Czxid: 2, Mzxid: 2, Pzxid: 2, Ctime: 1002, Mtime: 1002, DataLength: 5}, stat("/a"))
	root.Cversion++
	root.Pzxid = 2
	root.NumChildren++
	require.Equal(t, root, stat("/"), "a child create moves the parent's cversion and pzxid only")

	step(3, Request{Op: wire.OpCreate, Record: mkCreate("/a/e-", wire.ModeEphemeralSequential)})
	require.Equal(t, wire.Stat{Czxid: 3, Mzxid: 3, Pzxid: 3, Ctime: 1003, Mtime: 1003, EphemeralOwner: sess},
		stat("/a/e-0000000000"))
	want := wire.Stat{Czxid: 2, Mzxid: 2, Pzxid: 3, Ctime: 1002, Mtime: 1002, Cversion: 1, DataLength: 5, NumChildren: 1}
	require.Equal(t, want, stat("/a"))

	step(4, Request{Op: wire.OpSetData, Record: &wire.SetDataRequest{Path: "/a", Data: []byte("hi"), Version: 0}})
	want.Mzxid, want.Mtime, want.Version, want.DataLength = 4, 1004, 1, 2
	require.Equal(t, want, stat("/a"), "setData moves mzxid, mtime, version and dataLength only")

	step(5, Request{Op: wire.OpSetACL, Record: &wire.SetACLRequest{Path: "/a", ACL: OpenACLUnsafe, Version: 0}})
	want.Aversion = 1
	require.Equal(t, want, stat("/a"), "setACL moves aversion only")

	step(6, Request{Op: wire.OpDelete, Record: &wire.DeleteRequest{Path: "/a/e-0000000000", Version: -1}})
	want.Cversion, want.Pzxid, want.NumChildren = 2, 6, 0
	require.Equal(t, want, stat("/a"), "a child delete moves cversion and pzxid")

	step(7, Request{Op: wire.OpMulti, Record: &wire.MultiRequest{Ops: []wire.MultiOp{
		{Type: wire.OpCreate, Request: mkCreate("/a/e-", wire.ModeEphemeralSequential)},
		{Type: wire.OpSetData, Request: &wire.SetDataRequest{Path: "/a", Data: []byte("multi"), Version: 1}},
	}}})
	require.Equal(t, wire.Stat{Czxid: 7, Mzxid: 7, Pzxid: 7, Ctime: 1007, Mtime: 1007, EphemeralOwner: sess},
		stat("/a/e-0000000001"), "the sequence number counts the parent's child creates (1), not its cversion (2)")
	want.Cversion, want.Pzxid, want.NumChildren = 3, 7, 1
	want.Mzxid, want.Mtime, want.Version, want.DataLength = 7, 1007, 2, 5
	require.Equal(t, want, stat("/a"), "every op of a multi has the multi's zxid and time")

	step(8, Request{Op: wire.OpCloseSession})
	want.Cversion, want.Pzxid, want.NumChildren = 4, 8, 0
	require.Equal(t, want, stat("/a"), "closing the session deletes its ephemerals at the close's zxid")
}
