package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runCmd runs the binary's command line in process with stdin and returns
// stdout, stderr and the error.
func runCmd(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	env := &environ{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut}
	err := run(ctx, env, args)
	return out.String(), errOut.String(), err
}

func TestCLIScript(t *testing.T) { cliScript(t, zabkitServers(t)) }

func TestCLIScriptAgainstZooKeeper(t *testing.T) { cliScript(t, zooKeeperServers(t)) }

// cliScript runs a scripted cli session against servers and checks its
// output.
func cliScript(t *testing.T, servers string) {
	root := fmt.Sprintf("/zabkit-cli-test-%08x", rand.Uint32())
	script := strings.ReplaceAll(`# a scripted session
create ROOT
get ROOT
create ROOT/a "hello world"
create -e ROOT/eph
create -s ROOT/seq- one
create -e -s ROOT/eseq- two
get ROOT/a
set ROOT/a 'new data'
get ROOT/a
set ROOT/a stale 0
ls ROOT
stat ROOT/a
sync ROOT
delete ROOT/a 5
delete ROOT/a
get ROOT/a
ls ROOT/missing
bogus
create -x ROOT/b
create ROOT/unterminated "oops

quit
ls ROOT
`, "ROOT", root)
	out, errOut, err := runCmd(t, script, "cli", "-server", servers)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "7 command(s) failed")

	// The Stat block has times that differ per run; check its shape apart.
	statRe := regexp.MustCompile(`(?s)cZxid = 0x[0-9a-f]+\nctime = .*?\nmZxid = 0x[0-9a-f]+\nmtime = .*?\npZxid = 0x[0-9a-f]+\n` +
		`cversion = 0\ndataVersion = 1\naclVersion = 0\nephemeralOwner = 0x0\ndataLength = 8\nnumChildren = 0\n`)
	require.Regexp(t, statRe, out)
	out = statRe.ReplaceAllString(out, "STAT\n")
	want := strings.ReplaceAll(`Created ROOT
null
Created ROOT/a
Created ROOT/eph
Created ROOT/seq-0000000002
Created ROOT/eseq-0000000003
hello world
new data
[a, eph, eseq-0000000003, seq-0000000002]
STAT
Sync is OK
`, "ROOT", root)
	assert.Equal(t, want, out)

	errLines := strings.Split(strings.TrimSpace(errOut), "\n")
	require.Len(t, errLines, 7, errOut)
	for i, want := range []string{
		"line 11: set " + root + "/a: zk: bad version",
		"line 15: delete " + root + "/a: zk: bad version",
		"line 17: get " + root + "/a: zk: no node",
		"line 18: children " + root + "/missing: zk: no node",
		`line 19: unknown command "bogus"`,
		"line 20: create: unknown flag -x",
		"line 21: unterminated \" quote",
	} {
		assert.Contains(t, errLines[i], want)
	}

	// The session ended with the script: its ephemerals are gone.
	out, _, err = runCmd(t, "", "cli", "-server", servers, "ls", root)
	require.NoError(t, err)
	assert.Equal(t, "[seq-0000000002]\n", out)
	_, _, err = runCmd(t, "delete "+root+"/seq-0000000002\ndelete "+root+"\n", "cli", "-server", servers)
	require.NoError(t, err)
}

func TestCLIOneShot(t *testing.T) {
	servers := zabkitServers(t)
	root := fmt.Sprintf("/zabkit-cli-oneshot-%08x", rand.Uint32())
	out, _, err := runCmd(t, "", "cli", "-server", servers, "create", root, "x y")
	require.NoError(t, err)
	assert.Equal(t, "Created "+root+"\n", out)
	out, _, err = runCmd(t, "", "cli", "-server", servers, "get", root)
	require.NoError(t, err)
	assert.Equal(t, "x y\n", out)
	_, _, err = runCmd(t, "", "cli", "-server", servers, "create", root)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node already exists")
	_, _, err = runCmd(t, "", "cli", "-server", servers, "delete", root)
	require.NoError(t, err)
}

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"ls /", []string{"ls", "/"}, false},
		{"  set\t/a   b  ", []string{"set", "/a", "b"}, false},
		{`set /a "x y"`, []string{"set", "/a", "x y"}, false},
		{`set /a 'x "y"'`, []string{"set", "/a", `x "y"`}, false},
		{`set /a "x \"y\""`, []string{"set", "/a", `x "y"`}, false},
		{`set /a x\ y`, []string{"set", "/a", "x y"}, false},
		{`set /a ''`, []string{"set", "/a", ""}, false},
		{`set /a 'a\b'`, []string{"set", "/a", `a\b`}, false},
		{`set /a "x`, nil, true},
		{"", nil, false},
	}
	for _, tt := range tests {
		got, err := splitWords(tt.in)
		if tt.err {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestUsage(t *testing.T) {
	_, errOut, err := runCmd(t, "")
	assert.ErrorIs(t, err, errUsage)
	assert.Contains(t, errOut, "usage: zabkit <command>")
	_, errOut, err = runCmd(t, "", "frobnicate")
	assert.ErrorIs(t, err, errUsage)
	assert.Contains(t, errOut, `unknown command "frobnicate"`)
	out, _, err := runCmd(t, "", "help")
	assert.NoError(t, err)
	for _, c := range []string{"server", "cli", "bench", "4lw"} {
		assert.Contains(t, out, "  "+c+" ")
	}
	_, _, err = runCmd(t, "", "server")
	assert.ErrorIs(t, err, errUsage)
	_, _, err = runCmd(t, "", "server", "-h")
	assert.ErrorIs(t, err, errHelp)
	_, _, err = runCmd(t, "", "bench", "-clients", "0")
	assert.ErrorIs(t, err, errUsage)
}

func TestBenchInProcess(t *testing.T) {
	out, _, err := runCmd(t, "", "bench", "-clients", "2", "-duration", "300ms", "-seed", "7")
	require.NoError(t, err)
	assert.Contains(t, out, "in-process ensemble of 3 servers")
	assert.Contains(t, out, "2 clients, 100-byte writes, 50% reads, seed 7")
	assert.Regexp(t, `\d+ ops, \d+ ops/s, 0 errors`, out)
	assert.Regexp(t, `get: \d+ ops, .* p50 `, out)
	assert.Regexp(t, `set: \d+ ops, .* p99 `, out)
}

func TestCLIInteractivePrompt(t *testing.T) {
	servers := zabkitServers(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	env := &environ{stdin: strings.NewReader("ls /zookeeper\nget /nope\nhelp\n"), stdout: &out, stderr: &errOut, stdinTTY: true}
	err := run(ctx, env, []string{"cli", "-server", servers})
	require.Error(t, err, "one command failed")
	prompt := "[zabkit: " + servers + "] "
	assert.True(t, strings.HasPrefix(out.String(), prompt+"[config, quota]\n"+prompt), out.String())
	assert.Contains(t, out.String(), "create [-e] [-s] <path> [data]")
	assert.Equal(t, 4, strings.Count(out.String(), prompt), "a prompt before each line and at the end")
	assert.Equal(t, "get /nope: zk: no node\n", errOut.String(), "no line numbers when interactive")
}
