package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// fuzzRecords are the record constructors FuzzDecode chooses from with the
// first input byte: one of every decodable type.
func fuzzRecords() []func() Record {
	seen := map[string]bool{}
	var out []func() Record
	for _, s := range samples() {
		name := reflect.TypeOf(s.new()).String()
		if !seen[name] {
			seen[name] = true
			out = append(out, s.new)
		}
	}
	return out
}

// allocBound is the most a decoder may allocate for n input bytes: a small
// constant factor (a 4-byte empty string becomes a 16-byte string header, a
// 9-byte multi header an op with its record) plus fixed overhead, so that
// input bounded by the max packet size bounds memory too.
func allocBound(n int) uint64 { return uint64(48*n + 64<<10) }

// checkDecoded is what every fuzz target asserts about one decode: no panic
// (implicit), errors match ErrMalformed or ErrPacketTooLarge, allocation
// bounded by the input, and a successful decode re-encodes to no more bytes
// than it read and decodes again to the same value.
func checkDecoded(t *testing.T, data []byte, newRec func() Record) {
	// TotalAlloc is process-wide and the fuzzing engine allocates on other
	// goroutines, so an excess is only reported when it repeats: a decoder
	// that really over-allocates does so every time.
	var r Record
	var err error
	limit := allocBound(len(data))
	for attempt := 0; ; attempt++ {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r = newRec()
		err = Unmarshal(data, r)
		runtime.ReadMemStats(&after)
		got := after.TotalAlloc - before.TotalAlloc
		if got <= limit {
			break
		}
		if attempt == 2 {
			t.Fatalf("%T: decoding %d bytes allocated %d bytes (limit %d)", r, len(data), got, limit)
		}
	}
	if err != nil {
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrPacketTooLarge) {
			t.Fatalf("%T: error %v matches no sentinel", r, err)
		}
		return
	}
	b := Marshal(r)
	if len(b) > len(data) {
		t.Fatalf("%T: re-encoding grew from %d to %d bytes", r, len(data), len(b))
	}
	r2 := newRec()
	if err := Unmarshal(b, r2); err != nil {
		t.Fatalf("%T: re-encoding does not decode: %v", r, err)
	}
	if !reflect.DeepEqual(r, r2) {
		t.Fatalf("%T: round trip changed the value:\n%#v\n%#v", r, r, r2)
	}
}

// FuzzDecode decodes arbitrary bytes as the record type picked by the first
// byte.
func FuzzDecode(f *testing.F) {
	recs := fuzzRecords()
	for _, s := range samples() {
		for j, nr := range recs {
			if reflect.TypeOf(nr()) == reflect.TypeOf(s.new()) {
				f.Add(append([]byte{byte(j)}, Marshal(s.rec)...))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		checkDecoded(t, data[1:], recs[int(data[0])%len(recs)])
	})
}

// FuzzConnectRequest checks the handshake decoder, including the choice
// between the 44- and 45-byte forms.
func FuzzConnectRequest(f *testing.F) {
	pw := make([]byte, 16)
	f.Add(Marshal(&ConnectRequest{TimeOut: 30000, Passwd: pw}))
	f.Add(Marshal(&ConnectRequest{TimeOut: 30000, Passwd: pw, OmitReadOnly: true}))
	f.Add(Marshal(&ConnectRequest{SessionID: 77, Passwd: nil, ReadOnly: true}))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecoded(t, data, func() Record { return &ConnectRequest{} })
		var r ConnectRequest
		if Unmarshal(data, &r) != nil {
			return
		}
		pwLen := len(r.Passwd)
		if r.Passwd == nil {
			pwLen = 0
		}
		if want := 28 + pwLen; r.OmitReadOnly != (len(data) == want) {
			t.Fatalf("OmitReadOnly=%v for %d bytes with a %d-byte password", r.OmitReadOnly, len(data), pwLen)
		}
		b := Marshal(&r)
		if len(b) != len(data) || !bytes.Equal(b[:len(b)-1], data[:len(data)-1]) {
			t.Fatalf("re-encoding differs beyond the boolean byte:\n%x\n%x", data, b)
		}
		checkDecoded(t, data, func() Record { return &ConnectResponse{} })
	})
}

// FuzzMulti checks the multi request and response decoders.
func FuzzMulti(f *testing.F) {
	for _, s := range samples() {
		switch s.rec.(type) {
		case *MultiRequest, *MultiResponse, *MultiTxn:
			f.Add(Marshal(s.rec))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecoded(t, data, func() Record { return &MultiRequest{} })
		checkDecoded(t, data, func() Record { return &MultiResponse{} })
		checkDecoded(t, data, func() Record { return &MultiTxn{} })
	})
}

// FuzzReadFrame reads frames from arbitrary bytes with an arbitrary limit.
func FuzzReadFrame(f *testing.F) {
	f.Add(AppendFrame(nil, &RequestHeader{Xid: 1, Op: OpGetData}, &GetDataRequest{Path: "/a"}), uint32(0))
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff, 1}, uint32(0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, uint32(10))
	f.Add([]byte{0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 0}, uint32(3))
	f.Fuzz(func(t *testing.T, data []byte, max uint32) {
		limit := int(max % (DefaultMaxPacket + 1))
		eff := limit
		if eff <= 0 {
			eff = DefaultMaxPacket
		}
		r := bytes.NewReader(data)
		consumed := 0
		for {
			frame, err := ReadFrame(r, nil, limit)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
					!errors.Is(err, ErrPacketTooLarge) && !errors.Is(err, ErrBadLength) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(frame) > eff {
				t.Fatalf("frame of %d bytes exceeds limit %d", len(frame), eff)
			}
			if !bytes.Equal(frame, data[consumed+4:consumed+4+len(frame)]) {
				t.Fatal("frame payload differs from input")
			}
			consumed += 4 + len(frame)
		}
	})
}

// TestDecodeAllocationBoundedOnWorstCases feeds max-size inputs built to
// maximise allocation per input byte and checks the bound the fuzz targets
// enforce.
func TestDecodeAllocationBoundedOnWorstCases(t *testing.T) {
	const n = DefaultMaxPacket - 64
	var e Encoder
	// vector<ustring> of empty strings: 4 input bytes per 16-byte string header.
	e.WriteInt32(int32(n / 4))
	for e.Len()+4 <= n {
		e.WriteInt32(0)
	}
	children := e.Bytes()
	children = children[:4+(len(children)-4)/4*4]
	setBE32(children, int32((len(children)-4)/4))

	var m Encoder
	for m.Len()+9+8+9 <= n {
		h := MultiHeader{Type: OpDelete, Err: -1}
		h.Encode(&m)
		(&DeleteRequest{}).Encode(&m)
	}
	multiEnd.Encode(&m)

	var mr Encoder
	for mr.Len()+9+9 <= n {
		h := MultiHeader{Type: OpCheck}
		h.Encode(&mr)
	}
	multiEnd.Encode(&mr)

	cases := []struct {
		name string
		data []byte
		rec  func() Record
	}{
		{"GetChildrenResponse of empty names", children, func() Record { return &GetChildrenResponse{} }},
		{"MultiRequest of deletes", m.Bytes(), func() Record { return &MultiRequest{} }},
		{"MultiResponse of checks", mr.Bytes(), func() Record { return &MultiResponse{} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := Unmarshal(c.data, c.rec()); err != nil {
				t.Fatalf("worst case input does not decode: %v", err)
			}
			checkDecoded(t, c.data, c.rec)
		})
	}
}

func setBE32(b []byte, v int32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// FuzzFrames decodes arbitrary frame payloads the way a server reads
// requests (RequestHeader, then the body NewRequest picks) and the way a
// client reads replies (ReplyHeader, then a WatcherEvent or each possible
// response body). Seeds are the frames recorded from real ZooKeeper.
func FuzzFrames(f *testing.F) {
	for _, name := range []string{"java-session.txt", "gozk-session.txt"} {
		for _, conn := range loadGoldenForFuzz(f, name) {
			for _, fr := range conn {
				f.Add(fr.b)
			}
		}
	}
	var respOps []Op
	for op := range opNames {
		if _, err := NewResponse(op); err == nil {
			respOps = append(respOps, op)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var rh RequestHeader
		if rest, err := UnmarshalPrefix(data, &rh); err == nil {
			if _, err := NewRequest(rh.Op); err == nil {
				checkDecoded(t, rest, func() Record { r, _ := NewRequest(rh.Op); return r })
			}
		}
		var ph ReplyHeader
		rest, err := UnmarshalPrefix(data, &ph)
		if err != nil {
			return
		}
		if ph.Xid == XidNotification {
			checkDecoded(t, rest, func() Record { return &WatcherEvent{} })
			return
		}
		for _, op := range respOps {
			checkDecoded(t, rest, func() Record { r, _ := NewResponse(op); return r })
		}
	})
}

// loadGoldenForFuzz is loadGolden for a fuzz target's seed corpus.
func loadGoldenForFuzz(f *testing.F, name string) [][]goldenFrame {
	var conns [][]goldenFrame
	f.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golden", name))
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "conn "):
			conns = append(conns, nil)
		case strings.HasPrefix(line, "> "), strings.HasPrefix(line, "< "):
			b, err := hex.DecodeString(line[2:])
			if err != nil || len(conns) == 0 {
				f.Fatalf("%s: bad line %q", name, line)
			}
			conns[len(conns)-1] = append(conns[len(conns)-1], goldenFrame{fromClient: line[0] == '>', b: b})
		}
	}
	return conns
}
