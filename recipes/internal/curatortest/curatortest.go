// Package curatortest runs small Java programs built on Apache Curator
// beside the Go recipes in the recipes' interoperability tests.
//
// A package keeps its programs in testdata/curator/*.java. New compiles
// them all, with this package's Harness.java (a started client, output
// lines flushed at once, stop on a "stop" line or closed stdin), in one
// javac run per test binary; the classes are cached in the temporary
// directory under a hash of the sources and the classpath, so a second
// run of the same tests does not compile again. Run runs a program to its
// end and returns its output lines; Start runs one in the background,
// streams its lines, sends it commands, and stops it at the test's end.
//
// The programs need java, javac and Curator 5's jars with their
// dependencies: the classpath in ZABKIT_CURATOR_CLASSPATH, or Debian's
// packages (libcurator-recipes-java, libcurator-discovery-java and their
// dependencies) in /usr/share/java. Without them the tests are skipped
// with one line saying what to install, unless ZABKIT_CURATOR_REQUIRED is
// set (as CI does), which fails them instead.
package curatortest

import (
	"bufio"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// ClasspathEnv names the environment variable with an explicit classpath
// for Curator and its dependencies.
const ClasspathEnv = "ZABKIT_CURATOR_CLASSPATH"

// RequiredEnv names the environment variable that turns a missing Java or
// Curator into a test failure instead of a skip.
const RequiredEnv = "ZABKIT_CURATOR_REQUIRED"

// Jars are the jars Curator 5.4's recipes and service discovery need at
// run time, as Debian installs them in /usr/share/java.
var Jars = []string{"curator-recipes", "curator-x-discovery", "curator-framework", "curator-client",
	"zookeeper", "zookeeper-jute", "guava", "slf4j-api", "slf4j-nop",
	"jackson-databind", "jackson-core", "jackson-annotations"}

const install = "Curator interop tests skipped: needs java, javac (apt-get install default-jdk-headless) and Curator 5 " +
	"(apt-get install libcurator-recipes-java libcurator-discovery-java libslf4j-java, or " + ClasspathEnv + ")"

//go:embed Harness.java
var harness []byte

// Java is a package's compiled testdata/curator programs.
type Java struct {
	classpath string
}

var (
	mu       sync.Mutex
	compiled = map[string]*Java{} // by source directory
)

// New compiles the calling package's testdata/curator/*.java once per test
// binary and returns the programs, or skips t (see the package doc).
func New(t testing.TB) *Java {
	t.Helper()
	cp, missing := classpath()
	if missing != "" {
		if os.Getenv(RequiredEnv) != "" {
			t.Fatalf("%s is set but %s", RequiredEnv, missing)
		}
		t.Skip(install)
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "curator"))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if j := compiled[dir]; j != nil {
		return j
	}
	classes, err := compile(dir, cp)
	if err != nil {
		t.Fatalf("compiling %s: %v", dir, err)
	}
	j := &Java{classpath: classes + string(filepath.ListSeparator) + cp}
	compiled[dir] = j
	return j
}

// classpath returns Curator's classpath, or what is missing.
func classpath() (cp, missing string) {
	for _, tool := range []string{"java", "javac"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", tool + " is not found"
		}
	}
	if cp := os.Getenv(ClasspathEnv); cp != "" {
		return cp, ""
	}
	var jars []string
	for _, j := range Jars {
		p := filepath.Join("/usr/share/java", j+".jar")
		if _, err := os.Stat(p); err != nil {
			return "", p + " is missing"
		}
		jars = append(jars, p)
	}
	return strings.Join(jars, string(filepath.ListSeparator)), ""
}

// compile compiles dir's Java sources with Harness.java into a directory
// named by their hash, unless an earlier run did, and returns it.
func compile(dir, cp string) (string, error) {
	srcs, err := filepath.Glob(filepath.Join(dir, "*.java"))
	if err != nil || len(srcs) == 0 {
		return "", fmt.Errorf("no Java sources in %s", dir)
	}
	slices.Sort(srcs)
	h := sha256.New()
	h.Write(harness)
	fmt.Fprintf(h, "\x00%s", cp)
	for _, s := range srcs {
		b, err := os.ReadFile(s)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "\x00%s\x00%d\x00", filepath.Base(s), len(b))
		h.Write(b)
	}
	out := filepath.Join(os.TempDir(), "zabkit-curatortest-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(out, "Harness.class")); err == nil {
		return out, nil
	}
	tmp, err := os.MkdirTemp(os.TempDir(), "zabkit-curatortest-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "src")
	classes := filepath.Join(tmp, "classes")
	if err := os.Mkdir(src, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "Harness.java"), harness, 0o644); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := append([]string{"-nowarn", "-encoding", "UTF-8", "-d", classes, "-cp", cp, filepath.Join(src, "Harness.java")}, srcs...)
	if b, err := exec.CommandContext(ctx, "javac", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("javac: %v\n%s", err, b)
	}
	// Another test binary may have finished the same classes meanwhile;
	// either copy is good.
	if err := os.Rename(classes, out); err != nil {
		if _, serr := os.Stat(filepath.Join(out, "Harness.class")); serr != nil {
			return "", err
		}
	}
	return out, nil
}

// Run runs program class with args to its end and returns its output
// lines, failing t if it exits with an error.
func (j *Java) Run(t testing.TB, class string, args ...string) []string {
	t.Helper()
	p := j.Start(t, class, args...)
	var lines []string
	for l := range p.lines {
		lines = append(lines, l)
	}
	if err := p.wait(); err != nil {
		t.Fatalf("java %s %v: %v\n%s", class, args, err, p.stderr.String())
	}
	return lines
}

// Proc is a running Java program.
type Proc struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // its exit error, set before done closes

	stopOnce sync.Once
}

// Start starts program class with args. The program is stopped (a "stop"
// line, stdin closed, killed if it has not exited soon after) when the
// test ends.
func (j *Java) Start(t testing.TB, class string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command("java", append([]string{"-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", j.classpath, class}, args...)...)
	p := &Proc{name: class, cmd: cmd, lines: make(chan string, 1024), stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("java %s: %v", class, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		p.err = cmd.Wait()
		close(p.lines)
		close(p.done)
	}()
	t.Cleanup(func() {
		if err := p.Stop(); err != nil && !errors.Is(err, errKilled) && !t.Failed() {
			t.Logf("java %s: %v\n%s", class, err, p.stderr.String())
		}
	})
	return p
}

var errKilled = errors.New("killed after stop was not obeyed")

// Send writes one command line to the program's stdin.
func (p *Proc) Send(t testing.TB, line string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		t.Fatalf("java %s: send %q: %v", p.name, line, err)
	}
}

// Lines returns the program's output lines, closed when it exits. Use
// either Lines or Next, not both.
func (p *Proc) Lines() <-chan string { return p.lines }

// Next returns the program's next output line split at tabs. It fails t
// if the program exits first or ctx ends.
func (p *Proc) Next(ctx context.Context, t testing.TB) []string {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			<-p.done
			t.Fatalf("java %s exited (%v) before its next line\n%s", p.name, p.err, p.stderr.String())
		}
		return strings.Split(l, "\t")
	case <-ctx.Done():
		t.Fatalf("java %s: no output line: %v\n%s", p.name, ctx.Err(), p.stderr.String())
	}
	return nil
}

// Expect reads output lines until one whose first field is first, and
// returns its fields. Other lines are logged and skipped.
func (p *Proc) Expect(ctx context.Context, t testing.TB, first string) []string {
	t.Helper()
	for {
		f := p.Next(ctx, t)
		if f[0] == first {
			return f
		}
		t.Logf("java %s: %s", p.name, strings.Join(f, "\t"))
	}
}

// Stop asks the program to finish (a "stop" line, then stdin closed),
// kills it if it has not exited within 20 seconds, and returns its exit
// error. The output lines not yet read are dropped. Stop may be called
// more than once.
func (p *Proc) Stop() error {
	p.stopOnce.Do(func() {
		_, _ = io.WriteString(p.stdin, "stop\n")
		_ = p.stdin.Close()
		go func() {
			for range p.lines {
			}
		}()
		tm := time.NewTimer(20 * time.Second)
		defer tm.Stop()
		select {
		case <-p.done:
		case <-tm.C:
			_ = p.cmd.Process.Kill()
			<-p.done
			p.err = errKilled
		}
	})
	<-p.done
	return p.err
}

// Wait waits for the program to exit on its own and returns its exit
// error; its stderr is in the error when it failed.
func (p *Proc) Wait(ctx context.Context) error {
	select {
	case <-p.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if p.err != nil {
		return fmt.Errorf("java %s: %w\n%s", p.name, p.err, p.stderr.String())
	}
	return nil
}

func (p *Proc) wait() error { <-p.done; return p.err }

// Stderr returns what the program wrote to stderr so far.
func (p *Proc) Stderr() string { return p.stderr.String() }

// syncBuffer is a strings.Builder safe for the writer goroutine and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(b)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
