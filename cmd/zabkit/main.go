package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand of the binary.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *environ, args []string) error
}

// environ is what a subcommand reads and writes besides its arguments, so
// tests run subcommands in process.
type environ struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// stdinTTY is true when stdin is an interactive terminal.
	stdinTTY bool
}

// errUsage reports a command line mistake; the message was already printed.
var errUsage = errors.New("usage")

func commands() []command {
	return []command{
		{"server", "run a server from a ZooKeeper zoo.cfg: zabkit server <zoo.cfg>", runServer},
		{"cli", "a small shell: zabkit cli -server host:port [command [args...]]", runCLI},
		{"bench", "load a cluster (or an in-process one): zabkit bench [-server host:port] [-clients N] [-duration D]", runBench},
		{"4lw", "send a four-letter word to a server and print the reply: zabkit 4lw -server host:port srvr", run4lw},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: zabkit <command> [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-7s %s\n", c.name, c.summary)
	}
}

// run dispatches args (without the program name) to a subcommand.
func run(ctx context.Context, env *environ, args []string) error {
	if len(args) == 0 {
		usage(env.stderr)
		return errUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(env.stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	fmt.Fprintf(env.stderr, "zabkit: unknown command %q\n", args[0])
	usage(env.stderr)
	return errUsage
}

// newFlagSet returns a flag set that prints its errors and usage to
// env.stderr and returns errors instead of exiting.
func newFlagSet(env *environ, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("zabkit "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "usage: zabkit %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args with fs; -h is not an error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	if err != nil {
		return errUsage
	}
	return nil
}

// errHelp ends a command after it printed its usage on request.
var errHelp = errors.New("help")

func main() {
	// SIGTERM and SIGINT cancel ctx: every subcommand shuts down gracefully
	// and returns. A second signal kills the process the default way.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	go func() {
		<-ctx.Done()
		stop()
	}()
	env := &environ{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, stdinTTY: isTerminal(os.Stdin)}
	err := run(ctx, env, os.Args[1:])
	stop()
	switch {
	case err == nil, errors.Is(err, errHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "zabkit:", err)
		os.Exit(1)
	}
}

// isTerminal reports whether f is a character device (an interactive
// terminal rather than a pipe or file).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
