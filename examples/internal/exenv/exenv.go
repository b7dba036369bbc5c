// Package exenv is what the runnable examples share: the ensemble they run
// against (an in-process one by default, or the servers of -servers) and
// their main function.
package exenv

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble"
)

// SessionTimeout is the session timeout the examples ask for.
const SessionTimeout = 4 * time.Second

// Cluster is the ensemble an example runs against: Servers is the connect
// string, Ensemble the in-process ensemble (nil for an external one).
type Cluster struct {
	*ensemble.Backend
}

// Start returns the external ensemble of connect string servers, or, when
// servers is empty, starts a 3-server in-process ensemble (ensemble.Open).
// It tells out which.
func Start(ctx context.Context, out io.Writer, servers string) (*Cluster, error) {
	b, err := ensemble.Open(ctx, servers)
	if err != nil {
		return nil, err
	}
	if b.External() {
		fmt.Fprintf(out, "using the ensemble at %s\n", servers)
	} else {
		fmt.Fprintf(out, "started an in-process 3-server ensemble (leader: server %d)\n", b.Ensemble.ID(b.Ensemble.Leader()))
	}
	return &Cluster{b}, nil
}

// Connect opens a new session.
func (c *Cluster) Connect(ctx context.Context) (*client.Conn, error) {
	return client.Dial(ctx, c.Servers, client.WithSessionTimeout(SessionTimeout))
}

// Root returns a path for one run of an example, unique on a shared
// external ensemble.
func Root(name string) string {
	return fmt.Sprintf("/zabkit-examples/%s-%d", name, time.Now().UnixNano())
}

// Main parses -servers and -timeout, runs run with the standard output,
// and exits 1 with the error if it fails.
func Main(run func(ctx context.Context, out io.Writer, servers string) error) {
	servers := flag.String("servers", "", "connect string of an external ensemble, host:port,... (default: start one in process)")
	timeout := flag.Duration("timeout", 30*time.Second, "give up after this long")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	err := run(ctx, os.Stdout, *servers)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
