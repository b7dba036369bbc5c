package zab

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Golden traces: the scenario tests of ZooKeeper bugs (TestZK*) record a
// readable event log of what happens, one line per event (a delivered
// message, a disk write, a role or epoch change, a commit, a crash, a
// restart, a partition), and compare it with testdata/traces/<test>.trace
// on every run, so that a reader sees the scenario and a change in the
// protocol's behaviour shows up as a diff. The scenario's own assertions
// still check the invariants; the trace is additional.
//
// Regenerate the files after an intended change with
//
//	go test ./core/zab -run 'TestZK' -rewrite
//
// and review the diff like code.

var (
	flagRewrite = flag.Bool("rewrite", false, "rewrite the golden scenario traces in testdata/traces")
	// TestMutants runs the catchers with -golden=false: a mutant must be
	// caught by an invariant, not merely by a changed trace.
	flagGolden = flag.Bool("golden", true, "compare the scenario traces with testdata/traces")
)

// tracer collects the lines of one scenario's trace. The simulator and
// the single-node harness write to it through hooks that do nothing when
// it is nil (tests without a golden trace).
type tracer struct {
	lines []string
	ticks int  // ticks of the whole cluster so far (simulator only)
	timed bool // prefix lines with the tick count
	views map[uint64]*traceView
	// votes: the last NOTIFICATION delivered per (from, to), so that the
	// periodic resends of an unchanged vote are left out.
	votes map[[2]uint64]string
}

// traceView is what the tracer last reported about one node, so that it
// reports changes only.
type traceView struct {
	up      bool
	stalled bool // a Ready is waiting on the disk (held by the scenario)
	role    string
	disk    simDisk
	applied []Entry
}

func newTracer() *tracer {
	return &tracer{views: map[uint64]*traceView{}, votes: map[[2]uint64]string{}}
}

func (tr *tracer) add(format string, a ...any) {
	line := fmt.Sprintf(format, a...)
	if tr.timed {
		line = fmt.Sprintf("%4d  %s", tr.ticks, line)
	}
	tr.lines = append(tr.lines, line)
}

// golden attaches a tracer to the scenario and compares its trace with the
// golden file when the test ends.
func (s *sim) golden(t *testing.T) {
	t.Helper()
	tr := newTracer()
	tr.timed = true
	s.rec = tr
	tr.add("scenario: %d voters %v, %d observers %v (time in ticks; PING, PINGRESP and repeated votes left out)",
		len(s.voters), s.voters, len(s.obs), s.obs)
	for _, id := range s.ids {
		tr.views[id] = &traceView{}
	}
	tr.observe(s)
	t.Cleanup(func() {
		tr.observe(s)
		tr.timed = false
		for _, id := range s.ids {
			tr.add("end %s", tr.nodeSummary(s.nodes[id]))
		}
		tr.add("end committed %s", traceZxids(s.global))
		tr.compare(t)
	})
}

// simEvent is the hook of sim.logf: the simulator's own event lines
// (start, crash, isolate, heal, proposals, ...), after the state changes
// that preceded them.
func (tr *tracer) simEvent(s *sim, text string) {
	if tr == nil || strings.HasPrefix(text, "deliver ") {
		return // deliveries are traced by delivered, with their effects after them
	}
	tr.observe(s)
	tr.add("%s", text)
}

// delivered is the hook of sim.deliver, right after Step.
func (tr *tracer) delivered(s *sim, m Message, err error) {
	if tr == nil {
		return
	}
	if err == nil && (m.Type == MsgPing || m.Type == MsgPingResp) {
		return // heartbeats: too many to read; their effects still show
	}
	if err == nil && m.Type == MsgNotification {
		k, line := [2]uint64{m.From, m.To}, traceMsg(m)
		if tr.votes[k] == line {
			return // the same vote again (resent on a timer)
		}
		tr.votes[k] = line
	}
	if err != nil {
		tr.add("%s  REFUSED: %v", traceMsg(m), err)
	} else {
		tr.add("%s", traceMsg(m))
	}
	tr.observe(s)
}

// checked is the hook of sim.check: state changes after each step.
func (tr *tracer) checked(s *sim) {
	if tr != nil {
		tr.observe(s)
	}
}

// tick is the hook of runUntil: every up node ticked once.
func (tr *tracer) tick() {
	if tr != nil {
		tr.ticks++
	}
}

// observe reports what changed on each node since the last observation:
// its durable writes, its role, and what it applied.
func (tr *tracer) observe(s *sim) {
	for _, id := range s.ids {
		sn, v := s.nodes[id], tr.views[id]
		if v == nil {
			continue
		}
		tr.diskChanges(id, &v.disk, &sn.disk)
		if !sn.up {
			// A crash is an event line of its own; a restart
			// starts from what the disk held.
			v.up, v.stalled, v.role, v.applied = false, false, "", nil
			for k := range tr.votes {
				if k[0] == id || k[1] == id {
					delete(tr.votes, k)
				}
			}
			continue
		}
		// With the scenarios' fast disks a Ready is pending between two
		// observations only when the scenario holds it.
		if stalled := sn.rd != nil; stalled != v.stalled {
			v.stalled = stalled
			if stalled {
				tr.add("node %d disk stalls on %s", id, tracePending(sn.rd))
			}
		}
		if !v.up {
			v.up, v.role, v.applied = true, traceRole(sn.n.Status()), slices.Clone(sn.sm)
			continue
		}
		if r := traceRole(sn.n.Status()); r != v.role {
			v.role = r
			tr.add("node %d is %s", id, r)
		}
		tr.appliedChanges(id, &v.applied, sn.sm)
	}
}

func (tr *tracer) diskChanges(id uint64, was *simDisk, now *simDisk) {
	var parts []string
	if now.snap.Zxid != was.snap.Zxid || !bytes.Equal(now.snap.Data, was.snap.Data) {
		parts = append(parts, fmt.Sprintf("snapshot at %s", now.snap.Zxid))
		was.log = nil
	}
	common := 0
	for common < len(was.log) && common < len(now.log) && was.log[common].Zxid == now.log[common].Zxid &&
		bytes.Equal(was.log[common].Data, now.log[common].Data) {
		common++
	}
	if common < len(was.log) {
		after := now.snap.Zxid
		if common > 0 {
			after = now.log[common-1].Zxid
		}
		parts = append(parts, fmt.Sprintf("truncate after %s (drops %s)", after, traceZxids(was.log[common:])))
	}
	if common < len(now.log) {
		parts = append(parts, fmt.Sprintf("append %s", traceZxids(now.log[common:])))
	}
	if now.hs != was.hs {
		parts = append(parts, fmt.Sprintf("acceptedEpoch=%d currentEpoch=%d", now.hs.AcceptedEpoch, now.hs.CurrentEpoch))
	}
	if len(parts) > 0 {
		tr.add("node %d disk: %s", id, strings.Join(parts, "; "))
	}
	was.hs, was.snap, was.log = now.hs, now.snap, slices.Clone(now.log)
}

// tracePending names the durable writes of a Ready.
func tracePending(rd *Ready) string {
	var parts []string
	if rd.Snapshot != nil {
		parts = append(parts, fmt.Sprintf("snapshot at %s", rd.Snapshot.Zxid))
	}
	if rd.Truncate {
		parts = append(parts, fmt.Sprintf("truncate after %s", rd.TruncateAfter))
	}
	if len(rd.Entries) > 0 {
		parts = append(parts, fmt.Sprintf("append %s", traceZxids(rd.Entries)))
	}
	if hs := rd.HardState; hs != nil {
		parts = append(parts, fmt.Sprintf("acceptedEpoch=%d currentEpoch=%d", hs.AcceptedEpoch, hs.CurrentEpoch))
	}
	if len(parts) == 0 {
		return "nothing durable"
	}
	return strings.Join(parts, "; ")
}

func (tr *tracer) appliedChanges(id uint64, was *[]Entry, now []Entry) {
	common := 0
	for common < len(*was) && common < len(now) && (*was)[common].Zxid == now[common].Zxid {
		common++
	}
	switch {
	case common < len(*was):
		tr.add("node %d state: snapshot with %s", id, traceZxids(now))
	case common < len(now):
		tr.add("node %d applies %s", id, traceZxids(now[common:]))
	}
	*was = slices.Clone(now)
}

func (tr *tracer) nodeSummary(sn *simNode) string {
	d := &sn.disk
	disk := fmt.Sprintf("disk acceptedEpoch=%d currentEpoch=%d snapshot=%s log=%s",
		d.hs.AcceptedEpoch, d.hs.CurrentEpoch, d.snap.Zxid, traceZxids(d.log))
	if !sn.up {
		return fmt.Sprintf("node %d down; %s", sn.id, disk)
	}
	return fmt.Sprintf("node %d %s; applied %s; %s", sn.id, traceRole(sn.n.Status()), traceZxids(sn.sm), disk)
}

// traceRole names a node's role: state, leader, session epoch, and
// whether the session is established.
func traceRole(st Status) string {
	switch {
	case st.State == StateLooking:
		return "LOOKING"
	case st.State == StateLeading:
		r := "LEADING"
		if st.Epoch > 0 {
			r += fmt.Sprintf(" epoch %d", st.Epoch)
		}
		if st.Established {
			r += ", established"
		}
		return r
	}
	r := fmt.Sprintf("%s %d", st.State, st.Leader)
	if st.Epoch > 0 {
		r += fmt.Sprintf(" epoch %d", st.Epoch)
	}
	if st.Established {
		r += ", up to date"
	}
	return r
}

// traceMsg formats a message with the fields its type uses.
func traceMsg(m Message) string {
	head := fmt.Sprintf("%d->%d %s", m.From, m.To, m.Type)
	var f string
	switch m.Type {
	case MsgNotification:
		f = fmt.Sprintf("vote=%d zxid=%s peerEpoch=%d round=%d %s", m.Leader, m.Zxid, m.PeerEpoch, m.ElectionEpoch, m.State)
	case MsgFollowerInfo, MsgObserverInfo:
		f = fmt.Sprintf("acceptedEpoch=%d last=%s", m.Epoch, m.Zxid)
	case MsgLeaderInfo:
		f = fmt.Sprintf("epoch=%d", m.Epoch)
	case MsgAckEpoch:
		f = fmt.Sprintf("e=%d currentEpoch=%d last=%s", m.Epoch, m.PeerEpoch, m.Zxid)
		if m.Reject {
			f += " reject"
		}
	case MsgDiff, MsgTrunc, MsgSnap:
		f = fmt.Sprintf("e=%d %s", m.Epoch, m.Zxid)
	case MsgProposal, MsgInform:
		f = fmt.Sprintf("e=%d %s %q prev=%s", m.Epoch, m.Zxid, m.Data, m.Prev)
	case MsgNewLeader:
		f = fmt.Sprintf("e=%d %s commit=%s", m.Epoch, m.Zxid, m.Commit)
	case MsgUpToDate:
		f = fmt.Sprintf("e=%d commit=%s", m.Epoch, m.Commit)
	case MsgPing, MsgPingResp, MsgReadRequest:
		f = fmt.Sprintf("e=%d id=%d", m.Epoch, m.ID)
	case MsgReadResponse:
		f = fmt.Sprintf("e=%d id=%d %s", m.Epoch, m.ID, m.Zxid)
	case MsgRequest:
		f = fmt.Sprintf("e=%d %q", m.Epoch, m.Data)
	case MsgNoSession:
		f = fmt.Sprintf("e=%d round=%d", m.Epoch, m.ElectionEpoch)
	default: // COMMIT, ACK, ACKNEWLEADER
		f = fmt.Sprintf("e=%d %s", m.Epoch, m.Zxid)
	}
	return head + " " + f
}

func traceZxids(es []Entry) string {
	if len(es) == 0 {
		return "[]"
	}
	return "[" + strings.Join(zxids(es), " ") + "]"
}

// goldenPath maps a test name (subtests included) to its trace file.
func goldenPath(name string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '/':
			return r
		case r == '[' || r == ']':
			return -1 // subtests named after a list: [4 5] -> 4_5
		}
		return '_'
	}, name)
	return filepath.Join("testdata", "traces", filepath.FromSlash(clean)+".trace")
}

// compare checks the trace against the golden file (or rewrites it).
func (tr *tracer) compare(t *testing.T) {
	t.Helper()
	if t.Failed() {
		t.Logf("trace not compared: the test failed")
		return
	}
	path := goldenPath(t.Name())
	top, _, _ := strings.Cut(t.Name(), "/")
	got := strings.Join(tr.lines, "\n") + "\n"
	if *flagRewrite {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !*flagGolden {
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden trace: %v (create it with go test ./core/zab -run '^%s$' -rewrite)", err, top)
	}
	if d := lineDiff(string(want), got); d != "" {
		t.Errorf("the trace differs from %s (if the change is intended: go test ./core/zab -run '^%s$' -rewrite, and review the diff):\n%s",
			path, top, d)
	}
}

// lineDiff returns "" when want and got are equal, else one unified-style
// hunk around the first differing lines: context, -want, +got.
func lineDiff(want, got string) string {
	if want == got {
		return ""
	}
	w := strings.Split(strings.TrimSuffix(want, "\n"), "\n")
	g := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	// Common suffix, not overlapping the common prefix.
	wj, gj := len(w), len(g)
	for wj > i && gj > i && w[wj-1] == g[gj-1] {
		wj--
		gj--
	}
	const ctx, most = 3, 20
	var b strings.Builder
	from := max(0, i-ctx)
	fmt.Fprintf(&b, "@@ -%d,%d +%d,%d @@\n", from+1, wj-from, from+1, gj-from)
	for _, l := range w[from:i] {
		fmt.Fprintf(&b, " %s\n", l)
	}
	hunk := func(sign string, ls []string) {
		for k, l := range ls {
			if k == most {
				fmt.Fprintf(&b, "%s... (%d more lines)\n", sign, len(ls)-most)
				break
			}
			fmt.Fprintf(&b, "%s%s\n", sign, l)
		}
	}
	hunk("-", w[i:wj])
	hunk("+", g[i:gj])
	if wj < len(w) {
		fmt.Fprintf(&b, " %s\n", w[wj])
	}
	return b.String()
}

// golden attaches a tracer to the single-node harness: the messages the
// test plays in, and what each Ready writes, sends and applies.
func (s *single) golden(t *testing.T) {
	t.Helper()
	tr := newTracer()
	s.rec = tr
	tr.views[s.n.id] = &traceView{role: traceRole(s.n.Status())}
	st := s.n.Status()
	tr.add("scenario: node %d alone, its peers played by the test; it is %s; acceptedEpoch=%d currentEpoch=%d last=%s commit=%s",
		st.ID, traceRole(st), st.AcceptedEpoch, st.CurrentEpoch, st.LastZxid, st.Commit)
	t.Cleanup(func() {
		st := s.n.Status()
		tr.add("end node %d %s; acceptedEpoch=%d currentEpoch=%d last=%s commit=%s; logged %s; applied %s",
			st.ID, traceRole(st), st.AcceptedEpoch, st.CurrentEpoch, st.LastZxid, st.Commit, traceZxids(s.logged), traceZxids(s.applied))
		tr.compare(t)
	})
}

// stepped is the hook of single.try: a message played in, and Step's answer.
func (tr *tracer) stepped(s *single, m Message, err error) {
	if tr == nil {
		return
	}
	if err != nil {
		tr.add("in  %s  REFUSED: %v", traceMsg(m), err)
	} else {
		tr.add("in  %s", traceMsg(m))
	}
	tr.roleChange(s.n)
}

// ready is the hook of single.drain: one Ready, fulfilled in its order.
func (tr *tracer) ready(s *single, rd Ready) {
	if tr == nil {
		return
	}
	id := s.n.id
	tr.roleChange(s.n)
	if rd.Snapshot != nil || rd.Truncate || len(rd.Entries) > 0 || rd.HardState != nil {
		tr.add("node %d disk: %s", id, tracePending(&rd))
	}
	for _, m := range rd.Messages {
		tr.add("out %s", traceMsg(m))
	}
	if len(rd.CommittedEntries) > 0 {
		tr.add("node %d applies %s", id, traceZxids(rd.CommittedEntries))
	}
	for _, r := range rd.ReadStates {
		tr.add("node %d read barrier %d done at %s (err %v)", id, r.ID, r.Zxid, r.Err)
	}
	for _, to := range rd.SnapshotRequests {
		tr.add("node %d asks its driver for a snapshot for %d", id, to)
	}
	for _, r := range rd.Requests {
		tr.add("node %d gets request %q from %d", id, r.Data, r.From)
	}
}

func (tr *tracer) roleChange(n *Node) {
	v := tr.views[n.id]
	if r := traceRole(n.Status()); r != v.role {
		v.role = r
		tr.add("node %d is %s", n.id, r)
	}
}

func TestLineDiffShowsFirstDifference(t *testing.T) {
	want := "a\nb\nc\nd\ne\nf\ng\n"
	if d := lineDiff(want, want); d != "" {
		t.Fatalf("equal traces differ:\n%s", d)
	}
	got := "a\nb\nc\nd\nE\nf\ng\n"
	if d, exp := lineDiff(want, got), "@@ -2,4 +2,4 @@\n b\n c\n d\n-e\n+E\n f\n"; d != exp {
		t.Fatalf("diff:\n%s\nwant:\n%s", d, exp)
	}
	// A line missing at the end, and a longer trace.
	if d, exp := lineDiff("a\nb\n", "a\n"), "@@ -1,2 +1,1 @@\n a\n-b\n"; d != exp {
		t.Fatalf("diff:\n%s\nwant:\n%s", d, exp)
	}
	if d, exp := lineDiff("a\n", "a\nb\n"), "@@ -1,1 +1,2 @@\n a\n+b\n"; d != exp {
		t.Fatalf("diff:\n%s\nwant:\n%s", d, exp)
	}
}

func TestGoldenPathOfSubtests(t *testing.T) {
	for name, want := range map[string]string{
		"TestZK1154Orphan":                "testdata/traces/TestZK1154Orphan.trace",
		"TestZK2930BlackholedPeers/[4_5]": "testdata/traces/TestZK2930BlackholedPeers/4_5.trace",
		"TestZK3911/variant0":             "testdata/traces/TestZK3911/variant0.trace",
		"TestX/a#01 b":                    "testdata/traces/TestX/a_01_b.trace",
	} {
		if got := filepath.ToSlash(goldenPath(name)); got != want {
			t.Errorf("goldenPath(%q) = %q, want %q", name, got, want)
		}
	}
}
