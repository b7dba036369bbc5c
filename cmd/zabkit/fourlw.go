package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// run4lw is `zabkit 4lw`: it sends one four-letter word (ruok, srvr, mntr,
// ...) to a server's client port and prints the reply as it comes, which
// is what `echo srvr | nc host port` does where nc is installed.
func run4lw(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "4lw", "[-server host:port] <word>   (ruok, srvr, stat, mntr, conf, ...)")
	server := fs.String("server", "127.0.0.1:2181", "one server's client address")
	timeout := fs.Duration("timeout", 10*time.Second, "bound on connecting and reading the reply")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || len(fs.Arg(0)) != 4 || strings.Contains(*server, ",") {
		fs.Usage()
		return errUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	out, err := fourLetter(ctx, *server, fs.Arg(0))
	if err != nil {
		return fmt.Errorf("%s to %s: %w", fs.Arg(0), *server, err)
	}
	_, err = io.WriteString(env.stdout, out)
	return err
}

// fourLetter sends a four-letter word to addr and returns the reply, read
// until the server closes the connection.
func fourLetter(ctx context.Context, addr, word string) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if _, err := io.WriteString(c, word); err != nil {
		return "", contextOr(ctx, err)
	}
	b, err := io.ReadAll(c)
	return string(b), contextOr(ctx, err)
}

// contextOr returns ctx's error if it has ended (the cause of err then),
// else err.
func contextOr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
