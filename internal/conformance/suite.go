package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/zabkit/zabkit/ensemble/bridge"
)

// Option configures Run.
type Option func(*options)

type options struct {
	drivers      []Driver
	superUser    string
	superPass    string
	reapDeadline time.Duration
	opTimeout    time.Duration
	root         string
}

// WithSuperDigest tells the suite the digest super user the servers were
// started with (zookeeper.DigestAuthenticationProvider.superDigest), so it
// can check that super bypasses ACLs. Without it that check is skipped.
func WithSuperDigest(user, password string) Option {
	return func(o *options) { o.superUser, o.superPass = user, password }
}

// WithReapDeadline bounds how long the suite waits for the server to reap an
// empty container or an expired TTL node (default 90s; Apache ZooKeeper checks
// every znode.container.checkIntervalMs, one minute unless configured, and
// scripts/zk-ensemble.sh sets 200ms).
func WithReapDeadline(d time.Duration) Option {
	return func(o *options) { o.reapDeadline = d }
}

// WithRoot sets the znode under which the suite works (default /zabkit-conformance).
func WithRoot(p string) Option {
	return func(o *options) { o.root = p }
}

// The client drivers, for WithDrivers.
var (
	// ZabkitClient runs checks through zabkit's client (package client).
	ZabkitClient Driver = zabkitClient{}
	// GoZookeeper runs checks through github.com/go-zookeeper/zk.
	GoZookeeper Driver = goZK{}
)

// WithDrivers replaces the clients the checks run through (default: both
// ZabkitClient and GoZookeeper).
func WithDrivers(ds ...Driver) Option {
	return func(o *options) { o.drivers = ds }
}

// defaultDrivers lists the clients every check runs through.
var defaultDrivers = []Driver{ZabkitClient, GoZookeeper}

// check is one row of the suite.
type check struct {
	name  string
	needs []feature
	run   func(t *testing.T, e *env)
}

// checks is the suite's table; the checks_*.go files hold its rows.
var checks = slices.Concat(opChecks, dataChecks, multiChecks, aclChecks, watchChecks, sessionChecks, reapChecks)

// Run runs every check against the ensemble at servers (a ZooKeeper connect
// string), through each client driver, as subtests of t. The checks work under
// a fresh znode below the root and delete it afterwards.
func Run(t *testing.T, servers string, opts ...Option) {
	o := options{
		drivers:      defaultDrivers,
		reapDeadline: 90 * time.Second,
		opTimeout:    30 * time.Second,
		root:         "/zabkit-conformance",
	}
	for _, opt := range opts {
		opt(&o)
	}
	b := probeBackend(t, servers, o)
	run := randomID()
	for _, d := range o.drivers {
		t.Run(d.Name(), func(t *testing.T) {
			base := path.Join(o.root, run, d.Name())
			for _, c := range checks {
				t.Run(c.name, func(t *testing.T) {
					for _, f := range c.needs {
						if why := d.Lacks(f); why != "" {
							t.Skip(why)
						}
						if why := b.lacks[f]; why != "" {
							t.Skip(why)
						}
					}
					e := &env{t: t, servers: servers, driver: d, opts: o, backend: b,
						root: path.Join(base, strings.ReplaceAll(c.name, "/", "_"))}
					e.setup()
					c.run(t, e)
				})
			}
		})
	}
	cleanup(t, servers, o, path.Join(o.root, run))
}

func randomID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

// backend is what the probe learnt about the servers.
type backend struct {
	lacks map[feature]string
	// version is what srvr reported; versionErr says why it is unknown.
	version    serverVersion
	versionErr error
}

// probeBackend checks the servers answer and which optional features they
// have. Features are probed through a driver that can express them; a feature
// nobody can probe is assumed present.
func probeBackend(t *testing.T, servers string, o options) backend {
	t.Helper()
	b := backend{lacks: map[feature]string{}}
	ctx, cancel := context.WithTimeout(context.Background(), o.opTimeout)
	defer cancel()
	for _, d := range o.drivers {
		c, err := d.Dial(ctx, servers, sessionConfig{timeout: 10 * time.Second})
		if err != nil {
			t.Fatalf("conformance: cannot reach %s with %s: %v", servers, d.Name(), err)
		}
		if d.Lacks(featWhoAmI) == "" {
			if _, err := c.WhoAmI(ctx); err != nil && !errors.Is(err, errUnsupported) {
				b.lacks[featWhoAmI] = fmt.Sprintf("server does not implement whoAmI (probe: %v); Apache ZooKeeper added it in 3.8.1", err)
			}
		}
		c.Close()
	}
	probeTTL(ctx, t, servers, o, b)
	b.version, b.versionErr = probeVersion(ctx, servers)
	if b.versionErr != nil {
		t.Logf("conformance: server version unknown (%v): version-dependent assertions are skipped", b.versionErr)
	}
	return b
}

// probeTTL creates and deletes a TTL node: Apache ZooKeeper refuses TTL
// nodes (Unimplemented) unless started with extendedTypesEnabled=true.
func probeTTL(ctx context.Context, t *testing.T, servers string, o options, b backend) {
	t.Helper()
	c, err := o.drivers[0].Dial(ctx, servers, sessionConfig{timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("conformance: cannot reach %s: %v", servers, err)
	}
	defer c.Close()
	_, err = c.Create(ctx, o.root, nil, ModePersistent, OpenACL, 0)
	if err != nil && codeOf(err) != CodeNodeExists {
		t.Fatalf("conformance: create %s: %v", o.root, err)
	}
	p, err := c.Create(ctx, o.root+"/ttl-probe-", nil, ModeTTLSequential, OpenACL, time.Minute)
	switch codeOf(err) {
	case CodeOK:
		_ = c.Delete(ctx, p, -1)
	case CodeUnimplemented:
		b.lacks[featTTL] = "server has TTL nodes disabled (Apache ZooKeeper: extendedTypesEnabled=true enables them)"
	default:
		t.Fatalf("conformance: probing TTL nodes: %v", err)
	}
}

// cleanup deletes the run's znodes, children first.
func cleanup(t *testing.T, servers string, o options, p string) {
	ctx, cancel := context.WithTimeout(context.Background(), o.opTimeout)
	defer cancel()
	cfg := sessionConfig{timeout: 10 * time.Second}
	if o.superUser != "" {
		cfg.auth = []authPair{{"digest", []byte(o.superUser + ":" + o.superPass)}}
	}
	c, err := o.drivers[0].Dial(ctx, servers, cfg)
	if err != nil {
		t.Logf("conformance: cleanup of %s: %v", p, err)
		return
	}
	defer c.Close()
	if err := deleteTree(ctx, c, p); err != nil {
		t.Logf("conformance: cleanup of %s: %v", p, err)
	}
}

func deleteTree(ctx context.Context, c Client, p string) error {
	kids, _, err := c.Children(ctx, p)
	switch codeOf(err) {
	case CodeOK:
	case CodeNoNode:
		return nil
	case CodeNoAuth:
		kids = nil // unreadable: try to delete it as it is
	default:
		return err
	}
	for _, k := range kids {
		if err := deleteTree(ctx, c, path.Join(p, k)); err != nil {
			return err
		}
	}
	if err := c.Delete(ctx, p, -1); err != nil && codeOf(err) != CodeNoNode {
		return err
	}
	return nil
}

// env is what a check gets: its own znode (root), a way to dial clients of
// the driver under test, and helpers that fail the test with context.
type env struct {
	t       *testing.T
	servers string
	driver  Driver
	opts    options
	backend backend
	root    string
}

// lacks reports why the backend or the driver cannot do f ("" if both can).
func (e *env) lacks(f feature) string {
	if why := e.driver.Lacks(f); why != "" {
		return why
	}
	return e.backend.lacks[f]
}

// ctx returns a context bounded by the suite's per-check operation timeout.
func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), e.opts.opTimeout)
	e.t.Cleanup(cancel)
	return ctx
}

// setup creates the check's root and its parents.
func (e *env) setup() {
	c := e.dial()
	ctx := e.ctx()
	p := ""
	for _, part := range strings.Split(strings.TrimPrefix(e.root, "/"), "/") {
		p += "/" + part
		_, err := c.Create(ctx, p, nil, ModePersistent, OpenACL, 0)
		if err != nil && codeOf(err) != CodeNodeExists {
			e.t.Fatalf("create %s: %v", p, err)
		}
	}
}

type dialOpt func(*sessionConfig)

func withTimeout(d time.Duration) dialOpt { return func(c *sessionConfig) { c.timeout = d } }
func withAuth(scheme, auth string) dialOpt {
	return func(c *sessionConfig) { c.auth = append(c.auth, authPair{scheme, []byte(auth)}) }
}

// dial opens a client of the driver under test, closed when the test ends.
func (e *env) dial(opts ...dialOpt) Client {
	e.t.Helper()
	return e.dialTo(e.servers, opts...)
}

// dialTo is dial with another connect string.
func (e *env) dialTo(servers string, opts ...dialOpt) Client {
	e.t.Helper()
	cfg := sessionConfig{timeout: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := e.driver.Dial(e.ctx(), servers, cfg)
	if err != nil {
		e.t.Fatalf("dial %s: %v", servers, err)
	}
	e.t.Cleanup(c.Close)
	e.sync(c)
	return c
}

// sync makes c's server catch up with every write committed so far.
// ZooKeeper guarantees a client sees its own writes in order, but another
// client's writes only after a sync (or a watch event): a check that reads
// with one client what another wrote calls sync first.
func (e *env) sync(c Client) {
	e.t.Helper()
	e.must(c.Sync(e.ctx(), "/"), "sync")
}

// serverList returns the host:port entries of the connect string.
func (e *env) serverList() []string {
	s := e.servers
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i] // a chroot suffix
	}
	return strings.Split(s, ",")
}

// link starts an ensemble/bridge link to the servers, closed when the test
// ends: a client dialled through it (dialVia) can be cut off the ensemble
// and healed again without touching the servers, so its session lives on.
func (e *env) link() *bridge.Link {
	e.t.Helper()
	l, err := bridge.NewLink(e.servers)
	if err != nil {
		e.t.Fatalf("link to %s: %v", e.servers, err)
	}
	e.t.Cleanup(func() { _ = l.Close() })
	return l
}

// dialVia opens a client of the driver under test through link l.
func (e *env) dialVia(l *bridge.Link, opts ...dialOpt) Client {
	e.t.Helper()
	return e.dialTo(l.Servers(), opts...)
}

// dialServer opens a client through a link on which only the bridge to
// server addr lets connections through.
func (e *env) dialServer(addr string, opts ...dialOpt) (Client, *bridge.Link) {
	e.t.Helper()
	l := e.link()
	for i := range l.Size() {
		if b := l.Bridge(i); b.Target() != addr {
			b.Cut()
		}
	}
	return e.dialVia(l, opts...), l
}

// p returns a path under the check's root.
func (e *env) p(elem ...string) string { return path.Join(append([]string{e.root}, elem...)...) }

// must fails the test on err.
func (e *env) must(err error, what string, args ...any) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}

// code asserts that err carries ZooKeeper code want.
func (e *env) code(err error, want Code, what string, args ...any) {
	e.t.Helper()
	if got := codeOf(err); got != want {
		e.t.Errorf("%s: got error %v (code %d), want code %d", fmt.Sprintf(what, args...), err, got, want)
	}
}

// create creates a node and fails the test on error.
func (e *env) create(c Client, p string, data string, mode Mode) string {
	e.t.Helper()
	got, err := c.Create(e.ctx(), p, []byte(data), mode, OpenACL, 0)
	e.must(err, "create %s (mode %d)", p, mode)
	return got
}

// stat returns the node's Stat and fails the test if it does not exist.
func (e *env) stat(c Client, p string) Stat {
	e.t.Helper()
	ok, s, err := c.Exists(e.ctx(), p)
	e.must(err, "exists %s", p)
	if !ok {
		e.t.Fatalf("exists %s: node does not exist", p)
	}
	return s
}

// next waits for the watch's next event and checks its type and path.
func (e *env) next(w Watch, typ EventType, p string) {
	e.t.Helper()
	ev, err := w.Next(e.ctx())
	e.must(err, "waiting for %v on %s", typ, p)
	if ev.Type != typ || ev.Path != p {
		e.t.Errorf("watch event: got %v, want %v %s", ev, typ, p)
	}
}

// waitGone waits until p no longer exists, as seen by c after a sync. It
// uses an exists watch, so it waits on the server's event, not on a timer.
func (e *env) waitGone(ctx context.Context, c Client, p string) error {
	for {
		if err := c.Sync(ctx, p); err != nil {
			return err
		}
		ok, _, w, err := c.ExistsW(ctx, p)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		ev, err := w.Next(ctx)
		if err != nil {
			return fmt.Errorf("waiting for %s to be deleted: %w", p, err)
		}
		if ev.Type == EventDeleted {
			return nil
		}
	}
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

// ttlForever is a TTL long enough that no node created with it expires while
// the suite runs; the suite deletes those nodes itself.
const ttlForever = time.Hour
