package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The process tests run `zabkit server` as separate processes. The test
// binary is the zabkit binary: TestMain runs main() when beBinaryEnv is set,
// so no separate build is needed.
const beBinaryEnv = "ZABKIT_TEST_BE_BINARY"

// freePorts returns n loopback ports the kernel reports free.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		require.NoError(t, l.Close())
	}
	return ports
}

// proc is one `zabkit server` process.
type proc struct {
	t      *testing.T
	name   string
	cfg    string
	client string // 127.0.0.1:port
	cmd    *exec.Cmd
	log    *lockedBuffer
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// lockedBuffer collects a process's output for the test log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startProc starts `zabkit server cfg`. Its output is logged when the test
// fails; it is killed at cleanup if still running.
func startProc(t *testing.T, name, cfg, clientAddr string, logs *lockedBuffer) *proc {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	p := &proc{t: t, name: name, cfg: cfg, client: clientAddr, log: logs, exited: make(chan struct{})}
	p.cmd = exec.Command(self, "server", "-log-level", "debug", cfg)
	p.cmd.Env = append(os.Environ(), beBinaryEnv+"=1")
	pw := &prefixWriter{prefix: name + " ", w: logs}
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	require.NoError(t, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// prefixWriter prefixes every line with the process name.
type prefixWriter struct {
	mu     sync.Mutex
	prefix string
	w      io.Writer
	part   []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.part = append(p.part, b...)
	for {
		i := bytes.IndexByte(p.part, '\n')
		if i < 0 {
			return len(b), nil
		}
		if _, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.part[:i]); err != nil {
			return 0, err
		}
		p.part = p.part[i+1:]
	}
}

// kill9 sends SIGKILL and waits for the process to die.
func (p *proc) kill9() {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGKILL))
	<-p.exited
}

// terminate sends SIGTERM and waits for a graceful exit (status 0).
func (p *proc) terminate(ctx context.Context) error { return p.stop(ctx, syscall.SIGTERM) }

// stop sends sig and waits for the process to exit; the result is nil for
// exit status 0.
func (p *proc) stop(ctx context.Context, sig os.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil {
		return err
	}
	select {
	case <-p.exited:
		return p.err
	case <-ctx.Done():
		return fmt.Errorf("%s did not exit after %v: %w", p.name, sig, ctx.Err())
	}
}

// srvr returns the fields of the srvr four-letter word ("Mode", "Zxid"...).
func srvr(ctx context.Context, addr string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	out, err := fourLetter(ctx, addr, "srvr")
	if err != nil {
		return nil, err
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok {
			fields[k] = v
		}
	}
	if fields["Mode"] == "" {
		return nil, fmt.Errorf("srvr on %s: no Mode in %q", addr, out)
	}
	return fields, nil
}

// poll calls cond every 20ms until it returns true or ctx ends; it is the
// way to wait for another process, which offers no event to wait on. It
// gives up early if one of procs exits.
func poll(ctx context.Context, what string, procs []*proc, cond func() bool) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		for _, p := range procs {
			select {
			case <-p.exited:
				return fmt.Errorf("waiting for %s: %s exited: %v", what, p.name, p.err)
			default:
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// writeQuorumConfigs writes dataDir/myid and zoo.cfg for n servers under
// dir and returns the config paths and client addresses.
func writeQuorumConfigs(t *testing.T, dir string, n int) (cfgs, clients []string) {
	t.Helper()
	ports := freePorts(t, 3*n)
	var servers strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&servers, "server.%d=127.0.0.1:%d:%d\n", i, ports[3*(i-1)+1], ports[3*(i-1)+2])
	}
	for i := 1; i <= n; i++ {
		sdir := filepath.Join(dir, fmt.Sprintf("server%d", i))
		data := filepath.Join(sdir, "data")
		require.NoError(t, os.MkdirAll(data, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(data, "myid"), []byte(strconv.Itoa(i)+"\n"), 0o644))
		client := ports[3*(i-1)]
		cfg := fmt.Sprintf(`# a 3-server ensemble on loopback
tickTime=50
initLimit=40
syncLimit=10
dataDir=%s
clientPortAddress=127.0.0.1
clientPort=%d
minSessionTimeout=100
maxSessionTimeout=60000
4lw.commands.whitelist=*
admin.enableServer=false
%s`, data, client, servers.String())
		path := filepath.Join(sdir, "zoo.cfg")
		require.NoError(t, os.WriteFile(path, []byte(cfg), 0o644))
		cfgs = append(cfgs, path)
		clients = append(clients, fmt.Sprintf("127.0.0.1:%d", client))
	}
	return cfgs, clients
}
