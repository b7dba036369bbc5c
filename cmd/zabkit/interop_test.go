package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The interop tests drive the ZooKeeper command-line clients Debian ships
// (zookeeper: zkCli.sh, the Java client; zookeeper-bin: cli_mt, the C
// client) through a scripted session and check what they print. They run
// against a zabkit server and, when ZABKIT_ZK_SERVERS is set, against
// Apache ZooKeeper too, which shows the expected output is ZooKeeper's.

const (
	zkCliPath = "/usr/share/zookeeper/bin/zkCli.sh"
	cliMTPath = "/usr/lib/zookeeper/bin/cli_mt"
)

// needZkCli skips the test unless zkCli.sh and java are installed.
func needZkCli(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(zkCliPath); err != nil {
		t.Skipf("%s is missing (Debian package zookeeper): %v", zkCliPath, err)
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("java is not on PATH (Debian package default-jre-headless); zkCli.sh needs it")
	}
}

// needCliMT skips the test unless cli_mt is installed.
func needCliMT(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(cliMTPath); err != nil {
		t.Skipf("%s is missing (Debian package zookeeper-bin): %v", cliMTPath, err)
	}
}

// zkCliSession runs a create/get/set/ls/stat/delete script through
// zkCli.sh against server (host:port) and checks its output.
func zkCliSession(t *testing.T, server string) {
	t.Helper()
	root := fmt.Sprintf("/zkcli-%08x", rand.Uint32())
	script := strings.ReplaceAll(`create ROOT "hello world"
create -e ROOT/e
create -s ROOT/s- x
get ROOT
set ROOT world
get ROOT
ls ROOT
stat ROOT
delete ROOT
delete ROOT/e
ls ROOT
deleteall ROOT
get ROOT
quit
`, "ROOT", root)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, zkCliPath, "-server", server)
	cmd.Stdin = strings.NewReader(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("zkCli.sh -server %s\nstdout:\n%s\nstderr:\n%s", server, stdout.String(), stderr.String())
	// zkCli exits 1 because the last command (get of a deleted node) failed.
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 1, exit.ExitCode())

	zxid := regexp.MustCompile(`(?m)^(cZxid|mZxid|pZxid) = 0x[0-9a-f]+$`)
	date := regexp.MustCompile(`(?m)^(ctime|mtime) = \w{3} \w{3} \d\d \d\d:\d\d:\d\d \w+ \d{4}$`)
	out := zxid.ReplaceAllString(stdout.String(), "$1 = ZXID")
	out = date.ReplaceAllString(out, "$1 = DATE")
	assert.Contains(t, out, "WatchedEvent state:SyncConnected type:None path:null\n"+
		`hello world
world
[e, s-0000000001]
cZxid = ZXID
ctime = DATE
mZxid = ZXID
mtime = DATE
pZxid = ZXID
cversion = 2
dataVersion = 1
aclVersion = 0
ephemeralOwner = 0x0
dataLength = 5
numChildren = 2
[s-0000000001]
`)
	var errLines []string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if l != "" && !strings.HasPrefix(l, "SLF4J") {
			errLines = append(errLines, l)
		}
	}
	assert.Equal(t, []string{
		"Created " + root,
		"Created " + root + "/e",
		"Created " + root + "/s-0000000001",
		"Node not empty: " + root,
		"Node does not exist: " + root,
	}, errLines)
}

// cliMT drives cli_mt, the C client's shell, one command at a time: it
// writes a line and waits for the completion the command prints on stderr.
type cliMT struct {
	t     *testing.T
	stdin io.WriteCloser
	lines chan string
	log   *bytes.Buffer
}

func startCliMT(t *testing.T, server string) *cliMT {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, cliMTPath, "-h", server)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	pr, pw := io.Pipe()
	cmd.Stderr, cmd.Stdout = pw, pw
	require.NoError(t, cmd.Start())
	c := &cliMT{t: t, stdin: stdin, lines: make(chan string, 1024), log: &bytes.Buffer{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(c.lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			cancel()
			<-waited
		}
		cancel()
		_ = pw.Close()
		for range c.lines {
		}
		<-done
		t.Logf("cli_mt -h %s:\n%s", server, c.log.String())
	})
	return c
}

// expect reads lines until one matches re and returns it (with the
// lines before it), failing the test after a minute.
func (c *cliMT) expect(re string) []string {
	c.t.Helper()
	rx := regexp.MustCompile(re)
	var seen []string
	timeout := time.After(time.Minute)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("cli_mt exited while waiting for %q", re)
			}
			c.log.WriteString(l + "\n")
			seen = append(seen, l)
			if rx.MatchString(l) {
				return seen
			}
		case <-timeout:
			c.t.Fatalf("no line matching %q from cli_mt within a minute; saw %q", re, seen)
		}
	}
}

// send writes one command line.
func (c *cliMT) send(line string) {
	c.t.Helper()
	c.log.WriteString("> " + line + "\n")
	_, err := io.WriteString(c.stdin, line+"\n")
	require.NoError(c.t, err)
}

// cliMTSession runs create/get/set/ls/delete through cli_mt against server
// and checks each completion.
func cliMTSession(t *testing.T, server string) {
	t.Helper()
	root := fmt.Sprintf("/climt-%08x", rand.Uint32())
	c := startCliMT(t, server)
	c.expect(`^Watcher SESSION_EVENT state = CONNECTED_STATE$`)

	// cli_mt's create always writes the three bytes "new".
	c.send("create " + root)
	c.expect(`^\[` + root + `\]: rc = 0$`)
	assert.Equal(t, "\tname = "+root, c.expect(`name = `)[0])

	c.send("create " + root + "/child")
	c.expect(`^\[` + root + `/child\]: rc = 0$`)

	c.send("get " + root) // also leaves a data watch
	c.expect(`^` + root + `: rc = 0$`)
	assert.Equal(t, []string{" value_len = 3", "new"}, c.expect(`^new$`))

	c.send("set " + root + " changed data")
	got := c.expect(`^` + root + `: rc = 0 Stat:$`)
	// The watch set by get fires before (or around) the set's completion.
	if !containsMatch(got, `CHANGED_EVENT`) {
		c.expect(`^Watcher CHANGED_EVENT state = CONNECTED_STATE for path ` + root + `$`)
	}

	c.send("get " + root)
	c.expect(`^` + root + `: rc = 0$`)
	assert.Equal(t, []string{" value_len = 12", "changed data"}, c.expect(`^changed data$`))

	c.send("ls " + root)
	c.expect(`^` + root + `: rc = 0$`)
	assert.Equal(t, "\tchild", c.expect(`^\tchild$`)[0])

	c.send("delete " + root)
	c.expect(`^` + root + `: rc = -111$`) // ZNOTEMPTY

	c.send("delete " + root + "/child")
	c.expect(`^` + root + `/child: rc = 0$`)
	c.send("delete " + root)
	c.expect(`^` + root + `: rc = 0$`)

	c.send("get " + root)
	c.expect(`^` + root + `: rc = -101$`) // ZNONODE

	c.send("quit")
	c.expect(`^Quitting\.\.\.$`)
}

func containsMatch(lines []string, re string) bool {
	rx := regexp.MustCompile(re)
	for _, l := range lines {
		if rx.MatchString(l) {
			return true
		}
	}
	return false
}

// firstServer returns the first host:port of a connect string.
func firstServer(servers string) string {
	first, _, _ := strings.Cut(servers, ",")
	return first
}

func TestZkCli(t *testing.T) {
	needZkCli(t)
	zkCliSession(t, firstServer(zabkitServers(t)))
}

func TestCliMT(t *testing.T) {
	needCliMT(t)
	cliMTSession(t, firstServer(zabkitServers(t)))
}

func TestZkCliAgainstZooKeeper(t *testing.T) {
	needZkCli(t)
	zkCliSession(t, firstServer(zooKeeperServers(t)))
}

func TestCliMTAgainstZooKeeper(t *testing.T) {
	needCliMT(t)
	cliMTSession(t, firstServer(zooKeeperServers(t)))
}
