package wire_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/zabkit/zabkit/wire"
)

// A client encodes a request frame, and a server reads it back: the frame
// is length-prefixed, the header names the op, NewRequest picks the body.
func Example_requestFrame() {
	var conn bytes.Buffer
	_ = wire.WriteFrame(&conn,
		&wire.RequestHeader{Xid: 7, Op: wire.OpGetData},
		&wire.GetDataRequest{Path: "/config", Watch: true})

	frame, err := wire.ReadFrame(&conn, nil, wire.DefaultMaxPacket)
	if err != nil {
		panic(err)
	}
	var h wire.RequestHeader
	body, err := wire.UnmarshalPrefix(frame, &h)
	if err != nil {
		panic(err)
	}
	req, err := wire.NewRequest(h.Op)
	if err != nil {
		panic(err)
	}
	if err := wire.Unmarshal(body, req); err != nil {
		panic(err)
	}
	fmt.Printf("xid %d %v %+v\n", h.Xid, h.Op, req)
	// Output: xid 7 getData &{Path:/config Watch:true}
}

// A reply whose header carries an error code has no body; the Code is an
// error that errors.Is matches.
func Example_errorReply() {
	frame := wire.AppendFrame(nil, &wire.ReplyHeader{Xid: 7, Zxid: 42, Err: wire.CodeNoNode})

	var h wire.ReplyHeader
	if err := wire.Unmarshal(frame[wire.FrameHeaderSize:], &h); err != nil {
		panic(err)
	}
	err := fmt.Errorf("getData /config: %w", h.Err.Err())
	fmt.Println(err, errors.Is(err, wire.CodeNoNode))
	// Output: getData /config: zk: no node true
}

// A multi is a list of ops, each behind a MultiHeader; a failed multi
// reports one error result per op.
func ExampleMultiResponse_FirstError() {
	resp := &wire.MultiResponse{Results: []wire.MultiResult{
		{Type: wire.OpError, Err: wire.CodeOK},
		{Type: wire.OpError, Err: wire.CodeBadVersion},
		{Type: wire.OpError, Err: wire.CodeRuntimeInconsistency},
	}}
	var decoded wire.MultiResponse
	if err := wire.Unmarshal(wire.Marshal(resp), &decoded); err != nil {
		panic(err)
	}
	fmt.Println(decoded.FirstError())
	// Output: zk: bad version
}
