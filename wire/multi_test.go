package wire

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func multiBytes(parts ...Record) []byte {
	var e Encoder
	for _, p := range parts {
		p.Encode(&e)
	}
	return e.Bytes()
}

func TestMultiRequestRejectsMixedOps(t *testing.T) {
	b := multiBytes(
		&MultiHeader{Type: OpCreate, Err: -1}, &CreateRequest{Path: "/a", ACL: OpenACLUnsafe},
		&MultiHeader{Type: OpGetData, Err: -1}, &GetDataRequest{Path: "/a"},
		&multiEnd,
	)
	var r MultiRequest
	err := Unmarshal(b, &r)
	require.ErrorIs(t, err, ErrMixedMulti)
	require.ErrorIs(t, err, ErrMalformed)
	require.Nil(t, r.Ops)
}

func TestMultiRequestRejectsUnknownOp(t *testing.T) {
	for _, op := range []Op{OpExists, OpMulti, OpPing, OpSetACL, Op(77)} {
		b := multiBytes(&MultiHeader{Type: op, Err: -1}, &SyncRequest{Path: "/a"}, &multiEnd)
		err := Unmarshal(b, &MultiRequest{})
		require.ErrorIs(t, err, ErrUnknownOp, "op %v", op)
	}
}

func TestMultiRequestMissingEnd(t *testing.T) {
	b := multiBytes(&MultiHeader{Type: OpDelete, Err: -1}, &DeleteRequest{Path: "/a", Version: -1})
	require.ErrorIs(t, Unmarshal(b, &MultiRequest{}), ErrTruncated)
}

func TestMultiResponseRejectsUnknownResult(t *testing.T) {
	b := multiBytes(&MultiHeader{Type: OpExists}, &ExistsResponse{}, &multiEnd)
	require.ErrorIs(t, Unmarshal(b, &MultiResponse{}), ErrUnknownOp)
}

func TestMultiResponseErrorCodeFromBody(t *testing.T) {
	// ZooKeeper's client reads the code from the ErrorResponse body; so do we.
	b := multiBytes(&MultiHeader{Type: OpError, Err: 0}, &ErrorResponse{Err: CodeBadVersion}, &multiEnd)
	var r MultiResponse
	require.NoError(t, Unmarshal(b, &r))
	require.Equal(t, []MultiResult{{Type: OpError, Err: CodeBadVersion}}, r.Results)
}

func TestMultiResponseFirstError(t *testing.T) {
	r := MultiResponse{Results: []MultiResult{
		{Type: OpError, Err: CodeOK},
		{Type: OpError, Err: CodeNodeExists},
		{Type: OpError, Err: CodeRuntimeInconsistency},
	}}
	require.ErrorIs(t, r.FirstError(), CodeNodeExists)
	ok := MultiResponse{Results: []MultiResult{{Type: OpDelete}, {Type: OpCheck}}}
	require.NoError(t, ok.FirstError())
}

func TestMultiRequestValidate(t *testing.T) {
	good := &MultiRequest{Ops: []MultiOp{
		{Type: OpCreate2, Request: &CreateRequest{Path: "/a"}},
		{Type: OpCheck, Request: &CheckVersionRequest{Path: "/a"}},
	}}
	require.NoError(t, good.Validate())
	bad := []*MultiRequest{
		{Ops: []MultiOp{{Type: OpCreate, Request: &DeleteRequest{}}}},
		{Ops: []MultiOp{{Type: OpCreate}}},
		{Ops: []MultiOp{{Type: OpExists, Request: &ExistsRequest{}}}},
		{Ops: []MultiOp{{Type: OpDelete, Request: &DeleteRequest{}}, {Type: OpGetData, Request: &GetDataRequest{}}}},
	}
	for i, m := range bad {
		require.Error(t, m.Validate(), "case %d", i)
	}
}

func TestTxnRecordDispatch(t *testing.T) {
	txn := NewTxn(OpSetData, &SetDataTxn{Path: "/a", Data: []byte("x"), Version: 2})
	rec, err := txn.Record()
	require.NoError(t, err)
	require.Equal(t, &SetDataTxn{Path: "/a", Data: []byte("x"), Version: 2}, rec)

	_, err = (&Txn{Type: OpGetData}).Record()
	require.ErrorIs(t, err, ErrUnknownOp)
	_, err = (&Txn{Type: OpDelete, Data: []byte{1}}).Record()
	require.ErrorIs(t, err, ErrMalformed)

	for _, op := range []Op{OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL, OpDelete, OpDeleteContainer,
		OpSetData, OpCheck, OpSetACL, OpCreateSession, OpCloseSession, OpError, OpMulti} {
		r, err := NewTxnRecord(op)
		require.NoError(t, err, "op %v", op)
		require.NotNil(t, r)
	}
}
