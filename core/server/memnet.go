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
//
// FIFO holds across reconnects, as core/zab requires: each direction of a
// link has a generation (its "connection"), which a partition or the
// re-attachment or close of either end advances, reporting the break
// (Down) to the other end at once; a message still queued from an older
// generation is then dropped, never delivered after the break.
type MemNetwork struct {
	mu    sync.Mutex
	eps   map[uint64]*memTransport
	links map[[2]uint64]linkState
	gen   map[[2]uint64]uint64 // per direction; Heal keeps it
	rng   *rand.Rand
	// changed is closed (and replaced) whenever a delay or a generation
	// changes, waking links that hold a delayed message.
	changed chan struct{}
}

type linkState struct {
	cut   bool
	drop  float64
	delay time.Duration
}

// NewMemNetwork returns an empty network. seed drives the random drops.
func NewMemNetwork(seed uint64) *MemNetwork {
	return &MemNetwork{eps: map[uint64]*memTransport{}, links: map[[2]uint64]linkState{},
		gen: map[[2]uint64]uint64{}, changed: make(chan struct{}), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Attach implements Network.
func (n *MemNetwork) Attach(id uint64) (Transport, error) {
	t := &memTransport{id: id, net: n, in: newQueue[Inbound](), recv: make(chan Inbound),
		out: map[uint64]*memLink{}, done: make(chan struct{})}
	n.mu.Lock()
	old := n.eps[id]
	n.eps[id] = t
	if old != nil {
		n.breakAllLocked(id) // the old incarnation's connections break
	}
	n.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	t.wg.Add(1)
	go t.pump()
	return t, nil
}

func (n *MemNetwork) update(from, to uint64, f func(*linkState)) {
	n.mu.Lock()
	l := n.links[[2]uint64{from, to}]
	f(&l)
	n.links[[2]uint64{from, to}] = l
	n.wakeLocked()
	n.mu.Unlock()
}

// wakeLocked wakes every link waiting out a delay, to look again.
func (n *MemNetwork) wakeLocked() {
	close(n.changed)
	n.changed = make(chan struct{})
}

// pending says how long a message sent at at in generation gen on the
// link from -> to must still wait (0: deliver now), or that it is stale
// (its connection broke: drop it); changed wakes the wait early.
func (n *MemNetwork) pending(from, to, gen uint64, at time.Time) (wait time.Duration, stale bool, changed <-chan struct{}) {
	n.mu.Lock()
	defer n.mu.Unlock()
	k := [2]uint64{from, to}
	if gen != n.gen[k] {
		return 0, true, nil
	}
	return time.Until(at.Add(n.links[k].delay)), false, n.changed
}

// Partition cuts the links between a and b in both directions; both sides
// learn that the connection broke, as with a reset TCP connection.
func (n *MemNetwork) Partition(a, b uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, k := range [][2]uint64{{a, b}, {b, a}} {
		l := n.links[k]
		l.cut = true
		n.links[k] = l
	}
	n.breakLocked(a, b)
	n.breakLocked(b, a)
}

// breakLocked breaks the connection between from and to as seen by to:
// to learns it went down, and what from sent before is dropped.
func (n *MemNetwork) breakLocked(from, to uint64) {
	n.gen[[2]uint64{from, to}]++
	n.gen[[2]uint64{to, from}]++
	n.wakeLocked()
	if t := n.eps[to]; t != nil {
		t.in.push(Inbound{From: from, Down: true})
	}
}

// breakAllLocked breaks every connection of id: its peers learn it went down.
func (n *MemNetwork) breakAllLocked(id uint64) {
	for other := range n.eps {
		if other != id {
			n.breakLocked(id, other)
		}
	}
}

func (n *MemNetwork) genOf(from, to uint64) uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.gen[[2]uint64{from, to}]
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
// A healed link starts a new connection: nothing sent while it was cut
// arrives.
func (n *MemNetwork) Heal() {
	n.mu.Lock()
	for k, l := range n.links {
		if l.cut {
			n.gen[k]++
		}
	}
	n.links = map[[2]uint64]linkState{}
	n.wakeLocked()
	n.mu.Unlock()
}

// HealLink restores the links between a and b.
func (n *MemNetwork) HealLink(a, b uint64) {
	n.mu.Lock()
	for _, k := range [][2]uint64{{a, b}, {b, a}} {
		if n.links[k].cut {
			n.gen[k]++
		}
		delete(n.links, k)
	}
	n.wakeLocked()
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

func (n *MemNetwork) detach(t *memTransport) {
	n.mu.Lock()
	if n.eps[t.id] == t {
		delete(n.eps, t.id)
		n.breakAllLocked(t.id)
	}
	n.mu.Unlock()
}

// deliver hands m (already encoded, sent in generation gen of the link)
// to its destination, or drops it. The checks and the hand-over happen
// under the network's lock, so a break is ordered with the deliveries.
func (n *MemNetwork) deliver(from, to, gen uint64, b []byte) {
	var m zab.Message
	if err := m.Unmarshal(b); err != nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.links[[2]uint64{from, to}]
	t := n.eps[to]
	if t == nil || l.cut || gen != n.gen[[2]uint64{from, to}] {
		return
	}
	if l.drop > 0 && n.rng.Float64() < l.drop {
		t.in.push(Inbound{From: from, Down: true})
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
	at  time.Time
	gen uint64
	b   []byte
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
	l.q.push(memItem{at: time.Now(), gen: t.net.genOf(t.id, m.To), b: b})
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
			for {
				wait, stale, changed := t.net.pending(t.id, to, it.gen, it.at)
				if stale || wait <= 0 {
					break
				}
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				select {
				case <-t.done:
					return
				case <-timer.C:
				case <-changed: // a new delay or a break: look again
					timer.Stop()
				}
			}
			t.net.deliver(t.id, to, it.gen, it.b)
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
