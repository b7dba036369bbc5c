package server

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zabkit/zabkit/wire"
)

// rawConn is a hand-driven client connection for protocol edge cases.
type rawConn struct {
	t  *testing.T
	nc net.Conn
}

func rawDial(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t: t, nc: nc}
}

func (r *rawConn) send(recs ...wire.Record) {
	r.t.Helper()
	if err := wire.WriteFrame(r.nc, recs...); err != nil {
		r.t.Fatal(err)
	}
}

// connect sends a ConnectRequest and returns the response, or an error
// if the server closed the connection instead.
func (r *rawConn) connect(req wire.ConnectRequest) (wire.ConnectResponse, error) {
	r.send(&req)
	var resp wire.ConnectResponse
	f, err := wire.ReadFrame(r.nc, nil, 0)
	if err != nil {
		return resp, err
	}
	return resp, wire.Unmarshal(f, &resp)
}

// reply reads frames until the reply to xid, skipping watch events.
func (r *rawConn) reply(xid int32) (wire.ReplyHeader, []byte, error) {
	for {
		f, err := wire.ReadFrame(r.nc, nil, 0)
		if err != nil {
			return wire.ReplyHeader{}, nil, err
		}
		var h wire.ReplyHeader
		body, err := wire.UnmarshalPrefix(f, &h)
		if err != nil {
			return h, nil, err
		}
		if h.Xid == xid {
			return h, body, nil
		}
	}
}

// closedByServer reports whether the server closed the connection.
func (r *rawConn) closedByServer() bool {
	_, err := wire.ReadFrame(r.nc, nil, 0)
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(errString(err), "reset")
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func newSession(t *testing.T, addr string) (*rawConn, wire.ConnectResponse) {
	t.Helper()
	r := rawDial(t, addr)
	resp, err := r.connect(wire.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16)})
	if err != nil || resp.SessionID == 0 {
		t.Fatalf("connect: %v, %+v", err, resp)
	}
	return r, resp
}

// fourLetter sends a four-letter word to addr and returns the answer.
func fourLetter(t *testing.T, addr, cmd string) string {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write([]byte(cmd)); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(nc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rawCall sends one request on r and returns the reply's error code and
// body (skipping watch events).
func rawCall(r *rawConn, xid int32, op wire.Op, req wire.Record) (wire.Code, []byte) {
	r.t.Helper()
	recs := []wire.Record{&wire.RequestHeader{Xid: xid, Op: op}}
	if req != nil {
		recs = append(recs, req)
	}
	r.send(recs...)
	h, body, err := r.reply(xid)
	if err != nil {
		r.t.Fatalf("op %v: %v", op, err)
	}
	return h.Err, body
}
