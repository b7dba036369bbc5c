package client

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/zabkit/zabkit/wire"
)

func TestAuthFailedIsTerminal(t *testing.T) {
	s := newFakeServer(t)
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpAuth {
			fc.reply(wire.XidAuth, wire.CodeAuthFailed, nil)
			fc.nc.Close()
			return
		}
		defaultHandle(fc, hdr, body)
	})
	c := dialFake(t, []*fakeServer{s})
	err := c.AddAuth(bg(t), "digest", []byte("u:p"))
	if !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("AddAuth = %v", err)
	}
	<-c.Done()
	if c.State() != StateAuthFailed || !errors.Is(c.Err(), ErrAuthFailed) {
		t.Fatalf("state %v err %v", c.State(), c.Err())
	}
}

func TestAuthReplayedOnReconnect(t *testing.T) {
	s := newFakeServer(t)
	var mu sync.Mutex
	var auths []string
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpAuth {
			var a wire.AuthPacket
			_ = wire.Unmarshal(body, &a)
			mu.Lock()
			auths = append(auths, a.Scheme+" "+string(a.Auth))
			mu.Unlock()
		}
		defaultHandle(fc, hdr, body)
	})
	c := dialFake(t, []*fakeServer{s}, WithDigestAuth("u", "p"))
	ctx := bg(t)
	if err := c.AddAuth(ctx, "digest", []byte("v:q")); err != nil {
		t.Fatal(err)
	}
	states := c.States(ctx)
	waitState(t, states, StateConnected)
	s.dropAll()
	waitState(t, states, StateDisconnected)
	waitState(t, states, StateConnected)
	if _, _, err := c.Get(ctx, "/sync"); err != nil { // after the priming packets
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"digest u:p", "digest v:q", "digest u:p", "digest v:q"}
	if !slices.Equal(auths, want) {
		t.Fatalf("auth packets %q, want %q", auths, want)
	}
}

func TestCloseSendsCloseSession(t *testing.T) {
	s := newFakeServer(t)
	closed := make(chan struct{}, 1)
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpCloseSession {
			closed <- struct{}{}
		}
		defaultHandle(fc, hdr, body)
	})
	ctx := bg(t)
	c, err := Dial(ctx, s.addr())
	if err != nil {
		t.Fatal(err)
	}
	states := c.States(ctx)
	w, err := c.AddWatch(ctx, "/p", AddWatchPersistent)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	default:
		t.Fatal("Close returned before the server saw closeSession")
	}
	for range w.Events() {
	}
	for range states {
	}
	if c.State() != StateClosed || !errors.Is(c.Err(), ErrClosed) {
		t.Fatalf("after Close: %v %v", c.State(), c.Err())
	}
	if _, err := c.Set(ctx, "/a", nil, AnyVersion); !errors.Is(err, ErrClosed) {
		t.Fatalf("Set after Close = %v", err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed")
	}
}

func TestCloseWhileDisconnected(t *testing.T) {
	s := newFakeServer(t)
	c := dialFake(t, []*fakeServer{s})
	ctx := bg(t)
	states := c.States(ctx)
	waitState(t, states, StateConnected)
	s.setOnConnect(func(*wire.ConnectRequest) *wire.ConnectResponse { return nil })
	s.dropAll()
	waitState(t, states, StateDisconnected)
	pending := make(chan error, 1)
	go func() {
		_, _, err := c.Get(ctx, "/a")
		pending <- err
	}()
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-pending; !errors.Is(err, ErrClosed) {
		t.Fatalf("request queued across Close = %v, want ErrClosed", err)
	}
}

func TestCanceledRequestReturnsContextError(t *testing.T) {
	s := newFakeServer(t)
	block := make(chan struct{})
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpGetData {
			<-block
		}
		defaultHandle(fc, hdr, body)
	})
	c := dialFake(t, []*fakeServer{s})
	ctx, cancel := context.WithCancel(bg(t))
	done := make(chan error, 1)
	go func() {
		_, _, _, err := c.GetW(ctx, "/a")
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("GetW = %v", err)
	}
	close(block)
	// The late reply is matched and dropped; the connection stays usable
	// and the abandoned watch was not registered.
	if _, _, err := c.Get(bg(t), "/b"); err != nil {
		t.Fatal(err)
	}
	if ws := c.watches.snapshot(); len(ws.data) != 0 {
		t.Fatalf("abandoned GetW registered a watch: %+v", ws)
	}
}

func TestCloseWhenServerDropsCloseSession(t *testing.T) {
	s := newFakeServer(t)
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpCloseSession {
			fc.nc.Close() // no answer
			return
		}
		defaultHandle(fc, hdr, body)
	})
	c, err := Dial(bg(t), s.addr(), WithReconnectBackOff(zeroBackOff))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.State() != StateClosed {
		t.Fatalf("state %v", c.State())
	}
}

func TestCloseBoundedByContext(t *testing.T) {
	s := newFakeServer(t)
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpCloseSession {
			return // never answers
		}
		defaultHandle(fc, hdr, body)
	})
	c, err := Dial(bg(t), s.addr())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close with a canceled ctx = %v", err)
	}
	if c.State() != StateClosed {
		t.Fatalf("state %v", c.State())
	}
}

// A server that keeps the connection (and answers pings) but never
// answers closeSession: Close without a deadline still returns, after the
// session timeout, with nil (the session is left to expire).
func TestCloseBoundedBySessionTimeout(t *testing.T) {
	s := newFakeServer(t)
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpCloseSession {
			return // never answers
		}
		defaultHandle(fc, hdr, body)
	})
	s.timeoutMS = 300
	c, err := Dial(bg(t), s.addr())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatalf("Close = %v, want nil", err)
	}
	if c.State() != StateClosed {
		t.Fatalf("state %v", c.State())
	}
}

func TestReadOnlyThenReadWrite(t *testing.T) {
	ro := newFakeServer(t)
	rw := newFakeServer(t)
	ro.sessionID = 0x77
	ro.setOnConnect(func(req *wire.ConnectRequest) *wire.ConnectResponse {
		if !req.ReadOnly {
			t.Errorf("client without WithReadOnly reached the read-only server")
			return nil
		}
		return &wire.ConnectResponse{TimeOut: 4000, SessionID: ro.sessionID, Passwd: ro.passwd, ReadOnly: true}
	})
	ro.isro = "ro"
	rw.isro = "rw"
	c := dialFake(t, []*fakeServer{ro, rw}, WithReadOnly())
	ctx := bg(t)
	states := c.States(ctx) // Dial returned on the read-only server
	waitState(t, states, StateConnected)
	if len(ro.handshakes()) == 0 {
		t.Fatal("the read-only server was never tried")
	}
	if c.Server() != rw.addr() || c.SessionID() != rw.sessionID {
		t.Fatalf("connected to %s session %x, want %s %x", c.Server(), c.SessionID(), rw.addr(), rw.sessionID)
	}
	// The read-only session is not presented to the read-write server.
	if hs := rw.handshakes(); len(hs) != 1 || hs[0].SessionID != 0 {
		t.Fatalf("read-write server handshakes %+v, want one asking for a new session", hs)
	}
}

func TestOversizedRequestFailsAlone(t *testing.T) {
	s := newFakeServer(t)
	c := dialFake(t, []*fakeServer{s}, WithMaxPacketSize(256))
	ctx := bg(t)
	if _, err := c.Set(ctx, "/a", make([]byte, 300), AnyVersion); !errors.Is(err, ErrBadArguments) {
		t.Fatalf("oversized Set = %v, want ErrBadArguments", err)
	}
	if _, err := c.Set(ctx, "/a", make([]byte, 100), AnyVersion); err != nil {
		t.Fatalf("Set after an oversized one = %v", err)
	}
	if len(s.handshakes()) != 1 {
		t.Fatalf("%d connections, want the first one kept", len(s.handshakes()))
	}
}

func TestCanceledCallReleasesData(t *testing.T) {
	s := newFakeServer(t)
	c := dialFake(t, []*fakeServer{s})
	for i := range 200 {
		buf := make([]byte, 512)
		ctx, cancel := context.WithCancel(bg(t))
		done := make(chan error, 1)
		go func() {
			_, err := c.Set(ctx, "/a", buf, AnyVersion)
			done <- err
		}()
		if i%2 == 0 {
			cancel()
		}
		err := <-done
		cancel()
		for j := range buf {
			buf[j] = byte(i)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	}
}

func TestCloseDuringTraffic(t *testing.T) {
	s := newFakeServer(t)
	c, err := Dial(bg(t), s.addr())
	if err != nil {
		t.Fatal(err)
	}
	ctx := bg(t)
	var wg sync.WaitGroup
	started := make(chan struct{}, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			for {
				_, _, _, err := c.GetW(ctx, "/a")
				if err == nil {
					continue
				}
				if !errors.Is(err, ErrClosed) && !errors.Is(err, ErrConnectionLoss) {
					t.Errorf("GetW during Close = %v", err)
				}
				if errors.Is(err, ErrClosed) {
					return
				}
			}
		}()
	}
	for range 8 {
		<-started
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}
