package znode

import (
	"bytes"
	"context"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zabkit/zabkit/wire"
)

// Empty data is not null: as in ZooKeeper, a node created or set with
// empty data holds a zero-length, non-nil slice and one created or set
// with null data holds nil (getData answers length 0 and -1 on the wire).

// requireNull checks the data of the node at path is nil (null) or a
// non-nil empty slice, with dataLength 0 either way.
func requireNull(t *testing.T, tr *Tree, path string, null bool) {
	t.Helper()
	data, st, err := tr.GetData(path, nil, nil)
	require.NoError(t, err, path)
	require.Len(t, data, 0, path)
	require.Equal(t, null, data == nil, "%s: data %#v, want null=%v", path, data, null)
	require.Equal(t, int32(0), st.DataLength, path)
}

// nullEmptyTree builds, through Prep and Apply, nodes whose data is null
// or empty by every op that sets data, and returns per path whether it
// is null.
func nullEmptyTree(t *testing.T) (*harness, map[string]bool) {
	h := newHarness(t)
	h.do(1, nil, wire.OpCreateSession, &wire.CreateSessionTxn{TimeOut: 5000})
	want := map[string]bool{}
	empty := []byte{}
	for _, c := range []struct {
		name string
		op   wire.Op
		mode wire.CreateMode
	}{
		{"create", wire.OpCreate, wire.ModePersistent},
		{"create2", wire.OpCreate2, wire.ModePersistent},
		{"ephemeral", wire.OpCreate, wire.ModeEphemeral},
		{"container", wire.OpCreateContainer, wire.ModeContainer},
	} {
		for _, d := range []struct {
			suffix string
			data   []byte
		}{{"-null", nil}, {"-empty", empty}} {
			_, err := h.do(1, nil, c.op, &wire.CreateRequest{Path: "/" + c.name + d.suffix, Data: d.data, ACL: OpenACLUnsafe, Flags: int32(c.mode)})
			require.NoError(t, err)
			want["/"+c.name+d.suffix] = d.data == nil
		}
	}
	for _, d := range []struct {
		p    string
		data []byte
	}{{"/ttl-null", nil}, {"/ttl-empty", empty}} {
		_, err := h.do(1, nil, wire.OpCreateTTL, &wire.CreateTTLRequest{Path: d.p, Data: d.data, ACL: OpenACLUnsafe, Flags: int32(wire.ModePersistentWithTTL), TTL: 1000})
		require.NoError(t, err)
		want[d.p] = d.data == nil
	}
	for _, c := range []struct {
		p         string
		from, set []byte
	}{{"/data-set-null", []byte("x"), nil}, {"/data-set-empty", []byte("x"), empty},
		{"/null-set-empty", nil, empty}, {"/empty-set-null", empty, nil}} {
		_, err := h.do(1, nil, wire.OpCreate, &wire.CreateRequest{Path: c.p, Data: c.from, ACL: OpenACLUnsafe})
		require.NoError(t, err)
		_, err = h.do(1, nil, wire.OpSetData, &wire.SetDataRequest{Path: c.p, Data: c.set, Version: -1})
		require.NoError(t, err)
		want[c.p] = c.set == nil
	}
	res, err := h.do(1, nil, wire.OpMulti, &wire.MultiRequest{Ops: []wire.MultiOp{
		{Type: wire.OpCreate, Request: &wire.CreateRequest{Path: "/multi-null", ACL: OpenACLUnsafe}},
		{Type: wire.OpCreate2, Request: &wire.CreateRequest{Path: "/multi-empty", Data: empty, ACL: OpenACLUnsafe}},
		{Type: wire.OpCreate, Request: &wire.CreateRequest{Path: "/multi-set-null", Data: []byte("y"), ACL: OpenACLUnsafe}},
		{Type: wire.OpSetData, Request: &wire.SetDataRequest{Path: "/multi-set-null", Version: -1}},
		{Type: wire.OpCreate, Request: &wire.CreateRequest{Path: "/multi-set-empty", ACL: OpenACLUnsafe}},
		{Type: wire.OpSetData, Request: &wire.SetDataRequest{Path: "/multi-set-empty", Data: empty, Version: -1}},
	}})
	require.NoError(t, err)
	require.Len(t, res.Multi, 6)
	want["/multi-null"], want["/multi-empty"], want["/multi-set-null"], want["/multi-set-empty"] = true, false, true, false
	for _, p := range []string{"/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"} {
		want[p] = false // ZooKeeper's DataTree makes them with new byte[0]
	}
	return h, want
}

func TestEmptyDataIsNotNull(t *testing.T) {
	h, want := nullEmptyTree(t)
	for p, null := range want {
		requireNull(t, h.tree, p, null)
	}
	// The txns themselves carry the distinction (the log stores them):
	// a txn that went through MarshalTxn/UnmarshalTxn applies the same.
	h.zxid++
	txn, err := h.tree.Prep(Request{Session: 1, Op: wire.OpCreate, Record: &wire.CreateRequest{Path: "/logged-empty", Data: []byte{}, ACL: OpenACLUnsafe}}, h.zxid, h.now)
	require.NoError(t, err)
	txn, err = UnmarshalTxn(MarshalTxn(txn))
	require.NoError(t, err)
	_, err = h.tree.Apply(txn)
	require.NoError(t, err)
	requireNull(t, h.tree, "/logged-empty", false)
}

// TestDigestTellsEmptyFromNull: replicas that disagree only on null vs
// empty data have different digests, so a replica that lost the
// distinction does not pass for converged.
func TestDigestTellsEmptyFromNull(t *testing.T) {
	a, b := newHarness(t), newHarness(t)
	_, err := a.do(1, nil, wire.OpCreate, &wire.CreateRequest{Path: "/n", ACL: OpenACLUnsafe})
	require.NoError(t, err)
	_, err = b.do(1, nil, wire.OpCreate, &wire.CreateRequest{Path: "/n", Data: []byte{}, ACL: OpenACLUnsafe})
	require.NoError(t, err)
	require.NotEqual(t, a.tree.Digest(), b.tree.Digest())
	// The same setData to null on both makes the trees (and digests) equal.
	_, err = b.do(1, nil, wire.OpSetData, &wire.SetDataRequest{Path: "/n", Version: -1})
	require.NoError(t, err)
	_, err = a.do(1, nil, wire.OpSetData, &wire.SetDataRequest{Path: "/n", Version: -1})
	require.NoError(t, err)
	require.Equal(t, a.tree.Digest(), b.tree.Digest())
}

func TestSnapshotKeepsEmptyAndNull(t *testing.T) {
	h, want := nullEmptyTree(t)
	var buf bytes.Buffer
	require.NoError(t, h.tree.WriteSnapshot(&buf))
	back, err := ReadSnapshot(bytes.NewReader(buf.Bytes()), h.tree.Config())
	require.NoError(t, err)
	require.Equal(t, h.tree.Digest(), back.Digest())
	for p, null := range want {
		requireNull(t, back, p, null)
	}

	// A snapshot taken while Apply goes on (copy-on-write) writes the data
	// as it was at the freeze: flip every node (but the reserved ones)
	// and encode.
	snap := h.tree.BeginSnapshot()
	frozen := snap.Digest()
	for p, null := range want {
		if slices.Contains(reservedPaths[:], p) {
			continue
		}
		data := []byte(nil)
		if null {
			data = []byte{}
		}
		_, err := h.do(1, nil, wire.OpSetData, &wire.SetDataRequest{Path: p, Data: data, Version: -1})
		require.NoError(t, err)
		requireNull(t, h.tree, p, !null)
	}
	buf.Reset()
	require.NoError(t, snap.Encode(context.Background(), &buf, nil))
	snap.Close()
	back, err = ReadSnapshot(bytes.NewReader(buf.Bytes()), h.tree.Config())
	require.NoError(t, err)
	require.Equal(t, frozen, back.Digest())
	for p, null := range want {
		requireNull(t, back, p, null)
	}
}

// TestSnapshotV1StillLoads reads testdata/snapshot-v1.bin, written by the
// format before null and empty data were told apart (ZKSNAP01): it held
// /data "x", /null created with null data, /empty and /eph created with
// empty data and /set-empty set to empty data, all of which that tree
// stored as null. Zero-length data of such a snapshot is read as null,
// except the reserved nodes, read as empty as New makes them.
func TestSnapshotV1StillLoads(t *testing.T) {
	b, err := os.ReadFile("testdata/snapshot-v1.bin")
	require.NoError(t, err)
	require.Equal(t, "ZKSNAP01", string(b[:8]))
	tr, err := ReadSnapshot(bytes.NewReader(b), Config{ExtendedTypes: true})
	require.NoError(t, err)
	data, _, err := tr.GetData("/data", nil, nil)
	require.NoError(t, err)
	require.Equal(t, "x", string(data))
	for _, p := range []string{"/null", "/empty", "/set-empty", "/eph"} {
		requireNull(t, tr, p, true)
	}
	for _, p := range []string{"/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"} {
		requireNull(t, tr, p, false)
	}
	// Written again, it is in the current format and reads back the same.
	var buf bytes.Buffer
	require.NoError(t, tr.WriteSnapshot(&buf))
	require.Equal(t, snapMagic, buf.String()[:8])
	back, err := ReadSnapshot(&buf, Config{ExtendedTypes: true})
	require.NoError(t, err)
	require.Equal(t, tr.Digest(), back.Digest())
	requireNull(t, back, "/null", true)
	requireNull(t, back, "/", false)
}
