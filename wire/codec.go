package wire

import (
	"encoding/binary"
	"fmt"
)

// DefaultMaxPacket is the default limit, in bytes, on a frame's length
// prefix and on any single length-prefixed field (buffer, string). It is
// ZooKeeper's default jute.maxbuffer (0xfffff, one byte under 1 MiB) plus
// the 1024 bytes of slack that ZooKeeper's BinaryInputArchive allows on top
// of it (zookeeper.jute.maxbuffer.extrasize, minimum 1024), so every packet a
// default-configured ZooKeeper accepts, we accept too.
const DefaultMaxPacket = 0xfffff + 1024

// Encoder appends the big-endian jute encoding of values to a byte slice.
// Encoding never fails; the zero Encoder is ready to use and starts with an
// empty buffer.
type Encoder struct {
	buf []byte
}

// NewEncoder returns an Encoder that appends to dst (which may be nil).
func NewEncoder(dst []byte) *Encoder { return &Encoder{buf: dst} }

// Bytes returns the encoded bytes, including whatever the destination slice
// held before. The slice aliases the Encoder's buffer.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns the number of bytes in the buffer.
func (e *Encoder) Len() int { return len(e.buf) }

// Reset empties the buffer, keeping its capacity.
func (e *Encoder) Reset() { e.buf = e.buf[:0] }

// WriteInt32 appends a jute int: 4 bytes, big-endian.
func (e *Encoder) WriteInt32(v int32) { e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(v)) }

// WriteInt64 appends a jute long: 8 bytes, big-endian.
func (e *Encoder) WriteInt64(v int64) { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }

// WriteBool appends a jute boolean: one byte, 1 for true and 0 for false.
func (e *Encoder) WriteBool(v bool) {
	if v {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

// WriteByte appends a jute byte. It always returns nil; the error result
// only makes Encoder an io.ByteWriter.
func (e *Encoder) WriteByte(b byte) error {
	e.buf = append(e.buf, b)
	return nil
}

// WriteString appends a jute ustring: an int length then the bytes. Go
// strings have no null, so an empty string is written with length 0.
func (e *Encoder) WriteString(s string) {
	e.WriteInt32(int32(len(s)))
	e.buf = append(e.buf, s...)
}

// WriteBuffer appends a jute buffer: an int length then the bytes. A nil
// slice is written as the null buffer (length -1); an empty non-nil slice is
// written with length 0.
func (e *Encoder) WriteBuffer(b []byte) {
	if b == nil {
		e.WriteInt32(-1)
		return
	}
	e.WriteInt32(int32(len(b)))
	e.buf = append(e.buf, b...)
}

// WriteVectorLen appends the count that starts a jute vector. Pass -1 for a
// null vector.
func (e *Encoder) WriteVectorLen(n int) { e.WriteInt32(int32(n)) }

// WriteStrings appends a jute vector<ustring>. A nil slice is written as the
// null vector (count -1); an empty non-nil slice is written with count 0.
func (e *Encoder) WriteStrings(v []string) {
	if v == nil {
		e.WriteInt32(-1)
		return
	}
	e.WriteInt32(int32(len(v)))
	for _, s := range v {
		e.WriteString(s)
	}
}

// Decoder reads big-endian jute values from a byte slice. It never panics
// and never allocates more than the input could describe: lengths are
// checked against both the remaining input and the maximum packet size
// before anything is allocated.
//
// Errors are sticky: after the first failure every read returns a zero
// value and the same error, and Err reports it. Callers may therefore check
// each read, or decode a whole record and check Err once.
type Decoder struct {
	buf []byte
	off int
	max int
	err error
}

// NewDecoder returns a Decoder reading b. A length-prefixed field longer than
// max bytes is rejected with ErrPacketTooLarge; max <= 0 means
// DefaultMaxPacket.
func NewDecoder(b []byte, max int) *Decoder {
	d := &Decoder{}
	d.Reset(b, max)
	return d
}

// Reset makes d read b from the start with the given maximum (max <= 0 means
// DefaultMaxPacket) and clears any error.
func (d *Decoder) Reset(b []byte, max int) {
	if max <= 0 {
		max = DefaultMaxPacket
	}
	*d = Decoder{buf: b, max: max}
}

// Err returns the first error the Decoder met, or nil.
func (d *Decoder) Err() error { return d.err }

// Remaining returns the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Offset returns the number of bytes read so far.
func (d *Decoder) Offset() int { return d.off }

// Max returns the maximum length accepted for a single length-prefixed field.
func (d *Decoder) Max() int { return d.max }

// Fail records err as the Decoder's error if it has none yet, and returns
// the Decoder's error. Record decoders use it to report semantic problems
// (for example an op that is not allowed in a multi).
func (d *Decoder) Fail(err error) error {
	if d.err == nil {
		d.err = err
	}
	return d.err
}

// take returns the next n bytes, or nil after recording ErrTruncated.
func (d *Decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > d.Remaining() {
		d.err = fmt.Errorf("%w: %s needs %d bytes at offset %d, %d left", ErrTruncated, what, n, d.off, d.Remaining())
		return nil
	}
	b := d.buf[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

func (d *Decoder) i32(what string) int32 {
	b := d.take(4, what)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

func (d *Decoder) i64(what string) int64 {
	b := d.take(8, what)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

func (d *Decoder) boolean(what string) bool {
	b := d.take(1, what)
	return b != nil && b[0] != 0
}

// length reads a length prefix for a buffer or string and checks it: -1
// (null) is returned as is; other negative values are ErrBadLength; values
// above the maximum are ErrPacketTooLarge; values above the remaining input
// are ErrTruncated. Nothing is allocated before these checks.
func (d *Decoder) length(what string) int {
	n := d.i32(what)
	if d.err != nil {
		return 0
	}
	switch {
	case n == -1:
		return -1
	case n < 0:
		d.err = fmt.Errorf("%w: %s length %d at offset %d", ErrBadLength, what, n, d.off-4)
	case int64(n) > int64(d.max):
		d.err = fmt.Errorf("%w: %s length %d exceeds max %d", ErrPacketTooLarge, what, n, d.max)
	case int(n) > d.Remaining():
		d.err = fmt.Errorf("%w: %s length %d at offset %d, %d bytes left", ErrTruncated, what, n, d.off-4, d.Remaining())
	default:
		return int(n)
	}
	return 0
}

func (d *Decoder) str(what string) string {
	n := d.length(what)
	if n <= 0 {
		return ""
	}
	return string(d.take(n, what))
}

func (d *Decoder) buffer(what string) []byte {
	n := d.length(what)
	if n < 0 || d.err != nil {
		return nil
	}
	b := d.take(n, what)
	if b == nil {
		return nil
	}
	out := make([]byte, n)
	copy(out, b)
	return out
}

// vectorLen reads a vector count; minElem is the smallest encoding of one
// element, so a count the remaining bytes cannot hold is rejected before
// the caller allocates. -1 (null vector) is returned as is.
func (d *Decoder) vectorLen(what string, minElem int) int {
	n := d.i32(what)
	if d.err != nil {
		return 0
	}
	if minElem < 1 {
		minElem = 1
	}
	switch {
	case n == -1:
		return -1
	case n < 0:
		d.err = fmt.Errorf("%w: %s count %d at offset %d", ErrBadLength, what, n, d.off-4)
	case int64(n)*int64(minElem) > int64(d.Remaining()):
		d.err = fmt.Errorf("%w: %s count %d at offset %d cannot fit in %d bytes", ErrBadLength, what, n, d.off-4, d.Remaining())
	default:
		return int(n)
	}
	return 0
}

func (d *Decoder) strs(what string) []string {
	n := d.vectorLen(what, 4)
	if n < 0 || d.err != nil {
		return nil
	}
	out := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.str(what))
	}
	if d.err != nil {
		return nil
	}
	return out
}

// ReadInt32 reads a jute int.
func (d *Decoder) ReadInt32() (int32, error) { v := d.i32("int"); return v, d.err }

// ReadInt64 reads a jute long.
func (d *Decoder) ReadInt64() (int64, error) { v := d.i64("long"); return v, d.err }

// ReadBool reads a jute boolean. Like Java's DataInput, any non-zero byte
// is true.
func (d *Decoder) ReadBool() (bool, error) { v := d.boolean("boolean"); return v, d.err }

// ReadByte reads one byte.
func (d *Decoder) ReadByte() (byte, error) {
	b := d.take(1, "byte")
	if b == nil {
		return 0, d.err
	}
	return b[0], nil
}

// ReadString reads a jute ustring. The null string (length -1) is returned
// as "".
func (d *Decoder) ReadString() (string, error) { v := d.str("string"); return v, d.err }

// ReadBuffer reads a jute buffer into a newly allocated slice (it never
// aliases the input). The null buffer (length -1) is returned as nil; an
// empty buffer as a non-nil empty slice.
func (d *Decoder) ReadBuffer() ([]byte, error) { v := d.buffer("buffer"); return v, d.err }

// ReadVectorLen reads the count that starts a jute vector: -1 for a null
// vector. minElemSize is the smallest possible encoding of one element in
// bytes; a count that the remaining input cannot hold, or one below -1, is
// rejected with ErrBadLength before the caller allocates anything.
func (d *Decoder) ReadVectorLen(minElemSize int) (int, error) {
	v := d.vectorLen("vector", minElemSize)
	return v, d.err
}

// ReadStrings reads a jute vector<ustring>. The null vector is returned as
// nil; an empty vector as a non-nil empty slice.
func (d *Decoder) ReadStrings() ([]string, error) { v := d.strs("vector<ustring>"); return v, d.err }
