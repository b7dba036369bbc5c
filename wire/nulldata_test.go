package wire

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNullAndEmptyDataKeptApart: every record that carries znode data,
// the txn records of the log included (alone and inside a MultiTxn),
// writes nil data as length -1 and empty data as length 0, and decodes
// them back as nil and as a non-nil empty slice.
func TestNullAndEmptyDataKeptApart(t *testing.T) {
	type withData struct {
		name string
		mk   func(data []byte) Record
		data func(r Record) []byte
		new  func() Record
	}
	cases := []withData{
		{"CreateRequest", func(d []byte) Record { return &CreateRequest{Path: "/a", Data: d} },
			func(r Record) []byte { return r.(*CreateRequest).Data }, func() Record { return &CreateRequest{} }},
		{"CreateTTLRequest", func(d []byte) Record { return &CreateTTLRequest{Path: "/a", Data: d, TTL: 1} },
			func(r Record) []byte { return r.(*CreateTTLRequest).Data }, func() Record { return &CreateTTLRequest{} }},
		{"SetDataRequest", func(d []byte) Record { return &SetDataRequest{Path: "/a", Data: d} },
			func(r Record) []byte { return r.(*SetDataRequest).Data }, func() Record { return &SetDataRequest{} }},
		{"GetDataResponse", func(d []byte) Record { return &GetDataResponse{Data: d} },
			func(r Record) []byte { return r.(*GetDataResponse).Data }, func() Record { return &GetDataResponse{} }},
		{"CreateTxn", func(d []byte) Record { return &CreateTxn{Path: "/a", Data: d} },
			func(r Record) []byte { return r.(*CreateTxn).Data }, func() Record { return &CreateTxn{} }},
		{"CreateContainerTxn", func(d []byte) Record { return &CreateContainerTxn{Path: "/a", Data: d} },
			func(r Record) []byte { return r.(*CreateContainerTxn).Data }, func() Record { return &CreateContainerTxn{} }},
		{"CreateTTLTxn", func(d []byte) Record { return &CreateTTLTxn{Path: "/a", Data: d} },
			func(r Record) []byte { return r.(*CreateTTLTxn).Data }, func() Record { return &CreateTTLTxn{} }},
		{"SetDataTxn", func(d []byte) Record { return &SetDataTxn{Path: "/a", Data: d} },
			func(r Record) []byte { return r.(*SetDataTxn).Data }, func() Record { return &SetDataTxn{} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			null, empty := Marshal(c.mk(nil)), Marshal(c.mk([]byte{}))
			// The data length follows the path ("/a": 6 bytes), or opens
			// the record.
			at := 6
			if c.name == "GetDataResponse" {
				at = 0
			}
			require.Equal(t, int32(-1), int32(binary.BigEndian.Uint32(null[at:])))
			require.Equal(t, int32(0), int32(binary.BigEndian.Uint32(empty[at:])))
			require.Equal(t, len(null), len(empty))
			for _, b := range [][]byte{null, empty} {
				r := c.new()
				require.NoError(t, Unmarshal(b, r))
				require.Equal(t, &b[0] == &null[0], c.data(r) == nil)
				require.Len(t, c.data(r), 0)
			}
		})
	}
	// Inside a multi txn.
	m := &MultiTxn{Txns: []Txn{NewTxn(OpCreate, &CreateTxn{Path: "/n"}), NewTxn(OpSetData, &SetDataTxn{Path: "/e", Data: []byte{}})}}
	var back MultiTxn
	require.NoError(t, Unmarshal(Marshal(m), &back))
	r0, err := back.Txns[0].Record()
	require.NoError(t, err)
	r1, err := back.Txns[1].Record()
	require.NoError(t, err)
	require.Nil(t, r0.(*CreateTxn).Data)
	require.NotNil(t, r1.(*SetDataTxn).Data)
	require.Empty(t, r1.(*SetDataTxn).Data)
}
