package wire

import "errors"

// Sentinel errors returned by the decoders and the frame reader. Every
// decoding failure matches ErrMalformed with errors.Is; the more specific
// sentinels below also match it, except ErrPacketTooLarge, which reports a
// limit rather than corrupt input. Errors are wrapped with context (the
// record and field being decoded) using %w.
var (
	// ErrMalformed reports input that is not a valid encoding of the
	// record being decoded.
	ErrMalformed = errors.New("wire: malformed input")

	// ErrTruncated reports input that ends before the record is complete.
	// It matches ErrMalformed.
	ErrTruncated = wrapSentinel("truncated input")

	// ErrBadLength reports a negative length prefix (other than the -1
	// that jute uses for a null buffer, string or vector), or a vector
	// count that the remaining bytes could not possibly hold. It matches
	// ErrMalformed.
	ErrBadLength = wrapSentinel("bad length")

	// ErrTrailingBytes reports bytes left over after a complete record
	// when the whole input was expected to be that record. It matches
	// ErrMalformed.
	ErrTrailingBytes = wrapSentinel("trailing bytes after record")

	// ErrUnknownOp reports an op type that is not allowed where it was
	// found, for example inside a multi. It matches ErrMalformed.
	ErrUnknownOp = wrapSentinel("op not allowed here")

	// ErrMixedMulti reports a multi that mixes read ops (getChildren,
	// getData) with write ops, which ZooKeeper rejects. It matches
	// ErrMalformed.
	ErrMixedMulti = wrapSentinel("multi mixes read and write ops")

	// ErrPacketTooLarge reports a frame length prefix, or a buffer or
	// string length, larger than the configured maximum packet size. It is
	// detected before any allocation is made for the oversized item.
	ErrPacketTooLarge = errors.New("wire: packet too large")
)

// sentinel is an error that also matches ErrMalformed.
type sentinel struct{ msg string }

func wrapSentinel(msg string) error { return &sentinel{msg: "wire: " + msg} }

// Error returns the message.
func (s *sentinel) Error() string { return s.msg }

// Unwrap makes every sentinel built by wrapSentinel match ErrMalformed.
func (s *sentinel) Unwrap() error { return ErrMalformed }
