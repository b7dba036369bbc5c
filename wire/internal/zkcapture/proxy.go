package zkcapture

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
)

// Frame is one recorded frame payload (without its length prefix).
type Frame struct {
	Conn       int  // 1-based index of the client connection
	FromClient bool // direction: client to server, or server to client
	Payload    []byte
}

// Proxy forwards TCP connections to a target and records their frames.
type Proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	frames []Frame
	conns  []net.Conn
	nconn  int

	wg sync.WaitGroup
}

// Listen starts a proxy on addr (host:port) forwarding to target.
func Listen(addr, target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr returns the address clients should dial.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.nconn++
		id := p.nconn
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(id, true, c, s)
		go p.pipe(id, false, s, c)
	}
}

// pipe copies frames from src to dst, recording each before forwarding it,
// so a request is always recorded before its reply.
func (p *Proxy) pipe(id int, fromClient bool, src, dst net.Conn) {
	defer p.wg.Done()
	defer src.Close()
	defer dst.Close()
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(src, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n > 16<<20 {
			return
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(src, payload); err != nil {
			return
		}
		p.mu.Lock()
		p.frames = append(p.frames, Frame{Conn: id, FromClient: fromClient, Payload: payload})
		p.mu.Unlock()
		if _, err := dst.Write(append(hdr[:], payload...)); err != nil {
			return
		}
	}
}

// Drop closes every open connection, as a network failure would.
func (p *Proxy) Drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Close stops the proxy, closes its connections and waits for its
// goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.Drop()
	p.wg.Wait()
	return err
}

// Frames returns the frames recorded so far, in recording order.
func (p *Proxy) Frames() []Frame {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Frame(nil), p.frames...)
}

// Format renders frames in the golden file format: comment lines starting
// with '#', "conn N" lines, then one line per frame, "> hex" for client to
// server and "< hex" for server to client.
func Format(comment string, frames []Frame) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(comment), "\n") {
		fmt.Fprintf(&b, "# %s\n", line)
	}
	conn := 0
	for _, f := range frames {
		if f.Conn != conn {
			conn = f.Conn
			fmt.Fprintf(&b, "conn %d\n", conn)
		}
		dir := "<"
		if f.FromClient {
			dir = ">"
		}
		fmt.Fprintf(&b, "%s %s\n", dir, hex.EncodeToString(f.Payload))
	}
	return b.String()
}
