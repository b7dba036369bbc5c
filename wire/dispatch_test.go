package wire

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewRequestAndResponseCoverEveryClientOp(t *testing.T) {
	notClient := map[Op]bool{OpNotification: true, OpError: true, OpDeleteContainer: true, OpCreateSession: true}
	for op := range opNames {
		req, err := NewRequest(op)
		if notClient[op] {
			require.ErrorIs(t, err, ErrUnknownOp, "%v", op)
			continue
		}
		require.NoError(t, err, "%v", op)
		_, err = NewResponse(op)
		require.NoError(t, err, "%v", op)
		// A fresh record decodes its own zero-value encoding.
		require.NoError(t, Unmarshal(Marshal(req), req), "%v", op)
	}
	_, err := NewRequest(Op(999))
	require.ErrorIs(t, err, ErrUnknownOp)
	_, err = NewResponse(Op(999))
	require.ErrorIs(t, err, ErrUnknownOp)
}

func TestNewRequestTypes(t *testing.T) {
	cases := map[Op]Record{
		OpCreate: &CreateRequest{}, OpCreate2: &CreateRequest{}, OpCreateContainer: &CreateRequest{},
		OpCreateTTL: &CreateTTLRequest{}, OpMultiRead: &MultiRequest{}, OpPing: &Empty{},
		OpSASL: &GetSASLRequest{}, OpSetWatches2: &SetWatches2{},
	}
	for op, want := range cases {
		got, err := NewRequest(op)
		require.NoError(t, err)
		require.Equal(t, reflect.TypeOf(want), reflect.TypeOf(got), "%v", op)
	}
	resp := map[Op]Record{
		OpCreate: &CreateResponse{}, OpCreateTTL: &Create2Response{}, OpCheck: &SetDataResponse{},
		OpAddWatch: &ErrorResponse{}, OpReconfig: &GetDataResponse{}, OpDelete: &Empty{},
	}
	for op, want := range resp {
		got, err := NewResponse(op)
		require.NoError(t, err)
		require.Equal(t, reflect.TypeOf(want), reflect.TypeOf(got), "%v", op)
	}
}
