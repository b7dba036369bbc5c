package zab

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// The simulator drives a cluster of Nodes with a seeded scheduler: FIFO
// links that break, partitions, crashes that lose unsynced writes,
// restarts from what was durable, slow disks, ticks and client requests.
// Everything is deterministic for a seed.

type simDisk struct {
	hs   HardState
	snap Snapshot // Data is an 8-byte key into sim.snaps
	log  []Entry
}

type simNode struct {
	id       uint64
	n        *Node
	up       bool
	disk     simDisk
	sm       []Entry           // applied state machine: every applied txn, in order
	rd       *Ready            // Ready being persisted (slow disk)
	rdLeft   int               // steps until the disk acknowledges rd
	hold     func(*Ready) bool // scenario control: the disk stalls on matching Readys
	nextRead uint64
	snapReqs []uint64 // snapshot requests the driver answers later
}

type simLink struct {
	from, to uint64
	q        []Message
	// frozenUntil: the link holds its messages (in order) until this
	// step, while the peers keep ticking, so that they arrive late: in a
	// later session, after a timeout, or at a deposed leader.
	frozenUntil int
}

// ready reports whether l has a message to deliver at step.
func (l *simLink) ready(step int) bool { return len(l.q) > 0 && step >= l.frozenUntil }

type simEvent struct {
	step int
	text string
}

type simOpts struct {
	voters, observers int
	steps             int
	maxCounter        uint32
	slowDisk          bool
	leaderSendsEarly  bool
	faults            bool
	// maxNotifyInterval, if set, replaces the election back-off cap
	// (scenarios with a server's: 16 tickTimes of 10 ticks each).
	maxNotifyInterval int
	// initLimit and syncLimit, if set, replace the defaults (10 and 5):
	// scenarios at a server's scale, where a tick is 100ms or less.
	initLimit, syncLimit int
}

type sim struct {
	seed     uint64
	rng      *rand.Rand
	opts     simOpts
	ids      []uint64
	voters   []uint64
	obs      []uint64
	nodes    map[uint64]*simNode
	links    []*simLink // sorted by (from, to)
	busy     []*simLink
	cut      map[[2]uint64]bool
	step     int
	calm     bool
	phaseEnd int
	trace    []simEvent
	verbose  bool

	// bookkeeping for the invariants
	global    []Entry            // the committed sequence as applied anywhere
	proposed  map[Zxid][]byte    // data of every zxid ever proposed
	leaders   map[uint32]uint64  // established leader per epoch
	reads     map[[2]uint64]Zxid // (node, barrier id) -> commit point when it began
	snaps     map[uint64][]Entry
	nextSnap  uint64
	nextData  uint64
	failure   string
	settledAt int               // ticks the liveness phase needed
	delivered map[[2]uint64]int // scenario tests: (to, type) -> count accepted
	// before, if set (scenario tests), sees every message about to be
	// delivered; it may deliver others first (late, reordered packets),
	// and it holds m back (the scenario delivers it later) by returning true.
	before    func(m Message) bool
	committed map[Zxid]bool     // zxids acknowledged committed by a leader
	initial   map[uint32]Zxid   // end of the initial history of each established epoch
	synced    map[uint32]uint64 // leader that left discovery, per epoch
	rec       *tracer           // scenario tests with a golden trace (trace_test.go)
}

func newSim(seed uint64, o simOpts) *sim {
	s := &sim{seed: seed, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), opts: o,
		nodes: map[uint64]*simNode{}, cut: map[[2]uint64]bool{}, proposed: map[Zxid][]byte{},
		leaders: map[uint32]uint64{}, reads: map[[2]uint64]Zxid{}, snaps: map[uint64][]Entry{},
		committed: map[Zxid]bool{}, initial: map[uint32]Zxid{}, synced: map[uint32]uint64{}}
	for i := 1; i <= o.voters+o.observers; i++ {
		id := uint64(i)
		s.ids = append(s.ids, id)
		if i <= o.voters {
			s.voters = append(s.voters, id)
		} else {
			s.obs = append(s.obs, id)
		}
	}
	for _, a := range s.ids {
		for _, b := range s.ids {
			if a != b {
				s.links = append(s.links, &simLink{from: a, to: b})
			}
		}
	}
	for _, id := range s.ids {
		sn := &simNode{id: id}
		s.nodes[id] = sn
		s.start(sn)
	}
	return s
}

func (s *sim) logf(format string, a ...any) {
	if s.failure != "" {
		return
	}
	s.trace = append(s.trace, simEvent{step: s.step, text: fmt.Sprintf(format, a...)})
	s.rec.simEvent(s, s.trace[len(s.trace)-1].text)
}

func (s *sim) failf(format string, a ...any) {
	if s.failure == "" {
		s.failure = fmt.Sprintf("step %d: ", s.step) + fmt.Sprintf(format, a...)
	}
}

// report renders the seed, the failure and the last events.
func (s *sim) report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d (%d voters, %d observers): %s\nrerun: go test ./core/zab -run TestSimSeeds -seed %d -v\n",
		s.seed, s.opts.voters, s.opts.observers, s.failure, s.seed)
	from := max(0, len(s.trace)-400)
	if s.verbose {
		from = 0
	}
	for _, e := range s.trace[from:] {
		fmt.Fprintf(&b, "%6d %s\n", e.step, e.text)
	}
	for _, id := range s.ids {
		sn := s.nodes[id]
		if sn.up {
			st := sn.n.Status()
			fmt.Fprintf(&b, "node %d: %+v log=%v\n", id, st, zxids(sn.n.log.entries))
		} else {
			fmt.Fprintf(&b, "node %d: down, disk hs=%+v snap=%s log=%v\n", id, sn.disk.hs, sn.disk.snap.Zxid, zxids(sn.disk.log))
		}
	}
	fmt.Fprintf(&b, "global committed: %v\n", zxids(s.global))
	return b.String()
}

func zxids(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Zxid.String()
	}
	return out
}

func (s *sim) config(id uint64) Config {
	c := DefaultConfig(id)
	c.Voters, c.Observers = s.voters, s.obs
	c.FinalizeWait = 1
	c.NotifyInterval = 2
	c.MaxNotifyInterval = 8
	if s.opts.maxNotifyInterval > 0 {
		c.MaxNotifyInterval = s.opts.maxNotifyInterval
	}
	c.InitLimit = 10
	c.SyncLimit = 5
	if s.opts.initLimit > 0 {
		c.InitLimit = s.opts.initLimit
	}
	if s.opts.syncLimit > 0 {
		c.SyncLimit = s.opts.syncLimit
	}
	c.MaxCounter = s.opts.maxCounter
	return c
}

// start boots sn from its disk.
func (s *sim) start(sn *simNode) {
	c := s.config(sn.id)
	c.Storage = Storage{HardState: sn.disk.hs, SnapshotZxid: sn.disk.snap.Zxid, Entries: slices.Clone(sn.disk.log)}
	n, err := New(c)
	if err != nil {
		s.failf("restart node %d: %v", sn.id, err)
		return
	}
	sn.n, sn.up, sn.rd, sn.snapReqs = n, true, nil, nil
	sn.sm = slices.Clone(s.snapEntries(sn.disk.snap))
	s.logf("start %d hs=%+v snap=%s log=%d entries", sn.id, sn.disk.hs, sn.disk.snap.Zxid, len(sn.disk.log))
}

func (s *sim) snapEntries(sp Snapshot) []Entry {
	if len(sp.Data) != 8 {
		return nil
	}
	return s.snaps[binary.BigEndian.Uint64(sp.Data)]
}

func (s *sim) makeSnapshot(sn *simNode) Snapshot {
	s.nextSnap++
	s.snaps[s.nextSnap] = slices.Clone(sn.sm)
	var z Zxid
	if len(sn.sm) > 0 {
		z = sn.sm[len(sn.sm)-1].Zxid
	}
	return Snapshot{Zxid: z, Data: binary.BigEndian.AppendUint64(nil, s.nextSnap)}
}

func (s *sim) link(from, to uint64) *simLink {
	i, _ := slices.BinarySearchFunc(s.links, [2]uint64{from, to}, func(l *simLink, k [2]uint64) int {
		if l.from != k[0] {
			return cmpU(l.from, k[0])
		}
		return cmpU(l.to, k[1])
	})
	return s.links[i]
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *sim) isCut(a, b uint64) bool { return s.cut[[2]uint64{min(a, b), max(a, b)}] }

// send puts m on its link unless the link is cut.
func (s *sim) send(m Message) {
	if s.isCut(m.From, m.To) {
		return
	}
	// Every message crosses the wire encoding.
	var wire Message
	if err := wire.Unmarshal(m.Marshal()); err != nil {
		s.failf("encode %s: %v", m, err)
		return
	}
	m = wire
	l := s.link(m.From, m.To)
	l.q = append(l.q, m)
}

// pump takes and (unless the disk is slow) completes Readys of every up node.
func (s *sim) pump() {
	for _, id := range s.ids {
		sn := s.nodes[id]
		for sn.up && sn.rd == nil && sn.n.HasReady() && s.failure == "" {
			rd, err := sn.n.Ready()
			if err != nil {
				s.failf("node %d Ready: %v", id, err)
				return
			}
			sn.rd = &rd
			sn.rdLeft = 0
			if s.opts.leaderSendsEarly {
				// What the server's driver does: Ready.SplitMessages' early
				// part leaves before the Ready is persisted, the rest after.
				early, late := rd.SplitMessages()
				for _, m := range early {
					s.send(m)
				}
				sn.rd.Messages = late
			}
			if sn.hold != nil && sn.hold(&rd) {
				break
			}
			if s.opts.slowDisk && (rd.hasLog || rd.HardState != nil) && s.rng.IntN(2) == 0 {
				sn.rdLeft = 1 + s.rng.IntN(6)
				break
			}
			s.finishReady(sn)
		}
	}
}

// persist writes the first k durable operations of rd (all when k < 0).
func (s *sim) persist(sn *simNode, rd *Ready, k int) {
	ops := 0
	do := func() bool {
		if k >= 0 && ops >= k {
			return false
		}
		ops++
		return true
	}
	d := &sn.disk
	defer s.checkHardState(sn, d.hs)
	if rd.Snapshot != nil {
		if !do() {
			return
		}
		d.snap = *rd.Snapshot
		d.log = nil
	}
	if rd.Truncate {
		if !do() {
			return
		}
		i := len(d.log)
		for i > 0 && d.log[i-1].Zxid > rd.TruncateAfter {
			i--
		}
		d.log = d.log[:i:i]
	}
	for _, e := range rd.Entries {
		if !do() {
			return
		}
		prev := d.snap.Zxid
		if len(d.log) > 0 {
			prev = d.log[len(d.log)-1].Zxid
		}
		if !follows(prev, e.Zxid) {
			s.failf("node %d: durable log gap: %s after %s", sn.id, e.Zxid, prev)
			return
		}
		d.log = append(d.log, e)
	}
	if rd.HardState != nil {
		if !do() {
			return
		}
		d.hs = *rd.HardState
	}
}

func (s *sim) finishReady(sn *simNode) {
	rd := sn.rd
	sn.rd = nil
	for _, e := range rd.Entries {
		s.checkProposed(sn.id, e)
	}
	s.persist(sn, rd, -1)
	if rd.Snapshot != nil {
		sn.sm = slices.Clone(s.snapEntries(*rd.Snapshot))
		s.logf("node %d installed snapshot %s", sn.id, rd.Snapshot.Zxid)
		s.checkPrefix(sn)
	}
	for _, m := range rd.Messages {
		if s.verbose {
			s.logf("send %s", m)
		}
		s.checkSend(sn, m)
		s.send(m)
	}
	for _, e := range rd.CommittedEntries {
		s.apply(sn, e)
	}
	for _, r := range rd.ReadStates {
		s.readDone(sn, r)
	}
	sn.snapReqs = append(sn.snapReqs, rd.SnapshotRequests...)
	if !s.opts.slowDisk || s.rng.IntN(2) == 0 {
		// A slow driver answers snapshot requests later, from a state
		// machine that has moved on (or after the learner left).
		s.provideSnapshots(sn)
	}
	for _, r := range rd.Requests {
		z, err := sn.n.Propose(r.Data)
		if err == nil {
			s.proposedAt(sn.id, z, r.Data)
		}
	}
	sn.n.Advance(*rd)
	s.check()
}

func (s *sim) provideSnapshots(sn *simNode) {
	for _, to := range sn.snapReqs {
		sp := s.makeSnapshot(sn)
		err := sn.n.ProvideSnapshot(to, sp)
		s.logf("node %d provides snapshot %s for %d: %v", sn.id, sp.Zxid, to, err)
	}
	sn.snapReqs = nil
}

func (s *sim) proposedAt(id uint64, z Zxid, data []byte) {
	if old, ok := s.proposed[z]; ok {
		s.failf("zxid %s proposed twice (by %d): %q then %q", z, id, old, data)
	}
	s.proposed[z] = data
	s.logf("node %d proposes %s %q", id, z, data)
}

// crash stops sn; what its disk had not acknowledged survives only as a
// random prefix of the pending writes.
func (s *sim) crash(sn *simNode, notify bool) {
	if sn.rd != nil {
		rd := sn.rd
		n := 1 + len(rd.Entries) + 2
		k := s.rng.IntN(n + 1)
		s.persist(sn, rd, k)
		s.logf("crash %d (persisted %d of the pending writes)", sn.id, k)
	} else {
		s.logf("crash %d", sn.id)
	}
	sn.up, sn.n, sn.rd = false, nil, nil
	for _, l := range s.links {
		if l.from == sn.id || l.to == sn.id {
			l.q = nil
		}
	}
	if notify {
		for _, id := range s.ids {
			if o := s.nodes[id]; o.up {
				o.n.ReportUnreachable(sn.id)
			}
		}
	}
}

func (s *sim) breakLink(a, b uint64, notify bool) {
	s.link(a, b).q = nil
	s.link(b, a).q = nil
	s.logf("break link %d-%d notify=%v", a, b, notify)
	if notify {
		if sa := s.nodes[a]; sa.up {
			sa.n.ReportUnreachable(b)
		}
		if sb := s.nodes[b]; sb.up {
			sb.n.ReportUnreachable(a)
		}
	}
}

func (s *sim) partition(group []uint64) {
	in := map[uint64]bool{}
	for _, g := range group {
		in[g] = true
	}
	for _, a := range s.ids {
		for _, b := range s.ids {
			if a < b && in[a] != in[b] {
				s.cut[[2]uint64{a, b}] = true
				s.link(a, b).q = nil
				s.link(b, a).q = nil
			}
		}
	}
	s.logf("partition %v | rest", group)
}

func (s *sim) heal() {
	clear(s.cut)
	s.logf("heal")
}

// freeze holds one link, or every link from or to one peer (often the
// leader), for a while: messages wait in order, time goes on.
func (s *sim) freeze() {
	d := 20 + s.rng.IntN(400)
	if s.rng.IntN(2) == 0 {
		l := s.links[s.rng.IntN(len(s.links))]
		l.frozenUntil = s.step + d
		s.logf("freeze link %d->%d for %d steps", l.from, l.to, d)
		return
	}
	id := s.ids[s.rng.IntN(len(s.ids))]
	if ld := s.leader(); ld != nil && s.rng.IntN(2) == 0 {
		id = ld.id
	}
	out := s.rng.IntN(2) == 0
	for _, l := range s.links {
		if out && l.from == id || !out && l.to == id {
			l.frozenUntil = s.step + d
		}
	}
	s.logf("freeze links %s %d for %d steps", map[bool]string{true: "from", false: "to"}[out], id, d)
}

func (s *sim) unfreeze() {
	for _, l := range s.links {
		l.frozenUntil = 0
	}
}

func (s *sim) deliver(l *simLink) {
	m := l.q[0]
	l.q = l.q[1:]
	sn := s.nodes[l.to]
	if !sn.up {
		return
	}
	if s.before != nil && s.before(m) {
		s.logf("hold back %s", m)
		return
	}
	err := sn.n.Step(m)
	s.rec.delivered(s, m, err)
	if err == nil && s.delivered != nil {
		s.delivered[[2]uint64{l.to, uint64(m.Type)}]++
	}
	// Check at once: a leader may get established and depose itself
	// within one step (seed 35222 with -steps 8000 did).
	s.check()
	if s.verbose || err != nil || m.Type != MsgPing && m.Type != MsgPingResp && m.Type != MsgNotification {
		if err != nil {
			s.logf("deliver %s: %v", m, err)
		} else {
			s.logf("deliver %s", m)
		}
	}
}

func (s *sim) upNodes() []*simNode {
	var out []*simNode
	for _, id := range s.ids {
		if sn := s.nodes[id]; sn.up {
			out = append(out, sn)
		}
	}
	return out
}

func (s *sim) newData() []byte {
	s.nextData++
	return fmt.Appendf(nil, "tx%d", s.nextData)
}

func (s *sim) leader() *simNode {
	for _, sn := range s.upNodes() {
		if st := sn.n.Status(); st.State == StateLeading && st.Established {
			return sn
		}
	}
	return nil
}

func (s *sim) clientWrite(sn *simNode) {
	data := s.newData()
	if st := sn.n.Status(); st.State == StateLeading {
		z, err := sn.n.Propose(data)
		if err == nil {
			s.proposedAt(sn.id, z, data)
		} else {
			s.logf("node %d propose: %v", sn.id, err)
		}
		return
	}
	if err := sn.n.Forward(data); err == nil {
		s.logf("node %d forwards %q", sn.id, data)
	}
}

func (s *sim) readBarrier(sn *simNode) {
	sn.nextRead++
	if err := sn.n.ReadBarrier(sn.nextRead); err != nil {
		return
	}
	want := Zxid(0)
	if len(s.global) > 0 {
		want = s.global[len(s.global)-1].Zxid
	}
	for z := range s.committed {
		want = max(want, z)
	}
	s.reads[[2]uint64{sn.id, sn.nextRead}] = want
	s.logf("node %d read barrier %d (must cover %s)", sn.id, sn.nextRead, want)
}

// randomStep performs one random event.
func (s *sim) randomStep() {
	s.step++
	if s.step >= s.phaseEnd {
		// Alternate stormy and calm periods so that progress happens
		// between faults.
		s.calm = !s.calm
		s.phaseEnd = s.step + 100 + s.rng.IntN(300)
	}
	r := s.rng.IntN(1000)
	if s.calm && r >= 915 {
		r = s.rng.IntN(915)
	}
	up := s.upNodes()
	switch {
	case r < 700:
		busy := s.busy[:0]
		for _, l := range s.links {
			if l.ready(s.step) {
				busy = append(busy, l)
			}
		}
		s.busy = busy
		for k := 1 + s.rng.IntN(4); k > 0 && len(busy) > 0; k-- {
			l := busy[s.rng.IntN(len(busy))]
			if len(l.q) > 0 {
				if !s.calm && s.rng.IntN(200) == 0 {
					// A misbehaving transport delivers a message twice.
					s.logf("duplicate %s", l.q[0])
					l.q = append([]Message{l.q[0]}, l.q...)
				}
				s.deliver(l)
			}
		}
	case r < 770:
		if len(up) > 0 {
			up[s.rng.IntN(len(up))].n.Tick()
		}
	case r < 790:
		s.logf("tick all")
		for _, sn := range up {
			sn.n.Tick()
		}
	case r < 850:
		if len(up) > 0 {
			s.clientWrite(up[s.rng.IntN(len(up))])
		}
	case r < 865:
		if len(up) > 0 {
			s.readBarrier(up[s.rng.IntN(len(up))])
		}
	case r < 900:
		for _, sn := range up {
			s.provideSnapshots(sn)
			if sn.rd != nil {
				sn.rdLeft--
				if sn.rdLeft <= 0 {
					s.finishReady(sn)
				}
			}
		}
	case r < 915:
		if len(up) > 0 {
			sn := up[s.rng.IntN(len(up))]
			if err := s.compact(sn); err == nil {
				s.logf("node %d compacts to %s", sn.id, sn.disk.snap.Zxid)
			}
		}
	case !s.opts.faults:
	case r < 925:
		victims := up
		if ld := s.leader(); ld != nil && s.rng.IntN(3) == 0 {
			// Depose the established leader, possibly mid-write.
			victims = []*simNode{ld}
		} else if s.rng.IntN(2) == 0 {
			// Prefer a peer whose disk has not yet acknowledged its writes.
			var pending []*simNode
			for _, sn := range up {
				if sn.rd != nil {
					pending = append(pending, sn)
				}
			}
			if len(pending) > 0 {
				victims = pending
			}
		}
		if len(victims) > 0 {
			s.crash(victims[s.rng.IntN(len(victims))], s.rng.IntN(2) == 0)
		}
	case r < 955:
		for _, id := range s.ids {
			if sn := s.nodes[id]; !sn.up {
				s.start(sn)
				break
			}
		}
	case r < 967:
		a, b := s.ids[s.rng.IntN(len(s.ids))], s.ids[s.rng.IntN(len(s.ids))]
		if ld := s.leader(); ld != nil && s.rng.IntN(3) == 0 {
			a = ld.id
		}
		if a != b {
			s.breakLink(a, b, s.rng.IntN(4) != 0)
		}
	case r < 975:
		s.freeze()
	case r < 982:
		var g []uint64
		if ld := s.leader(); ld != nil && s.rng.IntN(4) == 0 {
			// The established leader with a minority (maybe alone).
			g = append(g, ld.id)
			for _, i := range s.rng.Perm(len(s.ids))[:s.rng.IntN(len(s.voters)/2+1)] {
				if s.ids[i] != ld.id {
					g = append(g, s.ids[i])
				}
			}
		} else {
			for _, id := range s.ids {
				if s.rng.IntN(2) == 0 {
					g = append(g, id)
				}
			}
		}
		s.partition(g)
	default:
		s.heal()
	}
	s.pump()
	s.check()
}

// compact snapshots sn's state machine and drops its log up to there.
func (s *sim) compact(sn *simNode) error {
	if len(sn.sm) == 0 || sn.rd != nil {
		return fmt.Errorf("nothing to compact")
	}
	sp := s.makeSnapshot(sn)
	if err := sn.n.Compact(sp.Zxid); err != nil {
		return err
	}
	d := &sn.disk
	d.snap = sp
	i := 0
	for i < len(d.log) && d.log[i].Zxid <= sp.Zxid {
		i++
	}
	d.log = slices.Clone(d.log[i:])
	return nil
}
