package server

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/zabkit/zabkit/core/zab"
)

// MemNetwork is an in-memory Network for tests and the in-process
// ensemble: every attached server gets a Transport whose messages go
// through the zab codec (as over TCP) and are delivered FIFO per link.
// Links can be partitioned, made lossy and delayed per direction. It is
// safe for concurrent use.
type MemNetwork struct {
	mu    sync.Mutex
	eps   map[uint64]*memTransport
	links map[[2]uint64]linkState
	rng   *rand.Rand
}

type linkState struct {
	cut   bool
	drop  float64
	delay time.Duration
}

// NewMemNetwork returns an empty network. seed drives the random drops.
func NewMemNetwork(seed uint64) *MemNetwork {
	return &MemNetwork{eps: map[uint64]*memTransport{}, links: map[[2]uint64]linkState{},
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Attach implements Network.
func (n *MemNetwork) Attach(id uint64) (Transport, error) {
	t := &memTransport{id: id, net: n, in: newQueue[Inbound](), recv: make(chan Inbound),
		out: map[uint64]*memLink{}, done: make(chan struct{})}
	n.mu.Lock()
	old := n.eps[id]
	n.eps[id] = t
	n.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	t.wg.Add(1)
	go t.pump()
	return t, nil
}

func (n *MemNetwork) link(from, to uint64) linkState {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.links[[2]uint64{from, to}]
}

func (n *MemNetwork) update(from, to uint64, f func(*linkState)) {
	n.mu.Lock()
	l := n.links[[2]uint64{from, to}]
	f(&l)
	n.links[[2]uint64{from, to}] = l
	n.mu.Unlock()
}

// Partition cuts the links between a and b in both directions; both sides
// learn that the connection broke, as with a reset TCP connection.
func (n *MemNetwork) Partition(a, b uint64) {
	n.update(a, b, func(l *linkState) { l.cut = true })
	n.update(b, a, func(l *linkState) { l.cut = true })
	n.notifyDown(a, b)
	n.notifyDown(b, a)
}

// Isolate partitions id from every other attached or known server.
func (n *MemNetwork) Isolate(id uint64, others ...uint64) {
	for _, o := range others {
		if o != id {
			n.Partition(id, o)
		}
	}
}

// Heal restores every link to a perfect one (no cut, drop or delay).
func (n *MemNetwork) Heal() {
	n.mu.Lock()
	n.links = map[[2]uint64]linkState{}
	n.mu.Unlock()
}

// HealLink restores the links between a and b.
func (n *MemNetwork) HealLink(a, b uint64) {
	n.mu.Lock()
	delete(n.links, [2]uint64{a, b})
	delete(n.links, [2]uint64{b, a})
	n.mu.Unlock()
}

// SetDrop makes the link from -> to lose each message with probability p.
// A lost message breaks the link's FIFO guarantee the way a broken TCP
// connection does, so the receiver is told the link went down.
func (n *MemNetwork) SetDrop(from, to uint64, p float64) {
	n.update(from, to, func(l *linkState) { l.drop = p })
}

// SetDelay delays every message on the link from -> to by d (FIFO kept).
func (n *MemNetwork) SetDelay(from, to uint64, d time.Duration) {
	n.update(from, to, func(l *linkState) { l.delay = d })
}

func (n *MemNetwork) notifyDown(to, peer uint64) {
	n.mu.Lock()
	t := n.eps[to]
	n.mu.Unlock()
	if t != nil {
		t.in.push(Inbound{From: peer, Down: true})
	}
}

func (n *MemNetwork) detach(t *memTransport) {
	n.mu.Lock()
	if n.eps[t.id] == t {
		delete(n.eps, t.id)
	}
	n.mu.Unlock()
}

// deliver hands m (already encoded) to its destination, or drops it.
func (n *MemNetwork) deliver(from, to uint64, b []byte) {
	n.mu.Lock()
	l := n.links[[2]uint64{from, to}]
	t := n.eps[to]
	lost := l.drop > 0 && n.rng.Float64() < l.drop
	n.mu.Unlock()
	if t == nil || l.cut {
		return
	}
	if lost {
		t.in.push(Inbound{From: from, Down: true})
		return
	}
	var m zab.Message
	if err := m.Unmarshal(b); err != nil {
		return
	}
	t.in.push(Inbound{From: from, Msg: m})
}

type memTransport struct {
	id   uint64
	net  *MemNetwork
	in   *queue[Inbound]
	recv chan Inbound

	mu     sync.Mutex
	out    map[uint64]*memLink
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
}

type memItem struct {
	at time.Time
	b  []byte
}

type memLink struct {
	q *queue[memItem]
}

func (t *memTransport) Send(m zab.Message) {
	m.From = t.id
	b := m.Marshal()
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	l := t.out[m.To]
	if l == nil {
		l = &memLink{q: newQueue[memItem]()}
		t.out[m.To] = l
		t.wg.Add(1)
		go t.runLink(m.To, l)
	}
	t.mu.Unlock()
	l.q.push(memItem{at: time.Now(), b: b})
}

// runLink delivers one link's messages in order, each after the link's delay.
func (t *memTransport) runLink(to uint64, l *memLink) {
	defer t.wg.Done()
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-t.done:
			return
		case <-l.q.notify:
		}
		for _, it := range l.q.take() {
			if d := t.net.link(t.id, to).delay; d > 0 {
				if wait := time.Until(it.at.Add(d)); wait > 0 {
					if timer == nil {
						timer = time.NewTimer(wait)
					} else {
						timer.Reset(wait)
					}
					select {
					case <-t.done:
						return
					case <-timer.C:
					}
				}
			}
			t.net.deliver(t.id, to, it.b)
		}
	}
}

func (t *memTransport) pump() {
	defer t.wg.Done()
	defer close(t.recv)
	for {
		select {
		case <-t.done:
			return
		case <-t.in.notify:
		}
		for _, in := range t.in.take() {
			select {
			case t.recv <- in:
			case <-t.done:
				return
			}
		}
	}
}

func (t *memTransport) Recv() <-chan Inbound { return t.recv }

func (t *memTransport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		t.wg.Wait()
		return nil
	}
	t.closed = true
	close(t.done)
	t.mu.Unlock()
	t.net.detach(t)
	t.in.close()
	t.wg.Wait()
	return nil
}
