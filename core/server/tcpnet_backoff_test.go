package server

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/require"

	"github.com/zabkit/zabkit/core/zab"
)

// recordingBackOff is a redial policy that records how the dialer uses
// it and waits 1ms between dials.
type recordingBackOff struct {
	mu     sync.Mutex
	nexts  int
	resets int
	reset  chan struct{} // signalled on each Reset
}

func (r *recordingBackOff) NextBackOff() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nexts++
	return time.Millisecond
}

func (r *recordingBackOff) Reset() {
	r.mu.Lock()
	r.resets++
	r.mu.Unlock()
	select {
	case r.reset <- struct{}{}:
	default:
	}
}

func (r *recordingBackOff) counts() (nexts, resets int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nexts, r.resets
}

// A peer whose connections are accepted and closed before it sends
// anything (a proxy in front of a cut-off peer) is redialed with a growing
// backoff, as a peer that refuses connections: the dialer does not start
// its backoff over on each such connection (it did, and redialed every
// 20ms, about 50 times a second; issue 19). A connection on which the
// peer sent a message starts it over.
func TestTCPRedialBacksOffOnConnectionsClosedAtOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	// An upper bound for a stuck test, not a timing assertion.
	require.NoError(t, ln.(*net.TCPListener).SetDeadline(time.Now().Add(20*time.Second)))

	nw := NewTCPNetwork([]Peer{{ID: 1, PeerAddr: ln.Addr().String()}, {ID: 2, PeerAddr: "127.0.0.1:0"}}, nil)
	rec := &recordingBackOff{reset: make(chan struct{}, 1)}
	nw.(*tcpNetwork).backoff = func() backoff.BackOff { return rec }
	tr, err := nw.Attach(2) // 2 > 1: it dials peer 1
	require.NoError(t, err)
	defer tr.Close()

	accept := func() net.Conn {
		t.Helper()
		c, err := ln.Accept()
		require.NoError(t, err)
		hs := make([]byte, handshakeSize)
		_, err = io.ReadFull(c, hs)
		require.NoError(t, err, "handshake")
		return c
	}
	const closedAtOnce = 5
	for i := 0; i < closedAtOnce; i++ {
		require.NoError(t, accept().Close())
	}
	c := accept() // the dial after the fifth closed connection
	nexts, resets := rec.counts()
	require.Zero(t, resets, "no backoff reset on connections closed before the peer sent anything")
	require.GreaterOrEqual(t, nexts, closedAtOnce, "a backoff wait before each redial")

	// This time the peer sends a message before closing: the next dial
	// starts the backoff over.
	m := zab.Message{Type: zab.MsgPing, From: 1, To: 2, ID: 7}
	b := m.AppendMarshal(make([]byte, 4, 4+m.Size()))
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	_, err = c.Write(b)
	require.NoError(t, err)
	stuck := time.After(20 * time.Second) // an upper bound, not a timing assertion
	for got := false; !got; {
		select {
		case in := <-tr.Recv(): // the breaks of the earlier connections, then m
			got = !in.Down && in.Msg.ID == 7
		case <-stuck:
			t.Fatal("the message was not delivered")
		}
	}
	require.NoError(t, c.Close())
	select {
	case <-rec.reset:
	case <-stuck:
		t.Fatal("the backoff was not reset after a connection the peer used")
	}
}
