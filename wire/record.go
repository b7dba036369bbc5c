package wire

import "fmt"

// Record is a jute record: a value with a hand-written big-endian encoding.
//
// Encode appends the record to e and cannot fail. Decode reads the record
// from d, overwriting every field of the receiver, and returns d's error
// (see Decoder: errors are sticky, so a record made of records may decode its
// parts and check the error once).
type Record interface {
	Encode(e *Encoder)
	Decode(d *Decoder) error
}

// Marshal returns the encoding of r.
func Marshal(r Record) []byte { return Append(nil, r) }

// Append appends the encoding of r to dst and returns the extended slice.
func Append(dst []byte, r Record) []byte {
	e := Encoder{buf: dst}
	r.Encode(&e)
	return e.buf
}

// Unmarshal decodes b, which must hold exactly one encoding of r, into r,
// with DefaultMaxPacket as the limit on length-prefixed fields. Trailing
// bytes after the record are rejected with ErrTrailingBytes: a frame carries
// one message, and leftover bytes mean the sender and we disagree about its
// layout. (The one place where ZooKeeper relies on an optional trailing
// field, the readOnly byte of ConnectRequest and ConnectResponse, is handled
// by those records themselves.) Use UnmarshalPrefix to decode a header and
// then the body that follows it.
func Unmarshal(b []byte, r Record) error {
	rest, err := UnmarshalPrefix(b, r)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("wire: decode %T: %w (%d bytes)", r, ErrTrailingBytes, len(rest))
	}
	return nil
}

// UnmarshalPrefix decodes one r from the start of b and returns the bytes
// after it (aliasing b). For example, a reply frame is decoded as a
// ReplyHeader with UnmarshalPrefix followed by the body with Unmarshal.
func UnmarshalPrefix(b []byte, r Record) (rest []byte, err error) {
	d := Decoder{buf: b, max: DefaultMaxPacket}
	if err := r.Decode(&d); err != nil {
		return nil, fmt.Errorf("wire: decode %T: %w", r, err)
	}
	return b[d.off:], nil
}

// Empty is a record with no fields: the body of requests and responses that
// carry only a header (ping, closeSession, whoAmI request, delete and
// setWatches responses, ...).
type Empty struct{}

// Encode writes nothing.
func (Empty) Encode(*Encoder) {}

// Decode reads nothing and returns d's error.
func (Empty) Decode(d *Decoder) error { return d.err }
