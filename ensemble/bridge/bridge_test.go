package bridge

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoServer answers every frame it receives with the same frame and
// reports the frames (as their op code field) on got.
type echoServer struct {
	ln   net.Listener
	got  chan int32
	wg   sync.WaitGroup
	mu   sync.Mutex
	conn []net.Conn
}

func startEcho(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &echoServer{ln: ln, got: make(chan int32, 100)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conn = append(s.conn, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				for {
					f, err := readFrame(c)
					if err != nil {
						return
					}
					s.got <- op(f)
					if err := writeFrame(c, f); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		s.hangUp()
		s.wg.Wait()
	})
	return s
}

// hangUp closes every connection the server accepted.
func (s *echoServer) hangUp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conn {
		_ = c.Close()
	}
}

func frame(op int32) []byte {
	f := make([]byte, 16)
	binary.BigEndian.PutUint32(f, 12)
	binary.BigEndian.PutUint32(f[4:], 7) // xid
	binary.BigEndian.PutUint32(f[8:], uint32(op))
	return f
}

func op(f []byte) int32 { return int32(binary.BigEndian.Uint32(f[8:])) }

func readFrame(c net.Conn) ([]byte, error) {
	f := make([]byte, 16)
	_, err := io.ReadFull(c, f)
	return f, err
}

func writeFrame(c net.Conn, f []byte) error {
	_, err := c.Write(f)
	return err
}

// roundTrip sends a frame with op and expects it echoed.
func roundTrip(t *testing.T, c net.Conn, op int32) {
	t.Helper()
	require.NoError(t, writeFrame(c, frame(op)))
	f, err := readFrame(c)
	require.NoError(t, err)
	require.Equal(t, frame(op), f)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newBridgeTo(t *testing.T, s *echoServer) *Bridge {
	t.Helper()
	b, err := New(s.ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// refused checks that a new connection through b is closed before it
// carries anything.
func refused(t *testing.T, addr string) {
	t.Helper()
	c := dial(t, addr)
	_ = writeFrame(c, frame(0))
	_, err := readFrame(c)
	assert.Error(t, err, "a connection made while refused must be closed")
	assert.False(t, isTimeout(err), "refused, not silent: %v", err)
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// silent checks that nothing arrives on c, not even a close, before a
// short read deadline: the only way to observe a dropped byte.
func silent(t *testing.T, c net.Conn) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
	_, err := readFrame(c)
	assert.True(t, isTimeout(err), "a blackholed link delivers nothing, got %v", err)
	require.NoError(t, c.SetReadDeadline(time.Time{}))
}

func TestForwardsBothWays(t *testing.T) {
	s := startEcho(t)
	b := newBridgeTo(t, s)
	c := dial(t, b.Addr())
	roundTrip(t, c, 0)
	roundTrip(t, c, 4)
	assert.Equal(t, s.ln.Addr().String(), b.Target())
}

func TestCutClosesAndRefusesUntilHeal(t *testing.T) {
	s := startEcho(t)
	b := newBridgeTo(t, s)
	c := dial(t, b.Addr())
	roundTrip(t, c, 0)
	b.Cut()
	_, err := readFrame(c)
	require.Error(t, err, "the open connection is closed")
	require.False(t, isTimeout(err))
	refused(t, b.Addr())
	b.Heal()
	roundTrip(t, dial(t, b.Addr()), 0)
}

func TestBlackholeDropsBothWaysForGood(t *testing.T) {
	s := startEcho(t)
	b := newBridgeTo(t, s)
	c := dial(t, b.Addr())
	roundTrip(t, c, 0)
	<-s.got
	b.Blackhole()
	require.NoError(t, writeFrame(c, frame(1)), "writes still succeed")
	silent(t, c)
	refused(t, b.Addr())
	s.hangUp() // not even the server's hang-up passes
	silent(t, c)
	b.Heal()
	silent(t, c) // the old connection stays dead
	c2 := dial(t, b.Addr())
	roundTrip(t, c2, 2)
	assert.Equal(t, int32(2), <-s.got, "the frame written into the blackhole never reached the server")
}

func TestCutAfterLosesTheReply(t *testing.T) {
	s := startEcho(t)
	b := newBridgeTo(t, s)
	b.CutAfter(1)
	c := dial(t, b.Addr())
	roundTrip(t, c, 1) // the handshake frame is never cut, whatever it holds
	roundTrip(t, c, 5)
	// The armed request shares a write with the next one: only the first
	// passes.
	require.NoError(t, writeFrame(c, append(frame(1), frame(6)...)))
	_, err := readFrame(c)
	require.Error(t, err, "the reply is lost and the connection closed")
	for _, want := range []int32{1, 5, 1} {
		assert.Equal(t, want, <-s.got)
	}
	assert.Equal(t, 1, b.Cuts())
	c2 := dial(t, b.Addr())
	roundTrip(t, c2, 0)
	roundTrip(t, c2, 1) // disarmed after one cut
	assert.Equal(t, 1, b.Cuts())
}

func TestCutAfterFindsFramesSplitAcrossWrites(t *testing.T) {
	s := startEcho(t)
	b := newBridgeTo(t, s)
	c := dial(t, b.Addr())
	roundTrip(t, c, 0)
	b.CutAfter(3)
	f := frame(3)
	for _, part := range [][]byte{f[:2], f[2:9], f[9:13], f[13:]} {
		require.NoError(t, writeFrame(c, part))
	}
	_, err := readFrame(c)
	require.Error(t, err)
	<-s.got
	assert.Equal(t, int32(3), <-s.got)
	assert.Equal(t, 1, b.Cuts())
}

func TestDelayKeepsOrder(t *testing.T) {
	s := startEcho(t)
	b := newBridgeTo(t, s)
	b.SetDelay(20 * time.Millisecond)
	c := dial(t, b.Addr())
	for i := range int32(5) {
		require.NoError(t, writeFrame(c, frame(i)))
	}
	for i := range int32(5) {
		f, err := readFrame(c)
		require.NoError(t, err)
		assert.Equal(t, i, op(f))
	}
}

func TestLinkSharesFaultsAndKeepsTheConnectString(t *testing.T) {
	s1, s2 := startEcho(t), startEcho(t)
	l, err := NewLink(s1.ln.Addr().String() + "," + s2.ln.Addr().String() + "/app")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	require.Equal(t, 2, l.Size())
	assert.Equal(t, l.Bridge(0).Addr()+","+l.Bridge(1).Addr()+"/app", l.Servers())
	assert.Same(t, l.Bridge(1), l.ByTarget(s2.ln.Addr().String()))

	c1, c2 := dial(t, l.Bridge(0).Addr()), dial(t, l.Bridge(1).Addr())
	roundTrip(t, c1, 0)
	roundTrip(t, c2, 0)
	l.CutAfter(9)
	roundTrip(t, c1, 8)
	require.NoError(t, writeFrame(c2, frame(9)))
	_, err = readFrame(c2)
	require.Error(t, err)
	roundTrip(t, c1, 9) // one arming, one cut
	assert.Equal(t, 1, l.Cuts())

	l.Cut()
	_, err = readFrame(c1)
	require.Error(t, err)
	refused(t, l.Bridge(0).Addr())
	refused(t, l.Bridge(1).Addr())
	l.Heal()
	roundTrip(t, dial(t, l.Bridge(1).Addr()), 0)
	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "Close is idempotent")
}

func TestNewLinkRejectsAnEmptyConnectString(t *testing.T) {
	_, err := NewLink("/chroot")
	assert.Error(t, err)
}

func TestBeforeRequestRunsBeforeTheServerSeesTheRequest(t *testing.T) {
	s := startEcho(t)
	b := newBridgeTo(t, s)
	var (
		mu   sync.Mutex // the hook runs on the bridge's goroutine
		seen []int32
	)
	b.BeforeRequest(func(op int32, body []byte) {
		select {
		case got := <-s.got:
			t.Errorf("the server got request %d before the hook returned", got)
		default:
		}
		assert.Len(t, body, 4, "the body after xid and op code")
		mu.Lock()
		seen = append(seen, op)
		mu.Unlock()
	})
	c := dial(t, b.Addr())
	roundTrip(t, c, 0) // the handshake: no hook
	<-s.got
	for _, op := range []int32{3, 4} {
		roundTrip(t, c, op)
		assert.Equal(t, op, <-s.got)
	}
	b.BeforeRequest(nil)
	roundTrip(t, c, 5)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []int32{3, 4}, seen)
}
