package election

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/curatortest"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// The interop tests run Apache Curator's LeaderLatch
// (testdata/curator/Latch.java) beside the Go election on the same
// directory, through curatortest (skipped without Java and Curator's
// jars). Every leader, Go or Java, creates an ephemeral marker node when
// it starts to lead and deletes it before it resigns: a leader that finds
// the marker of another found two leaders at once.

// Go leads, a Java LeaderLatch joins, Go resigns, Java leads, a Go
// candidate joins, Java closes, Go leads. Expectation: the leadership
// passes both ways without two leaders at once, and each side names the
// other as leader with the value (participant id) it gave.
func TestCuratorLeaderLatchHandOver(t *testing.T) {
	j := curatortest.New(t)
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t)
	dir, marker := root+"/election", root+"/leader"
	java := j.Start(t, "Latch", zktest.Servers(t), dir, marker, "0")
	java.Expect(ctx, t, "ready")
	expect := func(want ...string) []string {
		t.Helper()
		f := java.Next(ctx, t)
		if !slices.Equal(f[:min(len(f), len(want))], want) {
			t.Fatalf("Java printed %q, want %q", f, want)
		}
		return f
	}
	lead := func() {
		t.Helper()
		if _, _, err := c.Create(ctx, marker, nil, client.ModeEphemeral, nil); err != nil {
			t.Fatalf("Go leader's marker: %v (another leader still acting?)", err)
		}
	}

	e := New(c, dir)
	if err := e.Campaign(ctx, "go-1"); err != nil {
		t.Fatal(err)
	}
	lead()
	java.Send(t, "start java-1")
	expect("started")
	awaitCandidates(ctx, t, c, dir, 2)
	java.Send(t, "query")
	expect("query", "false", "go-1", "go-1,java-1")

	if err := c.Delete(ctx, marker, client.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if err := e.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	expect("leader")
	if v, err := e.Leader(ctx); err != nil || v != "java-1" {
		t.Fatalf("Leader while Java leads: %q, %v; want java-1", v, err)
	}

	won := make(chan error, 1)
	go func() { won <- e.Campaign(ctx, "go-2") }()
	awaitCandidates(ctx, t, c, dir, 2)
	java.Send(t, "query")
	expect("query", "true", "java-1", "java-1,go-2")
	java.Send(t, "close")
	// Closing a leading latch reports notLeader, then closed.
	for f := java.Next(ctx, t); f[0] != "closed"; f = java.Next(ctx, t) {
		if f[0] != "notleader" {
			t.Fatalf("Java printed %q while closing", f)
		}
	}
	if err := <-won; err != nil {
		t.Fatal(err)
	}
	lead()
	if v, err := e.Leader(ctx); err != nil || v != "go-2" {
		t.Fatalf("Leader after Java closed: %q, %v; want go-2", v, err)
	}
}

// Two Go candidates (Run) and a Java LeaderLatch candidate that closes
// its latch after each term and starts a new one contend for a series of
// terms. Each leader creates a marker node holding its name, appends a
// unique entry to a log node by compare-and-set, deletes the marker and
// resigns. Expectation: no leader ever finds another's marker, and the log
// holds every term of both sides exactly once. A side whose connection
// was suspended meanwhile gave its leadership up while still finishing a
// term, so an overlap then is reported in the log, not as a failure.
func TestCuratorLeaderLatchTerms(t *testing.T) {
	j := curatortest.New(t)
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t)
	dir, marker, log := root+"/election", root+"/leader", root+"/election-terms"
	if err := zktest.CreateAll(ctx, c, log, nil); err != nil {
		t.Fatal(err)
	}
	const javaTerms = 5
	java := j.Start(t, "Latch", zktest.Servers(t), dir, marker, strconv.Itoa(javaTerms))
	java.Expect(ctx, t, "ready")

	rctx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		wg        sync.WaitGroup
		goTerms   atomic.Int32
		suspended atomic.Bool // a side's leadership may have lapsed mid-term
		mu        sync.Mutex
		overlaps  []string
	)
	overlap := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		overlaps = append(overlaps, s)
	}
	for _, name := range []string{"go-a", "go-b"} {
		gc := zktest.Dial(t)
		e := New(gc, dir)
		n := 0
		wg.Go(func() {
			err := e.Run(rctx, name, func(lctx context.Context) error {
				defer func() {
					if lctx.Err() != nil && rctx.Err() == nil {
						suspended.Store(true)
					}
				}()
				owner, err := createMarker(lctx, gc, marker, name)
				if err != nil {
					return err
				}
				if owner != name {
					overlap(name + " found the marker of " + owner)
					return nil
				}
				// Once in, the term completes even if Run is stopped, so
				// the log and the count agree.
				wctx := context.WithoutCancel(lctx)
				n++
				if err := appendTerm(wctx, gc, log, fmt.Sprintf("%s-%d\n", name, n)); err != nil {
					return err
				}
				goTerms.Add(1)
				return client.Retry(wctx, func(ctx context.Context) error {
					if err := gc.Delete(ctx, marker, client.AnyVersion); !errors.Is(err, client.ErrNoNode) {
						return err
					}
					return nil
				})
			})
			if err != nil {
				t.Errorf("Run %s: %v", name, err)
			}
		})
	}
	for f := java.Next(ctx, t); f[0] != "done"; f = java.Next(ctx, t) {
		switch f[0] {
		case "term":
		case "suspended":
			suspended.Store(true)
		case "overlap":
			overlap("java found the " + f[1])
		default:
			t.Errorf("Java: %q", f)
		}
	}
	stop()
	wg.Wait()
	if len(overlaps) > 0 {
		if !suspended.Load() {
			t.Fatalf("two leaders at once: %q", overlaps)
		}
		t.Logf("overlaps after a suspended connection (leadership given up mid-term): %q", overlaps)
	}
	if err := c.Sync(ctx, log); err != nil {
		t.Fatal(err)
	}
	data, _, err := c.Get(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	terms := strings.Fields(string(data))
	javaN := 0
	for _, term := range terms {
		if strings.HasPrefix(term, "java-") {
			javaN++
		}
	}
	if javaN != javaTerms || len(terms) != javaTerms+int(goTerms.Load()) {
		t.Fatalf("term log %q: %d Java terms (want %d), %d in all (want %d)", terms, javaN, javaTerms, len(terms), javaTerms+int(goTerms.Load()))
	}
	t.Logf("%d terms, %d of them Go's", len(terms), goTerms.Load())
}

// createMarker creates the leader's marker holding name, retrying on
// connection loss, and returns the name in the marker: name, or another
// leader's.
func createMarker(ctx context.Context, c *client.Conn, marker, name string) (string, error) {
	for {
		err := client.Retry(ctx, func(ctx context.Context) error {
			_, _, err := c.Create(ctx, marker, []byte(name), client.ModeEphemeral, nil)
			return err
		})
		if !errors.Is(err, client.ErrNodeExists) {
			return name, err
		}
		d, err := client.RetryValue(ctx, func(ctx context.Context) ([]byte, error) {
			d, _, err := c.Get(ctx, marker)
			return d, err
		})
		if !errors.Is(err, client.ErrNoNode) { // else gone meanwhile: create again
			return string(d), err
		}
	}
}

// appendTerm appends entry to the log node by compare-and-set, once: an
// entry already there is its own write, retried after a lost reply.
func appendTerm(ctx context.Context, c *client.Conn, log, entry string) error {
	return client.Retry(ctx, func(ctx context.Context) error {
		for {
			d, st, err := c.Get(ctx, log)
			if err != nil || strings.Contains(string(d), entry) {
				return err
			}
			if _, err := c.Set(ctx, log, append(d, entry...), st.Version); !errors.Is(err, client.ErrBadVersion) {
				return err
			}
		}
	})
}

// awaitCandidates waits until dir has n children (candidates' nodes).
func awaitCandidates(ctx context.Context, t *testing.T, c *client.Conn, dir string, n int) {
	t.Helper()
	for {
		kids, _, ev, err := c.ChildrenW(ctx, dir)
		if err != nil && !errors.Is(err, client.ErrNoNode) {
			t.Fatal(err)
		}
		if len(kids) >= n {
			return
		}
		if errors.Is(err, client.ErrNoNode) {
			var ok bool
			if ok, _, ev, err = c.ExistsW(ctx, dir); err != nil {
				t.Fatal(err)
			} else if ok {
				continue // created meanwhile
			}
		}
		select {
		case <-ev:
		case <-ctx.Done():
			t.Fatalf("waiting for %d candidates in %s: %v", n, dir, ctx.Err())
		}
	}
}
