package zab

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// noGoldenEnv, set by TestMutants, turns the trace comparison off: a
// mutant must be caught by a test's assertions, not by a changed trace.
const noGoldenEnv = "ZAB_NO_GOLDEN_TRACES"

var flagRewrite = flag.Bool("rewrite", false, "rewrite the golden scenario traces in testdata/scenarios instead of comparing them")

// goldenScenarios names the scenario tests (and subtests) whose event log
// is kept in testdata/scenarios/<file>.trace: the ZOOKEEPER-* bug
// scenarios and issue 19's partitioned follower. Each run of the test
// renders the simulator's log and compares it with the file, so that a
// reader sees the scenario as it unfolds (who is cut, what each peer
// sends and refuses, which epoch and zxids result), and a change in the
// protocol's behaviour shows up as a diff of the trace. After an intended
// change: go test ./core/zab -run 'TestZK|TestPartitioned' -rewrite, and
// review the diff.
var goldenScenarios = map[string]string{
	"TestZK1154OrphanTxnOnOldLeaderIsTruncated":       "zookeeper-1154",
	"TestZK1419MixedEpochsConverge":                   "zookeeper-1419",
	"TestZK2930BlackholedPeers":                       "zookeeper-2930",
	"TestZK3911QuorumCrashRightAfterUpToDate":         "zookeeper-3911",
	"TestZK4394CommitsInterleavedWithSync":            "zookeeper-4394",
	"TestZK4643EpochPersistedBeforeTxnsThenWins":      "zookeeper-4643",
	"TestZK4685AckBeforeNewLeaderAck":                 "zookeeper-4685",
	"TestPartitionedFollowerRejoinsWithinTicksOfHeal": "issue-19-rejoin",
}

// goldenPath returns the golden trace file of test (a subtest gets one
// of its own), or false if it has none.
func goldenPath(test string) (string, bool) {
	top, sub, _ := strings.Cut(test, "/")
	name, ok := goldenScenarios[top]
	if !ok {
		return "", false
	}
	if sub != "" {
		clean := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			if r >= 'A' && r <= 'Z' {
				return r - 'A' + 'a'
			}
			return '-'
		}, sub)
		name += "-" + strings.Trim(clean, "-")
	}
	return filepath.Join("testdata", "scenarios", name+".trace"), true
}

// compareGolden compares got with the golden file of t, or rewrites it.
func compareGolden(t *testing.T, got string) {
	t.Helper()
	path, ok := goldenPath(t.Name())
	if !ok || t.Failed() || os.Getenv(noGoldenEnv) != "" {
		return
	}
	if *flagRewrite {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden trace: %v (create it with -rewrite)", err)
	}
	if got != string(want) {
		t.Errorf("the scenario's trace differs from %s (after an intended change, rerun with -rewrite and review the diff):\n%s",
			path, firstDiff(string(want), got))
	}
}

// checkGoldenTrace compares the event log of s with the golden trace of
// t, if t has one. It runs at the end of the test, from newScenario's
// cleanup.
func checkGoldenTrace(t *testing.T, s *sim) {
	t.Helper()
	if _, ok := goldenPath(t.Name()); ok {
		compareGolden(t, s.renderTrace(t.Name()))
	}
}

// renderTrace is the readable event log of a scenario: every step's
// events (deliveries except pings and notifications, crashes, cuts,
// proposals, established leaders), then each peer's final state.
func (s *sim) renderTrace(test string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: %d voters, %d observers, seed %d\n", test, s.opts.voters, s.opts.observers, s.seed)
	fmt.Fprintf(&b, "# step  event\n")
	for _, e := range s.trace {
		fmt.Fprintf(&b, "%6d  %s\n", e.step, e.text)
	}
	fmt.Fprintf(&b, "# final state\n")
	for _, id := range s.ids {
		sn := s.nodes[id]
		if !sn.up {
			fmt.Fprintf(&b, "node %d: down, disk accepted=%d current=%d snap=%s log=%v\n",
				id, sn.disk.hs.AcceptedEpoch, sn.disk.hs.CurrentEpoch, sn.disk.snap.Zxid, zxids(sn.disk.log))
			continue
		}
		st := sn.n.Status()
		fmt.Fprintf(&b, "node %d: %s leader=%d epoch=%d established=%v accepted=%d current=%d commit=%s log=%v\n",
			id, st.State, st.Leader, st.Epoch, st.Established, st.AcceptedEpoch, st.CurrentEpoch, st.Commit,
			zxids(sn.n.log.entries))
	}
	fmt.Fprintf(&b, "committed: %v\n", zxids(s.global))
	return b.String()
}

// firstDiff shows the first line where want and got differ, with context.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	from := max(0, i-3)
	var b strings.Builder
	for j := from; j < i; j++ {
		fmt.Fprintf(&b, "  %s\n", w[j])
	}
	for j := i; j < min(len(w), i+5); j++ {
		fmt.Fprintf(&b, "- %s\n", w[j])
	}
	for j := i; j < min(len(g), i+5); j++ {
		fmt.Fprintf(&b, "+ %s\n", g[j])
	}
	return b.String()
}

// traceStep records a message stepped into a single node.
func (s *single) traceStep(m Message, err error) {
	line := "step " + m.String()
	if err != nil {
		line += "  -> refused: " + err.Error()
	}
	s.trace = append(s.trace, line)
}

// traceReady records what a Ready of a single node asked for, and the
// node's state when it changed.
func (s *single) traceReady(rd *Ready) {
	if rd.Snapshot != nil {
		s.trace = append(s.trace, fmt.Sprintf("  install snapshot %s", rd.Snapshot.Zxid))
	}
	if rd.Truncate {
		s.trace = append(s.trace, fmt.Sprintf("  truncate after %s", rd.TruncateAfter))
	}
	if len(rd.Entries) > 0 {
		s.trace = append(s.trace, fmt.Sprintf("  log %v", zxids(rd.Entries)))
	}
	if rd.HardState != nil {
		s.trace = append(s.trace, fmt.Sprintf("  persist accepted=%d current=%d", rd.HardState.AcceptedEpoch, rd.HardState.CurrentEpoch))
	}
	for _, m := range rd.Messages {
		if m.Type != MsgNotification {
			s.trace = append(s.trace, "  send "+m.String())
		}
	}
	if len(rd.CommittedEntries) > 0 {
		s.trace = append(s.trace, fmt.Sprintf("  apply %v", zxids(rd.CommittedEntries)))
	}
	st := rd.Status
	state := fmt.Sprintf("  state %s leader=%d epoch=%d established=%v", st.State, st.Leader, st.Epoch, st.Established)
	if s.lastState != state {
		s.trace = append(s.trace, state)
		s.lastState = state
	}
}

// checkGoldenTrace compares what the single node was stepped and did
// with the golden trace of its test, if it has one.
func (s *single) checkGoldenTrace() {
	if _, ok := goldenPath(s.t.Name()); !ok {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: node %d of voters %v driven by hand (notifications not shown)\n", s.t.Name(), s.n.id, s.n.voters)
	for _, l := range s.trace {
		b.WriteString(l + "\n")
	}
	st := s.n.Status()
	fmt.Fprintf(&b, "# final state\nnode %d: %s leader=%d epoch=%d established=%v accepted=%d current=%d commit=%s log=%v\n",
		st.ID, st.State, st.Leader, st.Epoch, st.Established, st.AcceptedEpoch, st.CurrentEpoch, st.Commit, zxids(s.n.log.entries))
	compareGolden(s.t, b.String())
}

// propose proposes data on the single node (a leader), traced.
func (s *single) propose(data []byte) Zxid {
	s.t.Helper()
	z, err := s.n.Propose(data)
	require.NoError(s.t, err)
	s.trace = append(s.trace, fmt.Sprintf("propose %s %q", z, data))
	return z
}

// tick ticks the single node, traced.
func (s *single) tick() {
	s.n.Tick()
	s.trace = append(s.trace, "tick")
}
