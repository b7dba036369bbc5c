package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zabkit/zabkit/client"
)

// cliHelp is the shell's command list.
const cliHelp = `commands:
  ls <path>                        list the children, sorted
  get <path>                       print the data
  set <path> <data> [version]      replace the data (version -1 or absent: any)
  create [-e] [-s] <path> [data]   create a node (-e ephemeral, -s sequential)
  delete <path> [version]          delete a node
  stat <path>                      print the node's Stat
  sync <path>                      wait until the server has every committed change
  help                             this list
  quit                             leave the shell
Arguments may be quoted with "..." or '...'; lines starting with # are skipped.`

// runCLI is `zabkit cli`: one command from the arguments, or a script of
// commands from stdin (with a prompt when stdin is a terminal).
func runCLI(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "cli", "-server host:port[,host:port...] [command [args...]]")
	servers := fs.String("server", "127.0.0.1:2181", "connect string (host:port,...[/chroot])")
	sessionTimeout := fs.Duration("timeout", 10*time.Second, "session timeout")
	cmdTimeout := fs.Duration("cmd-timeout", 30*time.Second, "bound on connecting and on each command")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dialCtx, cancel := context.WithTimeout(ctx, *cmdTimeout)
	conn, err := client.Dial(dialCtx, *servers, client.WithSessionTimeout(*sessionTimeout))
	cancel()
	if err != nil {
		return fmt.Errorf("connect to %s: %w", *servers, err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	sh := &shell{conn: conn, out: env.stdout, timeout: *cmdTimeout}
	if fs.NArg() > 0 {
		_, err := sh.exec(ctx, fs.Args())
		return err
	}
	return sh.script(ctx, env, *servers)
}

// shell runs cli commands on one session.
type shell struct {
	conn    *client.Conn
	out     io.Writer
	timeout time.Duration
}

// errQuit ends a script early, successfully.
var errQuit = errors.New("quit")

// script runs one command per line of env.stdin. A failed command is
// reported on stderr and the script goes on; the result is an error if any
// command failed.
func (sh *shell) script(ctx context.Context, env *environ, servers string) error {
	in := bufio.NewScanner(env.stdin)
	in.Buffer(make([]byte, 0, 64*1024), 16<<20)
	failed, lineNo := 0, 0
	prompt := func() {
		if env.stdinTTY {
			fmt.Fprintf(env.stdout, "[zabkit: %s] ", servers)
		}
	}
	prompt()
	for in.Scan() {
		lineNo++
		line := strings.TrimSpace(in.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			prompt()
			continue
		}
		words, err := splitWords(line)
		if err == nil {
			_, err = sh.exec(ctx, words)
		}
		if errors.Is(err, errQuit) {
			break
		}
		if err != nil {
			failed++
			if env.stdinTTY {
				fmt.Fprintln(env.stderr, err)
			} else {
				fmt.Fprintf(env.stderr, "line %d: %v\n", lineNo, err)
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		prompt()
	}
	if err := in.Err(); err != nil {
		return fmt.Errorf("reading commands: %w", err)
	}
	if failed > 0 {
		return fmt.Errorf("%d command(s) failed", failed)
	}
	return nil
}

// exec runs one command. It returns the command's name.
func (sh *shell) exec(ctx context.Context, words []string) (string, error) {
	if len(words) == 0 {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, sh.timeout)
	defer cancel()
	name, args := words[0], words[1:]
	var err error
	switch name {
	case "ls":
		err = sh.ls(ctx, args)
	case "get":
		err = sh.get(ctx, args)
	case "set":
		err = sh.set(ctx, args)
	case "create":
		err = sh.create(ctx, args)
	case "delete", "rm":
		err = sh.delete(ctx, args)
	case "stat":
		err = sh.stat(ctx, args)
	case "sync":
		err = sh.sync(ctx, args)
	case "help", "?":
		fmt.Fprintln(sh.out, cliHelp)
	case "quit", "exit":
		return name, errQuit
	default:
		err = fmt.Errorf("unknown command %q (try help)", name)
	}
	return name, err
}

func wantArgs(cmd string, args []string, min, max int, synopsis string) error {
	if len(args) < min || len(args) > max {
		return fmt.Errorf("usage: %s %s", cmd, synopsis)
	}
	return nil
}

func parseVersion(s string) (int32, error) {
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("version %q is not an integer", s)
	}
	return int32(v), nil
}

func (sh *shell) ls(ctx context.Context, args []string) error {
	if err := wantArgs("ls", args, 1, 1, "<path>"); err != nil {
		return err
	}
	kids, _, err := sh.conn.Children(ctx, args[0])
	if err != nil {
		return err
	}
	slices.Sort(kids)
	fmt.Fprintf(sh.out, "[%s]\n", strings.Join(kids, ", "))
	return nil
}

func (sh *shell) get(ctx context.Context, args []string) error {
	if err := wantArgs("get", args, 1, 1, "<path>"); err != nil {
		return err
	}
	data, _, err := sh.conn.Get(ctx, args[0])
	if err != nil {
		return err
	}
	if data == nil {
		// zkCli.sh prints null data (a node created without data) as "null",
		// empty data as an empty line.
		fmt.Fprintln(sh.out, "null")
		return nil
	}
	fmt.Fprintf(sh.out, "%s\n", data)
	return nil
}

func (sh *shell) set(ctx context.Context, args []string) error {
	if err := wantArgs("set", args, 2, 3, "<path> <data> [version]"); err != nil {
		return err
	}
	version := client.AnyVersion
	if len(args) == 3 {
		v, err := parseVersion(args[2])
		if err != nil {
			return err
		}
		version = v
	}
	_, err := sh.conn.Set(ctx, args[0], []byte(args[1]), version)
	return err
}

func (sh *shell) create(ctx context.Context, args []string) error {
	var ephemeral, sequential bool
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-e":
			ephemeral = true
		case "-s":
			sequential = true
		case "-es", "-se":
			ephemeral, sequential = true, true
		default:
			return fmt.Errorf("create: unknown flag %s (usage: create [-e] [-s] <path> [data])", args[0])
		}
		args = args[1:]
	}
	if err := wantArgs("create", args, 1, 2, "[-e] [-s] <path> [data]"); err != nil {
		return err
	}
	mode := client.ModePersistent
	switch {
	case ephemeral && sequential:
		mode = client.ModeEphemeralSequential
	case ephemeral:
		mode = client.ModeEphemeral
	case sequential:
		mode = client.ModePersistentSequential
	}
	var data []byte
	if len(args) == 2 {
		data = []byte(args[1])
	}
	path, _, err := sh.conn.Create(ctx, args[0], data, mode, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(sh.out, "Created %s\n", path)
	return nil
}

func (sh *shell) delete(ctx context.Context, args []string) error {
	if err := wantArgs("delete", args, 1, 2, "<path> [version]"); err != nil {
		return err
	}
	version := client.AnyVersion
	if len(args) == 2 {
		v, err := parseVersion(args[1])
		if err != nil {
			return err
		}
		version = v
	}
	return sh.conn.Delete(ctx, args[0], version)
}

func (sh *shell) stat(ctx context.Context, args []string) error {
	if err := wantArgs("stat", args, 1, 1, "<path>"); err != nil {
		return err
	}
	ok, st, err := sh.conn.Exists(ctx, args[0])
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("stat %s: %w", args[0], client.ErrNoNode)
	}
	printStat(sh.out, st)
	return nil
}

func (sh *shell) sync(ctx context.Context, args []string) error {
	if err := wantArgs("sync", args, 1, 1, "<path>"); err != nil {
		return err
	}
	if err := sh.conn.Sync(ctx, args[0]); err != nil {
		return err
	}
	fmt.Fprintln(sh.out, "Sync is OK")
	return nil
}

// printStat prints st in zkCli's layout (StatPrinter), which scripts parse.
func printStat(w io.Writer, st client.Stat) {
	javaDate := func(ms int64) string {
		return time.UnixMilli(ms).Format("Mon Jan 02 15:04:05 MST 2006")
	}
	fmt.Fprintf(w, "cZxid = 0x%x\n", st.Czxid)
	fmt.Fprintf(w, "ctime = %s\n", javaDate(st.Ctime))
	fmt.Fprintf(w, "mZxid = 0x%x\n", st.Mzxid)
	fmt.Fprintf(w, "mtime = %s\n", javaDate(st.Mtime))
	fmt.Fprintf(w, "pZxid = 0x%x\n", st.Pzxid)
	fmt.Fprintf(w, "cversion = %d\n", st.Cversion)
	fmt.Fprintf(w, "dataVersion = %d\n", st.Version)
	fmt.Fprintf(w, "aclVersion = %d\n", st.Aversion)
	fmt.Fprintf(w, "ephemeralOwner = 0x%x\n", uint64(st.EphemeralOwner))
	fmt.Fprintf(w, "dataLength = %d\n", st.DataLength)
	fmt.Fprintf(w, "numChildren = %d\n", st.NumChildren)
}

// splitWords splits a command line on blanks, honouring "double" and
// 'single' quotes (backslash escapes the next character inside double
// quotes and outside quotes).
func splitWords(line string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // inside a word
		quote byte
	)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\\' && i+1 < len(line) && quote != '\'':
			i++
			cur.WriteByte(line[i])
			in = true
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote = c
			in = true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}
