package server

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/zabkit/zabkit/core/zab"
)

// fifoChecker checks what a Transport delivers from one peer against
// core/zab's FIFO rule across reconnects: messages carry their
// connection's generation in ID>>32; once a message of a newer connection
// is delivered, none of an older one may be, and the break of the older
// one (a Down) comes before the newer connection's first message.
type fifoChecker struct {
	t        *testing.T
	maxGen   uint64
	seen     bool
	downSeen bool // a Down since the last message
	downs    int
}

func (f *fifoChecker) check(in Inbound) {
	f.t.Helper()
	if in.Down {
		f.downSeen = true
		f.downs++
		return
	}
	g := in.Msg.ID >> 32
	switch {
	case f.seen && g < f.maxGen:
		f.t.Fatalf("message %#x of connection %d delivered after one of connection %d", in.Msg.ID, g, f.maxGen)
	case f.seen && g > f.maxGen && !f.downSeen:
		f.t.Fatalf("connection %d's first message delivered before connection %d's break was reported", g, f.maxGen)
	case f.seen && g == f.maxGen && f.downSeen:
		f.t.Fatalf("message %#x of connection %d delivered after its break was reported", in.Msg.ID, g)
	}
	f.seen, f.maxGen, f.downSeen = true, g, false
}

// next reads the transport until a message with ID id arrives, checking
// everything on the way.
func (f *fifoChecker) next(tr Transport, id uint64) {
	f.t.Helper()
	deadline := time.NewTimer(20 * time.Second) // an upper bound, not a timing assertion
	defer deadline.Stop()
	for {
		select {
		case in := <-tr.Recv():
			f.check(in)
			if !in.Down && in.Msg.ID == id {
				return
			}
		case <-deadline.C:
			f.t.Fatalf("message %#x never delivered", id)
		}
	}
}

func peerFrame(m zab.Message) []byte {
	b := make([]byte, 4, 4+m.Size())
	b = m.AppendMarshal(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// TestTCPTransportFIFOAcrossReconnects: a peer opens connection after
// connection while the older ones still carry unread messages (as a peer
// that restarts or reconnects does before this side notices the break);
// the transport never delivers an older connection's message after a
// newer one's, and reports each break before the next connection's
// messages.
func TestTCPTransportFIFOAcrossReconnects(t *testing.T) {
	addr := freeAddr(t)
	nw := NewTCPNetwork([]Peer{{ID: 1, PeerAddr: addr}, {ID: 2, PeerAddr: "127.0.0.1:1"}}, nil)
	tr, err := nw.Attach(1)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	const conns, perConn = 30, 300
	f := &fifoChecker{t: t}
	var open []net.Conn
	defer func() {
		for _, c := range open {
			_ = c.Close()
		}
	}()
	for g := uint64(1); g <= conns; g++ {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, nc)
		buf := handshake(2)
		for i := range uint64(perConn) {
			buf = append(buf, peerFrame(zab.Message{Type: zab.MsgAck, From: 2, To: 1, ID: g<<32 | i})...)
		}
		if _, err := nc.Write(buf); err != nil {
			t.Fatal(err)
		}
		// The transport serves this connection (it delivered its first
		// message) before the next one is opened, so connections are
		// served in generation order.
		f.next(tr, g<<32)
	}
	f.next(tr, conns<<32|(perConn-1))
	if f.downs < conns-1 {
		t.Errorf("%d breaks reported for %d replaced connections", f.downs, conns-1)
	}
}

// TestMemNetworkFIFOAcrossReconnects: messages still in flight (delayed)
// when a link is partitioned and healed, or when the sender restarts
// (attaches again), are never delivered after the break, which the
// receiver learns before any message of the next connection.
func TestMemNetworkFIFOAcrossReconnects(t *testing.T) {
	nw := NewMemNetwork(1)
	t1, err := nw.Attach(1)
	if err != nil {
		t.Fatal(err)
	}
	defer t1.Close()
	t2, err := nw.Attach(2)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = t2.Close() }()
	f := &fifoChecker{t: t}
	send := func(tr Transport, g, from, to uint64) {
		for i := from; i < to; i++ {
			tr.Send(zab.Message{Type: zab.MsgAck, To: 1, ID: g<<32 | i})
		}
	}
	const rounds = 20
	for g := uint64(1); g <= rounds; g++ {
		send(t2, g, 0, 1)
		f.next(t1, g<<32) // this connection is established
		// More messages, held back on the link, then the connection breaks.
		nw.SetDelay(2, 1, time.Hour)
		send(t2, g, 1, 50)
		if g%2 == 0 {
			nw.Partition(1, 2)
			nw.Heal()
		} else {
			if t2, err = nw.Attach(2); err != nil { // a restart of server 2
				t.Fatal(err)
			}
			nw.SetDelay(2, 1, 0)
		}
	}
	send(t2, rounds+1, 0, 10)
	f.next(t1, (rounds+1)<<32|9)
	if f.downs < rounds {
		t.Errorf("%d breaks reported for %d broken connections", f.downs, rounds)
	}
}
