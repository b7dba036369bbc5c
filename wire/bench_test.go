package wire

import (
	"bytes"
	"testing"
)

func BenchmarkMarshalGetDataResponse(b *testing.B) {
	r := &GetDataResponse{Data: make([]byte, 128), Stat: testStat}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFrame(buf[:0], &ReplyHeader{Xid: 1, Zxid: 2}, r)
	}
}

func BenchmarkUnmarshalGetDataResponse(b *testing.B) {
	in := Marshal(&GetDataResponse{Data: make([]byte, 128), Stat: testStat})
	var r GetDataResponse
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if err := Unmarshal(in, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalMultiRequest(b *testing.B) {
	var s Record
	for _, x := range samples() {
		if x.name == "MultiRequest" {
			s = x.rec
		}
	}
	in := Marshal(s)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		var r MultiRequest
		if err := Unmarshal(in, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadFrame(b *testing.B) {
	frame := AppendFrame(nil, &RequestHeader{Xid: 1, Op: OpGetData}, &GetDataRequest{Path: "/some/path/here", Watch: true})
	rd := bytes.NewReader(frame)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(frame)
		if _, err := ReadFrame(rd, buf, 0); err != nil {
			b.Fatal(err)
		}
	}
}
