package server

import (
	"errors"
	"fmt"

	"github.com/zabkit/zabkit/core/znode"
	"github.com/zabkit/zabkit/wire"
)

// errBadEnvelope reports a forwarded request or log entry that does not decode.
var errBadEnvelope = errors.New("server: malformed envelope")

// Forwarded requests (zab.Node.Forward data) start with a kind byte.
const (
	fwdWrite      byte = 1 // a client write, to be prepared and proposed
	fwdTouches    byte = 2 // session touches relayed by a learner
	fwdRevalidate byte = 3 // a reconnecting session, for the leader's verdict
)

// origin names the connection a request came from: the server and its
// local connection id. The leader checks it against the session's owner
// (SessionMoved), and the origin server matches committed txns to it.
type origin struct {
	Server uint64
	Conn   uint64
}

// writeReq is a client write on its way to the leader.
type writeReq struct {
	Origin  origin
	Session int64
	Cxid    int32
	Op      wire.Op
	Auth    []wire.ID
	Body    []byte // the request record, jute-encoded
}

func (w *writeReq) marshal() []byte {
	e := wire.NewEncoder(make([]byte, 0, 64+len(w.Body)))
	_ = e.WriteByte(fwdWrite)
	e.WriteInt64(int64(w.Origin.Server))
	e.WriteInt64(int64(w.Origin.Conn))
	e.WriteInt64(w.Session)
	e.WriteInt32(w.Cxid)
	e.WriteInt32(int32(w.Op))
	e.WriteVectorLen(len(w.Auth))
	for _, id := range w.Auth {
		e.WriteString(id.Scheme)
		e.WriteString(id.ID)
	}
	e.WriteBuffer(w.Body)
	return e.Bytes()
}

func unmarshalWrite(b []byte, max int) (writeReq, error) {
	var w writeReq
	d := wire.NewDecoder(b, max)
	k, _ := d.ReadByte()
	if k != fwdWrite {
		return w, fmt.Errorf("%w: kind %d", errBadEnvelope, k)
	}
	s, _ := d.ReadInt64()
	c, _ := d.ReadInt64()
	w.Origin = origin{uint64(s), uint64(c)}
	w.Session, _ = d.ReadInt64()
	w.Cxid, _ = d.ReadInt32()
	op, _ := d.ReadInt32()
	w.Op = wire.Op(op)
	n, err := d.ReadVectorLen(8)
	if err != nil || n < 0 {
		return w, fmt.Errorf("%w: auth count %d: %v", errBadEnvelope, n, err)
	}
	for range n {
		sch, _ := d.ReadString()
		id, _ := d.ReadString()
		w.Auth = append(w.Auth, wire.ID{Scheme: sch, ID: id})
	}
	w.Body, _ = d.ReadBuffer()
	if d.Err() != nil || d.Remaining() != 0 {
		return w, fmt.Errorf("%w: write request: %v", errBadEnvelope, d.Err())
	}
	return w, nil
}

// Touches tell the leader which sessions a learner's clients touched
// since the last tick: the session ids.
func marshalTouches(ids []int64) []byte {
	e := wire.NewEncoder(make([]byte, 0, 5+len(ids)*8))
	_ = e.WriteByte(fwdTouches)
	e.WriteVectorLen(len(ids))
	for _, id := range ids {
		e.WriteInt64(id)
	}
	return e.Bytes()
}

func unmarshalTouches(b []byte, max int) ([]int64, error) {
	d := wire.NewDecoder(b, max)
	k, _ := d.ReadByte()
	if k != fwdTouches {
		return nil, fmt.Errorf("%w: kind %d", errBadEnvelope, k)
	}
	n, err := d.ReadVectorLen(8)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("%w: touch count %d: %v", errBadEnvelope, n, err)
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i], _ = d.ReadInt64()
	}
	if d.Err() != nil || d.Remaining() != 0 {
		return nil, fmt.Errorf("%w: touches: %v", errBadEnvelope, d.Err())
	}
	return ids, nil
}

// revalidation asks the leader whether a session a client reconnects
// with is alive; the verdict makes Origin its owner. The leader answers
// the learner Origin.Server with a verdict (zab.Node.Reply).
type revalidation struct {
	Session int64
	Origin  origin
}

func (r revalidation) marshal() []byte {
	e := wire.NewEncoder(make([]byte, 0, 25))
	_ = e.WriteByte(fwdRevalidate)
	e.WriteInt64(r.Session)
	e.WriteInt64(int64(r.Origin.Server))
	e.WriteInt64(int64(r.Origin.Conn))
	return e.Bytes()
}

func unmarshalRevalidation(b []byte) (revalidation, error) {
	var r revalidation
	d := wire.NewDecoder(b, 25)
	k, _ := d.ReadByte()
	if k != fwdRevalidate {
		return r, fmt.Errorf("%w: kind %d", errBadEnvelope, k)
	}
	r.Session, _ = d.ReadInt64()
	s, _ := d.ReadInt64()
	c, _ := d.ReadInt64()
	r.Origin = origin{uint64(s), uint64(c)}
	if d.Err() != nil || d.Remaining() != 0 {
		return r, fmt.Errorf("%w: revalidation: %v", errBadEnvelope, d.Err())
	}
	return r, nil
}

// verdict is the leader's answer to a revalidation: Valid with the
// session's timeout (ms) if the session is alive, now owned by the
// connection Conn; not Valid if it expired (or is closing).
type verdict struct {
	Session int64
	Conn    uint64
	Valid   bool
	Timeout int32
}

func (v verdict) marshal() []byte {
	e := wire.NewEncoder(make([]byte, 0, 21))
	e.WriteInt64(v.Session)
	e.WriteInt64(int64(v.Conn))
	e.WriteBool(v.Valid)
	e.WriteInt32(v.Timeout)
	return e.Bytes()
}

func unmarshalVerdict(b []byte) (verdict, error) {
	var v verdict
	d := wire.NewDecoder(b, 21)
	v.Session, _ = d.ReadInt64()
	c, _ := d.ReadInt64()
	v.Conn = uint64(c)
	v.Valid, _ = d.ReadBool()
	v.Timeout, _ = d.ReadInt32()
	if d.Err() != nil || d.Remaining() != 0 {
		return v, fmt.Errorf("%w: verdict: %v", errBadEnvelope, d.Err())
	}
	return v, nil
}

// A log entry is the origin of the request (zero for the leader's own
// txns: expiry, reaping) followed by the txn as ZooKeeper logs it.
const entryHeader = 16

func marshalEntry(o origin, txn znode.Txn) []byte {
	e := wire.NewEncoder(make([]byte, 0, 128))
	e.WriteInt64(int64(o.Server))
	e.WriteInt64(int64(o.Conn))
	return append(e.Bytes(), znode.MarshalTxn(txn)...)
}

func unmarshalEntry(b []byte, max int) (origin, znode.Txn, error) {
	if len(b) < entryHeader {
		return origin{}, znode.Txn{}, fmt.Errorf("%w: short log entry", errBadEnvelope)
	}
	d := wire.NewDecoder(b[:entryHeader], max)
	s, _ := d.ReadInt64()
	c, _ := d.ReadInt64()
	txn, err := znode.UnmarshalTxn(b[entryHeader:])
	return origin{uint64(s), uint64(c)}, txn, err
}
