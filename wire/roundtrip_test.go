package wire

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRoundTrip checks, for every record type, that decoding an encoding
// yields the original value and re-encodes to the same bytes.
func TestRoundTrip(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			b := Marshal(s.rec)
			got := s.new()
			require.NoError(t, Unmarshal(b, got))
			require.Equal(t, s.rec, got)
			require.Equal(t, b, Marshal(got), "re-encoding differs")
		})
	}
}

// TestTruncatedInputFails checks that every strict prefix of every encoding
// is rejected with an error matching ErrMalformed, except the one prefix of
// ConnectRequest/ConnectResponse that is the valid form without readOnly.
func TestTruncatedInputFails(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			b := Marshal(s.rec)
			for n := 0; n < len(b); n++ {
				if strings.HasPrefix(s.name, "Connect") && n == len(b)-1 {
					if c, ok := s.rec.(*ConnectRequest); ok && !c.OmitReadOnly {
						continue
					}
					if c, ok := s.rec.(*ConnectResponse); ok && !c.OmitReadOnly {
						continue
					}
				}
				err := Unmarshal(b[:n], s.new())
				require.Error(t, err, "prefix of %d/%d bytes decoded", n, len(b))
				require.ErrorIs(t, err, ErrMalformed, "prefix %d", n)
			}
		})
	}
}

// TestTrailingBytesRejected checks Unmarshal's documented strictness and
// UnmarshalPrefix's leniency.
func TestTrailingBytesRejected(t *testing.T) {
	b := append(Marshal(&DeleteRequest{Path: "/a", Version: 1}), 0xEE)
	err := Unmarshal(b, &DeleteRequest{})
	require.ErrorIs(t, err, ErrTrailingBytes)
	require.ErrorIs(t, err, ErrMalformed)

	var r DeleteRequest
	rest, err := UnmarshalPrefix(b, &r)
	require.NoError(t, err)
	require.Equal(t, []byte{0xEE}, rest)
	require.Equal(t, DeleteRequest{Path: "/a", Version: 1}, r)
}

func TestEncodedSizes(t *testing.T) {
	require.Len(t, Marshal(&Stat{}), StatSize)
	require.Len(t, Marshal(&RequestHeader{}), RequestHeaderSize)
	require.Len(t, Marshal(&ReplyHeader{}), ReplyHeaderSize)
	require.Len(t, Marshal(&MultiHeader{}), MultiHeaderSize)
	pw := make([]byte, 16)
	require.Len(t, Marshal(&ConnectRequest{Passwd: pw}), 45)
	require.Len(t, Marshal(&ConnectRequest{Passwd: pw, OmitReadOnly: true}), 44)
	require.Len(t, Marshal(&ConnectResponse{Passwd: pw}), 37)
	require.Len(t, Marshal(&ConnectResponse{Passwd: pw, OmitReadOnly: true}), 36)
}

// TestKnownEncoding pins the byte layout of a request against a hand-written
// encoding derived from zookeeper.jute.
func TestKnownEncoding(t *testing.T) {
	got := Marshal(&CreateRequest{Path: "/a", Data: []byte("x"), ACL: OpenACLUnsafe, Flags: 1})
	want := []byte{
		0, 0, 0, 2, '/', 'a', // path
		0, 0, 0, 1, 'x', // data
		0, 0, 0, 1, // acl count
		0, 0, 0, 0x1f, // perms ALL
		0, 0, 0, 5, 'w', 'o', 'r', 'l', 'd',
		0, 0, 0, 6, 'a', 'n', 'y', 'o', 'n', 'e',
		0, 0, 0, 1, // flags EPHEMERAL
	}
	require.Equal(t, want, got)

	got = Marshal(&MultiResponse{Results: []MultiResult{{Type: OpError, Err: CodeNoNode}}})
	want = []byte{
		0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0xff, 0x9b, // header: error, not done, -101
		0xff, 0xff, 0xff, 0x9b, // ErrorResponse -101
		0xff, 0xff, 0xff, 0xff, 1, 0xff, 0xff, 0xff, 0xff, // end
	}
	require.Equal(t, want, got)
}

// TestNullSemantics pins the documented mapping of jute nulls.
func TestNullSemantics(t *testing.T) {
	var e Encoder
	e.WriteBuffer(nil)
	e.WriteBuffer([]byte{})
	e.WriteStrings(nil)
	e.WriteStrings([]string{})
	e.WriteInt32(-1) // null string
	require.Equal(t, bytes.Repeat([]byte{0xff, 0xff, 0xff, 0xff}, 1), e.Bytes()[:4])

	d := NewDecoder(e.Bytes(), 0)
	b, err := d.ReadBuffer()
	require.NoError(t, err)
	require.Nil(t, b)
	b, err = d.ReadBuffer()
	require.NoError(t, err)
	require.NotNil(t, b)
	require.Empty(t, b)
	v, err := d.ReadStrings()
	require.NoError(t, err)
	require.Nil(t, v)
	v, err = d.ReadStrings()
	require.NoError(t, err)
	require.NotNil(t, v)
	require.Empty(t, v)
	s, err := d.ReadString()
	require.NoError(t, err)
	require.Equal(t, "", s)
	require.Zero(t, d.Remaining())
}

func TestBoolNonZeroIsTrue(t *testing.T) {
	var r ExistsRequest
	require.NoError(t, Unmarshal([]byte{0, 0, 0, 1, '/', 7}, &r))
	require.True(t, r.Watch)
}

func TestDecoderLimits(t *testing.T) {
	t.Run("negative length", func(t *testing.T) {
		err := Unmarshal([]byte{0xff, 0xff, 0xff, 0xfe}, &SyncRequest{})
		require.ErrorIs(t, err, ErrBadLength)
		require.ErrorIs(t, err, ErrMalformed)
	})
	t.Run("length above max", func(t *testing.T) {
		b := []byte{0x7f, 0xff, 0xff, 0xff}
		err := Unmarshal(b, &SyncRequest{})
		require.ErrorIs(t, err, ErrPacketTooLarge)
		require.False(t, errors.Is(err, ErrMalformed))
	})
	t.Run("custom max", func(t *testing.T) {
		b := Marshal(&SetDataRequest{Path: "/a", Data: make([]byte, 100)})
		var r SetDataRequest
		require.ErrorIs(t, r.Decode(NewDecoder(b, 50)), ErrPacketTooLarge)
		require.NoError(t, r.Decode(NewDecoder(b, 100)))
	})
	t.Run("length beyond input", func(t *testing.T) {
		err := Unmarshal([]byte{0, 0, 0, 9, 'a'}, &SyncRequest{})
		require.ErrorIs(t, err, ErrTruncated)
	})
	t.Run("vector count beyond input", func(t *testing.T) {
		// 1,000,000 strings cannot fit in 8 bytes: rejected before allocation.
		err := Unmarshal([]byte{0, 0x0f, 0x42, 0x40, 0, 0, 0, 0, 0, 0, 0, 0}, &GetChildrenResponse{})
		require.ErrorIs(t, err, ErrBadLength)
	})
	t.Run("vector count below -1", func(t *testing.T) {
		err := Unmarshal([]byte{0xff, 0xff, 0xff, 0xfe}, &GetChildrenResponse{})
		require.ErrorIs(t, err, ErrBadLength)
	})
	t.Run("acl count beyond input", func(t *testing.T) {
		// 2 ACLs need at least 24 bytes; only 12 follow.
		b := []byte{0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
		require.ErrorIs(t, Unmarshal(b, &SetACLRequest{}), ErrBadLength)
	})
}

func TestDecoderErrorsAreSticky(t *testing.T) {
	d := NewDecoder([]byte{0, 0}, 0)
	_, err := d.ReadInt32()
	require.ErrorIs(t, err, ErrTruncated)
	v, err2 := d.ReadInt64()
	require.Zero(t, v)
	require.Equal(t, err, err2)
	require.Equal(t, err, d.Err())
	require.Equal(t, 0, d.Offset())
}

func TestReadBufferDoesNotAlias(t *testing.T) {
	in := Marshal(&GetSASLRequest{Token: []byte{1, 2, 3}})
	var r GetSASLRequest
	require.NoError(t, Unmarshal(in, &r))
	in[4] = 9
	require.Equal(t, []byte{1, 2, 3}, r.Token)
}
