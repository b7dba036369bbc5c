package client

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zabkit/zabkit/wire"
)

// nextStatesUntil reads states until want (included) and returns them; it
// fails if the stream closes first or nothing comes for 20s.
func nextStatesUntil(t *testing.T, states <-chan State, want State) []State {
	t.Helper()
	var seen []State
	timeout := time.After(20 * time.Second)
	for {
		select {
		case s, ok := <-states:
			if !ok {
				t.Fatalf("state stream closed after %v, before %v", seen, want)
			}
			seen = append(seen, s)
			if s == want {
				return seen
			}
		case <-timeout:
			t.Fatalf("states %v, no %v within 20s", seen, want)
		}
	}
}

// getRequest builds a getData request to hand to enqueue directly, so
// that a test knows it is queued when enqueue returns.
func getRequest(path string) *request {
	return &request{op: wire.OpGetData, rec: &wire.GetDataRequest{Path: path}, resp: &wire.GetDataResponse{},
		done: make(chan struct{})}
}

func waitRequest(t *testing.T, r *request) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(20 * time.Second):
		t.Fatal("request not finished within 20s")
		return nil
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestRenewalReplacesExpiredSession drives one expiry with renewal on:
// the exact state sequence, the old Session ending, a request queued
// before the expiry failing with ErrSessionExpired and one queued after it
// going out on the new session, the new handshake asking for a new
// session, the one-shot watch closing without an event, and the auth infos
// and the persistent watch sent again on the new session, which delivers
// its events.
func TestRenewalReplacesExpiredSession(t *testing.T) {
	s := newFakeServer(t)
	expireNow := make(chan struct{})
	release := make(chan struct{})
	t.Cleanup(func() {
		// Unblock handshakes left waiting if the test failed early.
		select {
		case <-expireNow:
		default:
			close(expireNow)
		}
		select {
		case <-release:
		default:
			close(release)
		}
	})
	s.setOnConnect(func(req *wire.ConnectRequest) *wire.ConnectResponse {
		switch req.SessionID {
		case 0:
			if s.handshakesSoFar() > 1 { // not Dial's
				<-release
				return &wire.ConnectResponse{TimeOut: 4000, SessionID: 0x5678, Passwd: []byte("fedcba9876543210")}
			}
			return &wire.ConnectResponse{TimeOut: 4000, SessionID: 0x1234, Passwd: s.passwd}
		default:
			<-expireNow
			return &wire.ConnectResponse{TimeOut: 0, Passwd: make([]byte, 16)}
		}
	})
	var mu sync.Mutex
	var auths []string
	var sws []wire.SetWatches2
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		mu.Lock()
		switch hdr.Op {
		case wire.OpAuth:
			var a wire.AuthPacket
			_ = wire.Unmarshal(body, &a)
			auths = append(auths, a.Scheme+" "+string(a.Auth))
		case wire.OpSetWatches2:
			var r wire.SetWatches2
			if err := wire.Unmarshal(body, &r); err != nil {
				t.Error(err)
			}
			sws = append(sws, r)
		case wire.OpSetWatches:
			t.Errorf("SetWatches without the persistent watch")
		}
		mu.Unlock()
		defaultHandle(fc, hdr, body)
	})
	c := dialFake(t, []*fakeServer{s}, WithSessionRenewal(true), WithDigestAuth("u", "p"))
	ctx := bg(t)
	s.nextConn(t) // Dial's
	if err := c.AddAuth(ctx, "digest", []byte("v:q")); err != nil {
		t.Fatal(err)
	}
	s1 := c.Session()
	if s1.ID() != 0x1234 || s1.Generation() != 1 || isClosed(s1.Done()) || s1.Err() != nil {
		t.Fatalf("first session %v, done %v, err %v", s1, isClosed(s1.Done()), s1.Err())
	}
	_, _, oneShot, err := c.GetW(ctx, "/one")
	if err != nil {
		t.Fatal(err)
	}
	pw, err := c.AddWatch(ctx, "/p", AddWatchPersistentRecursive)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	auths = nil
	mu.Unlock()
	states := c.States(ctx)

	s.dropAll()
	s.waitHandshakes(t, 2) // the resume attempt, held until expireNow
	queued := getRequest("/queued")
	c.enqueue(queued)
	close(expireNow)
	seen := nextStatesUntil(t, states, StateExpired)
	if want := []State{StateConnected, StateDisconnected, StateConnecting, StateExpired}; !slices.Equal(seen, want) {
		t.Fatalf("states %v, want %v", seen, want)
	}
	if !isClosed(s1.Done()) || !errors.Is(s1.Err(), ErrSessionExpired) {
		t.Fatalf("old session after expiry: done %v, err %v", isClosed(s1.Done()), s1.Err())
	}
	if err := waitRequest(t, queued); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("request queued before the expiry: %v, want ErrSessionExpired", err)
	}
	if ev, ok := <-oneShot; ok {
		t.Fatalf("one-shot watch got %+v at expiry, want closed", ev)
	}
	if c.Session() != s1 || c.SessionID() != 0 || c.Err() != nil || isClosed(c.Done()) {
		t.Fatalf("between sessions: Session %v, SessionID %x, Err %v", c.Session(), c.SessionID(), c.Err())
	}
	// A call made now waits for the next session, bounded by its ctx.
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { _, _, err := c.Get(cctx, "/bounded"); errc <- err }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Get between sessions with a canceled ctx: %v", err)
	}

	s.waitHandshakes(t, 3) // the new session's, held until release
	after := getRequest("/after")
	c.enqueue(after)
	close(release)
	seen = nextStatesUntil(t, states, StateConnected)
	if want := []State{StateConnecting, StateConnected}; !slices.Equal(seen, want) {
		t.Fatalf("states after Expired %v, want %v", seen, want)
	}
	if err := waitRequest(t, after); err != nil {
		t.Fatalf("request queued after the expiry: %v", err)
	}
	if got := string(after.resp.(*wire.GetDataResponse).Data); got != "/after" {
		t.Fatalf("request queued after the expiry answered %q", got)
	}
	s2 := c.Session()
	if s2.ID() != 0x5678 || s2.Generation() != 2 || isClosed(s2.Done()) || c.SessionID() != 0x5678 {
		t.Fatalf("new session %v (SessionID %x)", s2, c.SessionID())
	}
	if ws, err := c.WaitSession(ctx); ws != s2 || err != nil {
		t.Fatalf("WaitSession = %v, %v; want %v", ws, err, s2)
	}
	hs := s.handshakes()
	if len(hs) != 3 || hs[1].SessionID != 0x1234 || hs[2].SessionID != 0 || hs[2].LastZxidSeen != 100 {
		t.Fatalf("handshakes %+v: want a resume of 0x1234, then a new session from zxid 100", hs)
	}

	s.nextConn(t) // the refused resume's
	fc := s.nextConn(t)
	if _, _, err := c.Get(ctx, "/sync"); err != nil { // after the priming packets
		t.Fatal(err)
	}
	mu.Lock()
	gotAuths, gotSW := slices.Clone(auths), slices.Clone(sws)
	mu.Unlock()
	if want := []string{"digest u:p", "digest v:q"}; !slices.Equal(gotAuths, want) {
		t.Fatalf("auth packets on the new session %q, want %q", gotAuths, want)
	}
	if len(gotSW) != 1 || !slices.Equal(gotSW[0].PersistentRecursiveWatches, []string{"/p"}) ||
		len(gotSW[0].DataWatches)+len(gotSW[0].ExistWatches)+len(gotSW[0].ChildWatches)+len(gotSW[0].PersistentWatches) != 0 {
		t.Fatalf("SetWatches2 on the new session %+v, want only the recursive watch /p", gotSW)
	}
	fc.event(EventNodeCreated, "/p/x")
	select {
	case ev := <-pw.Events():
		if ev != (Event{Type: EventNodeCreated, Path: "/p/x"}) {
			t.Fatalf("persistent watch event %+v", ev)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("persistent watch: no event on the new session within 20s")
	}
}

// handshakesSoFar returns the number of handshakes seen (the current one
// included, when called from onConnect).
func (s *fakeServer) handshakesSoFar() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.connect)
}

// TestRenewalOffEndsTheConn: with WithSessionRenewal(false) an expiry ends
// the Conn as it always has, and the Session handle says so.
func TestRenewalOffEndsTheConn(t *testing.T) {
	s := newFakeServer(t)
	c := dialFake(t, []*fakeServer{s}, WithSessionRenewal(false))
	ctx := bg(t)
	s1 := c.Session()
	states := c.States(ctx)
	s.setOnConnect(func(req *wire.ConnectRequest) *wire.ConnectResponse {
		return &wire.ConnectResponse{TimeOut: 0, Passwd: make([]byte, 16)}
	})
	s.dropAll()
	var seen []State
	for st := range states {
		seen = append(seen, st)
	}
	if want := []State{StateConnected, StateDisconnected, StateConnecting, StateExpired}; !slices.Equal(seen, want) {
		t.Fatalf("states %v, want %v then the end of the stream", seen, want)
	}
	<-c.Done()
	if !errors.Is(c.Err(), ErrSessionExpired) || !isClosed(s1.Done()) || !errors.Is(s1.Err(), ErrSessionExpired) {
		t.Fatalf("Err %v, session done %v err %v", c.Err(), isClosed(s1.Done()), s1.Err())
	}
	if c.Session() != s1 || s1.Generation() != 1 {
		t.Fatalf("Session() = %v, want the first one, %v", c.Session(), s1)
	}
	if _, err := c.WaitSession(ctx); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("WaitSession after expiry: %v", err)
	}
	if _, _, err := c.Get(ctx, "/x"); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("Get after expiry: %v", err)
	}
	if n := len(s.handshakes()); n != 2 {
		t.Fatalf("%d handshakes, want 2 (Dial and the refused resume, no new session)", n)
	}
}

// TestRenewalStoppedByClose: Close stops a renewal that cannot succeed
// (every new-session handshake is refused); the Conn ends Closed, waiting
// calls fail with ErrClosed, and no goroutine is left (goleak, TestMain).
func TestRenewalStoppedByClose(t *testing.T) {
	s := newFakeServer(t)
	c := dialFake(t, []*fakeServer{s}, WithSessionRenewal(true))
	ctx := bg(t)
	states := c.States(ctx)
	s.setOnConnect(func(req *wire.ConnectRequest) *wire.ConnectResponse {
		if req.SessionID != 0 {
			return &wire.ConnectResponse{TimeOut: 0, Passwd: make([]byte, 16)}
		}
		return nil // refused: closed without an answer
	})
	s.dropAll()
	nextStatesUntil(t, states, StateExpired)
	s.waitHandshakes(t, 4) // the resume, then new-session attempts
	waiting := make(chan error, 1)
	go func() { _, err := c.WaitSession(ctx); waiting <- err }()
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := c.State(); st != StateClosed || !isClosed(c.Done()) {
		t.Fatalf("after Close: state %v, Done closed %v", st, isClosed(c.Done()))
	}
	if err := <-waiting; !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitSession during Close: %v", err)
	}
	if !errors.Is(c.Err(), ErrClosed) || !errors.Is(c.Session().Err(), ErrSessionExpired) {
		t.Fatalf("Err %v, last session's Err %v", c.Err(), c.Session().Err())
	}
}

// TestRenewalAuthFailedOnNewSession: credentials the new session's server
// rejects end the Conn with ErrAuthFailed, as on any link.
func TestRenewalAuthFailedOnNewSession(t *testing.T) {
	s := newFakeServer(t)
	var reject atomic.Bool
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		if hdr.Op == wire.OpAuth && reject.Load() {
			fc.reply(hdr.Xid, wire.CodeAuthFailed, nil)
			return
		}
		defaultHandle(fc, hdr, body)
	})
	c := dialFake(t, []*fakeServer{s}, WithSessionRenewal(true), WithDigestAuth("u", "p"))
	ctx := bg(t)
	states := c.States(ctx)
	s.setOnConnect(func(req *wire.ConnectRequest) *wire.ConnectResponse {
		if req.SessionID != 0 {
			return &wire.ConnectResponse{TimeOut: 0, Passwd: make([]byte, 16)}
		}
		return &wire.ConnectResponse{TimeOut: 4000, SessionID: 0x5678, Passwd: s.passwd}
	})
	reject.Store(true)
	s.dropAll()
	var seen []State
	for st := range states {
		seen = append(seen, st)
	}
	if seen[len(seen)-1] != StateAuthFailed || !slices.Contains(seen, StateExpired) {
		t.Fatalf("states %v, want Expired then the end in AuthFailed", seen)
	}
	if !errors.Is(c.Err(), ErrAuthFailed) || !errors.Is(c.Session().Err(), ErrAuthFailed) || c.Session().Generation() != 2 {
		t.Fatalf("Err %v, session %v err %v", c.Err(), c.Session(), c.Session().Err())
	}
}

// TestReadOnlySessionReplacedIsANewGeneration: the session a read-only
// server made is replaced on the read-write server (renewal or not); the
// handle says so: the first Session ends as expired, the second has
// generation 2 and the read-write server's id.
func TestReadOnlySessionReplacedIsANewGeneration(t *testing.T) {
	ro := newFakeServer(t)
	rw := newFakeServer(t)
	ro.sessionID = 0x77
	ro.setOnConnect(func(req *wire.ConnectRequest) *wire.ConnectResponse {
		return &wire.ConnectResponse{TimeOut: 4000, SessionID: ro.sessionID, Passwd: ro.passwd, ReadOnly: true}
	})
	ro.isro = "ro"
	rw.isro = "ro" // until the first session is checked
	c := dialFake(t, []*fakeServer{ro, rw}, WithReadOnly())
	ctx := bg(t)
	first := c.Session()
	if first.ID() != 0x77 || first.Generation() != 1 || isClosed(first.Done()) {
		t.Fatalf("first session %v, want 0x77/1, alive", first)
	}
	rw.mu.Lock()
	rw.isro = "rw"
	rw.mu.Unlock()
	s, err := c.WaitSession(ctx) // the first has ended once the second exists
	if err != nil {
		t.Fatal(err)
	}
	for s == first {
		<-first.Done()
		if s, err = c.WaitSession(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if s.ID() != rw.sessionID || s.Generation() != 2 || !errors.Is(first.Err(), ErrSessionExpired) {
		t.Fatalf("second session %v, first ended with %v", s, first.Err())
	}
}

// TestRenewalAtDial: with renewal, Dial given an expired session
// (WithSession) gets a new one instead of failing; it is generation 1.
func TestRenewalAtDial(t *testing.T) {
	s := newFakeServer(t)
	s.setOnConnect(func(req *wire.ConnectRequest) *wire.ConnectResponse {
		if req.SessionID == 0x99 {
			return &wire.ConnectResponse{TimeOut: 0, Passwd: make([]byte, 16)}
		}
		return &wire.ConnectResponse{TimeOut: 4000, SessionID: s.sessionID, Passwd: s.passwd}
	})
	c := dialFake(t, []*fakeServer{s}, WithSessionRenewal(true), WithSession(0x99, make([]byte, 16)))
	if sess := c.Session(); sess.ID() != s.sessionID || sess.Generation() != 1 || c.Err() != nil {
		t.Fatalf("session %v, Err %v; want 0x%x/1", sess, c.Err(), s.sessionID)
	}
	if hs := s.handshakes(); len(hs) != 2 || hs[0].SessionID != 0x99 || hs[1].SessionID != 0 {
		t.Fatalf("handshakes %+v: want the given session, then a new one", hs)
	}
	// Without renewal, the same Dial fails.
	s2 := newFakeServer(t)
	s2.setOnConnect(func(req *wire.ConnectRequest) *wire.ConnectResponse {
		return &wire.ConnectResponse{TimeOut: 0, Passwd: make([]byte, 16)}
	})
	if _, err := Dial(bg(t), s2.addr(), WithSession(0x99, make([]byte, 16)), WithReconnectBackOff(zeroBackOff), WithSessionRenewal(false)); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("Dial of an expired session without renewal: %v", err)
	}
}

// TestRenewalIsTheDefault: a Conn dialed without WithSessionRenewal
// replaces an expired session (Expired, then Connected for generation 2)
// and is not finished.
func TestRenewalIsTheDefault(t *testing.T) {
	s := newFakeServer(t)
	s.setOnConnect(func(req *wire.ConnectRequest) *wire.ConnectResponse {
		switch {
		case req.SessionID != 0: // the resume after the drop: expired
			return &wire.ConnectResponse{TimeOut: 0, Passwd: make([]byte, 16)}
		case s.handshakesSoFar() > 1: // the new session
			return &wire.ConnectResponse{TimeOut: 4000, SessionID: 0x5678, Passwd: []byte("fedcba9876543210")}
		default: // Dial's
			return &wire.ConnectResponse{TimeOut: 4000, SessionID: 0x1234, Passwd: s.passwd}
		}
	})
	c := dialFake(t, []*fakeServer{s})
	ctx := bg(t)
	s1 := c.Session()
	states := c.States(ctx)
	s.dropAll()
	nextStatesUntil(t, states, StateExpired)
	nextStatesUntil(t, states, StateConnected)
	s2, err := c.WaitSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !isClosed(s1.Done()) || !errors.Is(s1.Err(), ErrSessionExpired) || s2.ID() != 0x5678 || s2.Generation() != 2 {
		t.Fatalf("first session %v (err %v), then %v", s1, s1.Err(), s2)
	}
	if isClosed(c.Done()) || c.Err() != nil {
		t.Fatalf("the Conn ended at the expiry: %v", c.Err())
	}
}
