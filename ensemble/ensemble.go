package ensemble

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/go-multierror"
	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/core/storage"
)

// Errors returned by the Ensemble. Compare with errors.Is.
var (
	// ErrClosed: the ensemble was closed.
	ErrClosed = errors.New("ensemble: closed")
	// ErrNoServer: the index is not one of the ensemble's servers.
	ErrNoServer = errors.New("ensemble: no such server")
	// ErrNotRunning: the server was killed or stopped (Restart it first).
	ErrNotRunning = errors.New("ensemble: server not running")
	// ErrRunning: Restart of a server that is running.
	ErrRunning = errors.New("ensemble: server already running")
	// ErrNotSupported: a fault the peer transport cannot inject
	// (Partition, Heal, SetDrop, SetDelay with WithTCPPeers).
	ErrNotSupported = errors.New("ensemble: not supported with this transport")
	// ErrNoLeader: no leader, when one is required (ExpireSession).
	ErrNoLeader = errors.New("ensemble: no leader")
	// ErrBadOption: Start was given an invalid option.
	ErrBadOption = errors.New("ensemble: invalid option")
)

// Ensemble is a running set of zabkit servers in this process. Servers are
// numbered from 0; server i has ZooKeeper id i+1. Its methods are safe for
// concurrent use.
type Ensemble struct {
	opts options
	net  *server.MemNetwork // nil with WithTCPPeers

	mu      sync.Mutex
	members []*member
	closed  bool
	crashes *rand.Rand // which unsynced entries a killed server's store keeps
}

// member is one server slot: its fixed identity and, while it runs, the
// server.
type member struct {
	id         uint64
	observer   bool
	clientAddr string // fixed after the first start, so Servers() stays valid
	peerAddr   string // TCP peers only
	store      *storage.Mem
	handle     *memHandle
	dir        string
	logger     *slog.Logger
	srv        *server.Server // nil while killed
	paused     bool
	starting   bool // a Restart is under way
}

// Start creates the ensemble's servers, starts them and returns once a
// leader is established and every server serves clients. On error (or if
// ctx ends first) everything started is stopped again.
func Start(ctx context.Context, opts ...Option) (*Ensemble, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	e := &Ensemble{opts: o, crashes: rand.New(rand.NewPCG(o.seed, 0x6372617368))}
	if !o.tcp {
		e.net = server.NewMemNetwork(o.seed)
	}
	total := o.size + o.observers
	for i := 0; i < total; i++ {
		m := &member{id: uint64(i + 1), observer: i >= o.size}
		m.logger = o.logger // the server tags its records with its id
		m.clientAddr = "127.0.0.1:0"
		if len(o.clientPorts) > 0 {
			m.clientAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(o.clientPorts[i]))
		}
		if o.dir != "" {
			m.dir = filepath.Join(o.dir, fmt.Sprintf("server%d", m.id))
		} else {
			m.store = storage.NewMem()
		}
		e.members = append(e.members, m)
	}
	if o.tcp {
		addrs, err := freeLoopbackAddrs(total)
		if err != nil {
			return nil, err
		}
		for i, m := range e.members {
			m.peerAddr = addrs[i]
		}
	}
	for _, m := range e.members {
		if err := e.startMember(ctx, m); err != nil {
			_ = e.Close()
			return nil, err
		}
	}
	if err := e.WaitServing(ctx); err != nil {
		_ = e.Close()
		return nil, err
	}
	o.logger.Info("ensemble started", "servers", e.Servers(), "leader", e.Leader()+1)
	return e, nil
}

func (o *options) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadOption}, a...)...)
	}
	switch {
	case o.size < 1:
		return bad("size %d < 1", o.size)
	case o.observers < 0:
		return bad("observers %d < 0", o.observers)
	case o.size+o.observers > 254:
		return bad("%d servers (at most 254)", o.size+o.observers)
	case o.tick <= 0:
		return bad("tick time %v", o.tick)
	case o.clientPorts != nil && len(o.clientPorts) != o.size+o.observers:
		return bad("%d client ports for %d servers", len(o.clientPorts), o.size+o.observers)
	}
	return nil
}

// peers lists every member for server.Config.
func (e *Ensemble) peers() []server.Peer {
	ps := make([]server.Peer, len(e.members))
	for i, m := range e.members {
		ps[i] = server.Peer{ID: m.id, PeerAddr: m.peerAddr, ClientAddr: m.clientAddr, Observer: m.observer}
	}
	return ps
}

// config builds member m's server configuration. e.mu is held.
func (e *Ensemble) config(m *member) server.Config {
	o := e.opts
	c := server.DefaultConfig(m.id)
	c.Peers = e.peers()
	c.TickTime = o.tick
	c.InitLimit, c.SyncLimit = o.initLimit, o.syncLimit
	c.MinSessionTimeout, c.MaxSessionTimeout = o.minSession, o.maxSession
	if c.MinSessionTimeout == 0 {
		c.MinSessionTimeout = 2 * o.tick
	}
	c.ClientAddr = m.clientAddr
	c.MaxClientCnxns = 0
	c.FourLetterWhitelist = []string{"*"}
	if m.store != nil {
		m.handle = newMemHandle(m.store)
		c.Store = m.handle
	} else {
		c.Dir = m.dir
	}
	if e.net != nil {
		c.Network = e.net
	}
	c.Logger = m.logger
	return c
}

// startMember creates and starts m's server. Callers hold no lock.
func (e *Ensemble) startMember(ctx context.Context, m *member) error {
	e.mu.Lock()
	cfg := e.config(m)
	e.mu.Unlock()
	if e.opts.configure != nil {
		e.opts.configure(m.id, &cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		return fmt.Errorf("ensemble: server %d: %w", m.id, err)
	}
	if err := srv.Start(ctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("ensemble: server %d: %w", m.id, err)
	}
	e.mu.Lock()
	if e.closed { // Close ran meanwhile and did not see this server
		e.mu.Unlock()
		_ = srv.Close()
		return ErrClosed
	}
	m.srv = srv
	m.paused = false
	m.clientAddr = srv.ClientAddr()
	e.mu.Unlock()
	return nil
}

// freeLoopbackAddrs returns n distinct loopback addresses with ports the
// kernel just handed out as free.
func freeLoopbackAddrs(n int) ([]string, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var addrs []string
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("ensemble: free port: %w", err)
		}
		ls = append(ls, l)
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

// member returns server i.
func (e *Ensemble) member(i int) (*member, error) {
	if i < 0 || i >= len(e.members) {
		return nil, fmt.Errorf("%w: %d (have %d)", ErrNoServer, i, len(e.members))
	}
	return e.members[i], nil
}

// Size is the number of servers, observers included.
func (e *Ensemble) Size() int { return len(e.members) }

// ID is the ZooKeeper server id of server i (i+1).
func (e *Ensemble) ID(i int) uint64 { return uint64(i + 1) }

// Servers is the connect string of every server (loopback TCP), usable by
// any ZooKeeper client. It includes killed servers: their ports are kept
// for Restart, and clients move on to another server.
func (e *Ensemble) Servers() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	addrs := make([]string, len(e.members))
	for i, m := range e.members {
		addrs[i] = m.clientAddr
	}
	return strings.Join(addrs, ",")
}

// ClientAddr is the client address (host:port) of server i.
func (e *Ensemble) ClientAddr(i int) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if i < 0 || i >= len(e.members) {
		return ""
	}
	return e.members[i].clientAddr
}

// Server returns server i's *server.Server, or nil while it is killed.
func (e *Ensemble) Server(i int) *server.Server {
	e.mu.Lock()
	defer e.mu.Unlock()
	if i < 0 || i >= len(e.members) {
		return nil
	}
	return e.members[i].srv
}

// Connect dials a client session to the ensemble (every server in the
// connect string). The caller closes it.
func (e *Ensemble) Connect(ctx context.Context, opts ...client.Option) (*client.Conn, error) {
	return client.Dial(ctx, e.Servers(), opts...)
}

// ConnectTo dials a client session to server i only.
func (e *Ensemble) ConnectTo(ctx context.Context, i int, opts ...client.Option) (*client.Conn, error) {
	if _, err := e.member(i); err != nil {
		return nil, err
	}
	return client.Dial(ctx, e.ClientAddr(i), opts...)
}

// Close stops every server gracefully and waits for all their goroutines.
// It is idempotent.
func (e *Ensemble) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	var srvs []*server.Server
	for _, m := range e.members {
		if m.srv != nil {
			if m.paused {
				m.srv.Resume()
				m.paused = false
			}
			srvs = append(srvs, m.srv)
			m.srv = nil
		}
	}
	e.mu.Unlock()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs error
	)
	for _, s := range srvs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Close(); err != nil {
				mu.Lock()
				errs = multierror.Append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, m := range e.members {
		if m.store != nil {
			_ = m.store.Close()
		}
	}
	e.opts.logger.Info("ensemble closed")
	return errs
}
