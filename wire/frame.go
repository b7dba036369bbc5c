package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// FrameHeaderSize is the size of a frame's length prefix.
const FrameHeaderSize = 4

// ReadFrame reads one frame from r: a 4-byte big-endian length followed by
// that many bytes, and returns the payload without the length prefix.
//
// The payload is read into buf when it fits in buf's capacity (the result
// then aliases buf), otherwise into a new slice. A negative length is
// ErrBadLength and a length above max is ErrPacketTooLarge, both reported
// before anything is allocated or read past the prefix; max <= 0 means
// DefaultMaxPacket. A clean end of stream before the first byte of the
// prefix returns io.EOF; an end of stream inside a frame returns
// io.ErrUnexpectedEOF.
func ReadFrame(r io.Reader, buf []byte, max int) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxPacket
	}
	// The prefix is read into buf when it can hold it, so that reading into
	// a reused buffer allocates nothing.
	var hdr []byte
	if cap(buf) >= FrameHeaderSize {
		hdr = buf[:FrameHeaderSize]
	} else {
		hdr = make([]byte, FrameHeaderSize)
	}
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(hdr))
	if err := CheckFrameLength(n, max); err != nil {
		return nil, err
	}
	if int(n) <= cap(buf) {
		buf = buf[:n]
	} else {
		buf = make([]byte, n)
	}
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// CheckFrameLength reports whether n is an acceptable frame length: not
// negative (ErrBadLength) and at most max (ErrPacketTooLarge).
func CheckFrameLength(n int32, max int) error {
	if n < 0 {
		return fmt.Errorf("%w: frame length %d", ErrBadLength, n)
	}
	if int64(n) > int64(max) {
		return fmt.Errorf("%w: frame length %d exceeds max %d", ErrPacketTooLarge, n, max)
	}
	return nil
}

// AppendFrame appends one frame holding the concatenated encodings of rs
// (typically a header and a body) to dst, with its 4-byte length prefix.
func AppendFrame(dst []byte, rs ...Record) []byte {
	start := len(dst)
	e := Encoder{buf: append(dst, 0, 0, 0, 0)}
	for _, r := range rs {
		r.Encode(&e)
	}
	binary.BigEndian.PutUint32(e.buf[start:], uint32(len(e.buf)-start-FrameHeaderSize))
	return e.buf
}

// WriteFrame writes one frame holding the concatenated encodings of rs to w
// in a single Write call.
func WriteFrame(w io.Writer, rs ...Record) error {
	_, err := w.Write(AppendFrame(nil, rs...))
	return err
}
