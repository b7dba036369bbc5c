package server

import (
	"testing"

	"github.com/zabkit/zabkit/core/znode"
	"github.com/zabkit/zabkit/wire"
)

// FuzzEnvelopes feeds arbitrary bytes to the decoders of forwarded
// requests, touches, revalidations, verdicts and log entries: they return
// errors, never panic, and what decodes round-trips.
func FuzzEnvelopes(f *testing.F) {
	w := writeReq{Origin: origin{1, 2}, Session: 3, Cxid: 4, Op: wire.OpCreate,
		Auth: []wire.ID{{Scheme: "ip", ID: "127.0.0.1"}}, Body: []byte{1, 2}}
	f.Add(w.marshal())
	f.Add(marshalTouches([]int64{9, -1}))
	f.Add(marshalEntry(origin{1, 2}, znode.Txn{Header: wire.TxnHeader{Type: wire.OpCloseSession}}))
	f.Add(revalidation{Session: 9, Origin: origin{2, 7}}.marshal())
	f.Add(verdict{Session: 9, Conn: 7, Valid: true, Timeout: 4000}.marshal())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if w, err := unmarshalWrite(b, wire.DefaultMaxPacket); err == nil {
			if string(w.marshal()) != string(b) {
				t.Fatalf("write request does not re-encode")
			}
		}
		if ids, err := unmarshalTouches(b, wire.DefaultMaxPacket); err == nil && string(marshalTouches(ids)) != string(b) {
			t.Fatalf("touches do not re-encode")
		}
		if r, err := unmarshalRevalidation(b); err == nil && string(r.marshal()) != string(b) {
			t.Fatalf("revalidation does not re-encode")
		}
		if v, err := unmarshalVerdict(b); err == nil {
			if again, err := unmarshalVerdict(v.marshal()); err != nil || again != v {
				t.Fatalf("verdict %+v does not round-trip: %+v %v", v, again, err)
			}
		}
		_, _, _ = unmarshalEntry(b, wire.DefaultMaxPacket)
	})
}
