package wire

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFrameRoundTrip(t *testing.T) {
	hdr := &RequestHeader{Xid: 5, Op: OpGetData}
	body := &GetDataRequest{Path: "/a", Watch: true}
	var stream bytes.Buffer
	require.NoError(t, WriteFrame(&stream, hdr, body))
	stream.Write(AppendFrame(nil, &RequestHeader{Xid: XidPing, Op: OpPing}))

	buf := make([]byte, 0, 64)
	f, err := ReadFrame(&stream, buf, 0)
	require.NoError(t, err)
	require.Equal(t, append(Marshal(hdr), Marshal(body)...), f)
	require.Equal(t, &buf[:1][0], &f[0], "payload should reuse buf")

	var gotHdr RequestHeader
	rest, err := UnmarshalPrefix(f, &gotHdr)
	require.NoError(t, err)
	require.Equal(t, *hdr, gotHdr)
	var gotBody GetDataRequest
	require.NoError(t, Unmarshal(rest, &gotBody))
	require.Equal(t, *body, gotBody)

	f, err = ReadFrame(&stream, nil, 0)
	require.NoError(t, err)
	require.Equal(t, []byte{0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 11}, f)

	_, err = ReadFrame(&stream, nil, 0)
	require.ErrorIs(t, err, io.EOF)
}

func TestReadFrameRejectsBadLengthsBeforeAllocating(t *testing.T) {
	cases := []struct {
		name   string
		prefix []byte
		max    int
		want   error
	}{
		{"max int32", []byte{0x7f, 0xff, 0xff, 0xff}, 0, ErrPacketTooLarge},
		{"one over default", []byte{0x00, 0x10, 0x04, 0x00}, 0, ErrPacketTooLarge},
		{"over custom max", []byte{0, 0, 1, 0}, 255, ErrPacketTooLarge},
		{"negative", []byte{0xff, 0xff, 0xff, 0xfe}, 0, ErrBadLength},
		{"minus one", []byte{0xff, 0xff, 0xff, 0xff}, 0, ErrBadLength},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ReadFrame(bytes.NewReader(c.prefix), nil, c.max)
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, c.want)
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<10), "allocated for a rejected frame")
		})
	}
	require.Equal(t, 0xfffff+1024, DefaultMaxPacket)
	// A frame of exactly DefaultMaxPacket (0x1003ff) bytes is accepted.
	_, err := ReadFrame(bytes.NewReader([]byte{0x00, 0x10, 0x03, 0xff}), nil, 0)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF, "length prefix accepted, body missing")
}

func TestReadFrameTruncated(t *testing.T) {
	_, err := ReadFrame(bytes.NewReader([]byte{0, 0}), nil, 0)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	_, err = ReadFrame(bytes.NewReader([]byte{0, 0, 0, 5, 1, 2}), nil, 0)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestReadFrameExactlyMax(t *testing.T) {
	payload := make([]byte, 300)
	frame := append([]byte{0, 0, 1, 44}, payload...)
	f, err := ReadFrame(bytes.NewReader(frame), nil, 300)
	require.NoError(t, err)
	require.Len(t, f, 300)
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("boom") }

func TestWriteFrameError(t *testing.T) {
	require.EqualError(t, WriteFrame(failWriter{}, &RequestHeader{}), "boom")
}

func TestReadFrameIntoReusedBufferDoesNotAllocate(t *testing.T) {
	frame := AppendFrame(nil, &RequestHeader{Xid: 1, Op: OpGetData}, &GetDataRequest{Path: "/a/b", Watch: true})
	rd := bytes.NewReader(frame)
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		rd.Reset(frame)
		if _, err := ReadFrame(rd, buf, 0); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}
