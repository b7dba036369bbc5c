package zktest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
)

// KillEnv names the environment variable that enables the tests that kill
// and restart servers of the ensemble.
const KillEnv = "ZABKIT_ZK_KILL"

// Server is one server of the test's ensemble that can be killed and
// restarted: a server of the in-process ensemble, or an Apache ZooKeeper
// process that scripts/zk-ensemble.sh started.
type Server struct {
	Addr    string   // client address, host:port
	Dir     string   // DIR/serverN of the script (external only)
	cmdline []string // how it was started (external only)

	e *ensemble.Ensemble // in process: the ensemble and the server's index
	i int
}

// Servers of the ensemble whose client ports appear in the connect string,
// found among the running processes by their zoo.cfg. Only processes
// recorded in the script's pid files are considered. Skips the test when
// the ensemble was not started by scripts/zk-ensemble.sh on this machine.
//
// Killing servers disturbs every other test using the same ensemble at the
// same time (go test runs packages in parallel), so these tests run only
// when KillEnv is set to 1. On the in-process ensemble, each test's own,
// they always run.
func Ensemble(t testing.TB) []*Server {
	t.Helper()
	if External() == "" {
		e := ensembleOf(t)
		out := make([]*Server, e.Size())
		for i := range out {
			out[i] = &Server{Addr: e.ClientAddr(i), e: e, i: i}
		}
		return out
	}
	if os.Getenv(KillEnv) != "1" {
		t.Skipf("fault test kills ZooKeeper servers: set %s=1 (and run packages one at a time, go test -p 1) to run it", KillEnv)
	}
	want := map[string]string{} // port -> addr
	for _, a := range strings.Split(Servers(t), ",") {
		a = strings.TrimSpace(a)
		if i := strings.IndexByte(a, '/'); i >= 0 {
			a = a[:i]
		}
		if _, port, err := net.SplitHostPort(a); err == nil {
			want[port] = a
		}
	}
	var out []*Server
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !strings.Contains(string(raw), "QuorumPeerMain") {
			continue
		}
		args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		cfg := args[len(args)-1]
		if filepath.Base(cfg) != "zoo.cfg" {
			continue
		}
		port := cfgValue(cfg, "clientPort")
		addr, ok := want[port]
		if !ok {
			continue
		}
		dir := filepath.Dir(cfg)
		if p, err := os.ReadFile(filepath.Join(dir, "pid")); err != nil || strings.TrimSpace(string(p)) != strconv.Itoa(pid) {
			continue
		}
		out = append(out, &Server{Addr: addr, Dir: dir, cmdline: args})
	}
	if len(out) != len(want) || len(out) < 3 {
		t.Skipf("fault test: found %d of the %d servers of %s started by scripts/zk-ensemble.sh on this machine", len(out), len(want), Servers(t))
	}
	return out
}

func cfgValue(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), "="); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (s *Server) pid() int {
	p, err := os.ReadFile(filepath.Join(s.Dir, "pid"))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(p)))
	return n
}

// Mode asks the server for its mode with the srvr four-letter word
// ("leader", "follower", or "" when it does not answer).
func (s *Server) Mode() string {
	if s.e != nil {
		st, ok := s.e.State(s.i)
		switch {
		case !ok || !st.Serving:
			return ""
		case st.Leader == s.e.ID(s.i):
			return "leader"
		default:
			return "follower"
		}
	}
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "srvr"); err != nil {
		return ""
	}
	b, _ := io.ReadAll(c)
	for _, l := range strings.Split(string(b), "\n") {
		if m, ok := strings.CutPrefix(l, "Mode: "); ok {
			return strings.TrimSpace(m)
		}
	}
	return ""
}

// Kill stops the server at once (SIGKILL) and waits until it is gone.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	if s.e != nil {
		if err := s.e.Kill(s.i); err != nil {
			t.Fatalf("kill %s: %v", s.Addr, err)
		}
		t.Logf("killed server %s", s.Addr)
		return
	}
	pid := s.pid()
	if pid == 0 {
		t.Fatalf("kill %s: no pid", s.Addr)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %s (pid %d): %v", s.Addr, pid, err)
	}
	poll(t, 20*time.Second, "server "+s.Addr+" to exit", func() bool {
		// A killed child of another parent may linger as a zombie; its
		// cmdline is then empty.
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		return err != nil || len(raw) == 0
	})
	t.Logf("killed server %s (pid %d)", s.Addr, pid)
}

// Restart starts the server again with its original command line, detached
// (as the script does, so the script's stop still finds it), records its
// pid, and waits until it serves as leader or follower.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.e != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := s.e.Restart(ctx, s.i); err != nil {
			t.Fatalf("restart %s: %v", s.Addr, err)
		}
		s.WaitServing(t)
		t.Logf("restarted server %s", s.Addr)
		return
	}
	log := filepath.Join(s.Dir, "server.log")
	args := append([]string{"-c", `nohup "$@" >>"$LOGFILE" 2>&1 </dev/null & echo $!`, "sh"}, s.cmdline...)
	cmd := exec.Command("/bin/sh", args...)
	cmd.Env = append(os.Environ(), "LOGFILE="+log)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("restart %s: %v", s.Addr, err)
	}
	pid := strings.TrimSpace(string(out))
	if err := os.WriteFile(filepath.Join(s.Dir, "pid"), []byte(pid+"\n"), 0o644); err != nil {
		t.Fatalf("restart %s: %v", s.Addr, err)
	}
	s.WaitServing(t)
	t.Logf("restarted server %s (pid %s)", s.Addr, pid)
}

// WaitServing waits until the server answers as leader or follower.
func (s *Server) WaitServing(t testing.TB) {
	t.Helper()
	if s.e != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := s.e.WaitServer(ctx, s.i); err != nil {
			t.Fatalf("server %s to serve: %v", s.Addr, err)
		}
		return
	}
	poll(t, 60*time.Second, "server "+s.Addr+" to serve", func() bool {
		m := s.Mode()
		return m == "leader" || m == "follower"
	})
}

// Leader returns the server that reports itself leader, waiting for one.
func Leader(t testing.TB, servers []*Server) *Server {
	t.Helper()
	if len(servers) > 0 && servers[0].e != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		l, err := servers[0].e.WaitLeader(ctx)
		if err != nil {
			t.Fatalf("waiting for a leader: %v", err)
		}
		return servers[l]
	}
	var l *Server
	poll(t, 60*time.Second, "a leader", func() bool {
		for _, s := range servers {
			if s.Mode() == "leader" {
				l = s
				return true
			}
		}
		return false
	})
	return l
}

// ByAddr returns the server with client address addr.
func ByAddr(t testing.TB, servers []*Server, addr string) *Server {
	t.Helper()
	for _, s := range servers {
		if s.Addr == addr {
			return s
		}
	}
	t.Fatalf("no server %s among the ensemble", addr)
	return nil
}

// poll checks cond every 100ms until it holds; it is used only to wait for
// external processes (JVMs) that offer nothing to wait on.
func poll(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		<-tick.C
	}
}

// DialFollowers opens a session (closed at cleanup) whose connect string
// holds only the ensemble's followers, and returns it with the follower it
// is connected to. Killing that server then leaves a quorum that needs no
// election, so the client reconnects to the other follower at once: tests
// of "the client's own server dies" use it to stay independent of how long
// an election takes. (Killing the ensemble leader is a different fault,
// tested on its own.)
func DialFollowers(t testing.TB, servers []*Server, opts ...client.Option) (*client.Conn, *Server) {
	t.Helper()
	leader := Leader(t, servers)
	var addrs []string
	for _, s := range servers {
		if s != leader {
			addrs = append(addrs, s.Addr)
		}
	}
	opts = append([]client.Option{
		client.WithSessionTimeout(SessionTimeout),
		client.WithServerOrder(func([]string) {}), // first follower first
	}, opts...)
	c, err := client.Dial(Ctx(t), strings.Join(addrs, ","), opts...)
	if err != nil {
		t.Fatalf("Dial %v: %v", addrs, err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c, ByAddr(t, servers, c.Server())
}
