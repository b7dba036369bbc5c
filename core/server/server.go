package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/zabkit/zabkit/core/storage"
	"github.com/zabkit/zabkit/core/zab"
	"github.com/zabkit/zabkit/core/znode"
)

// Errors of the server's lifecycle.
var (
	// ErrClosed: the server was closed or killed.
	ErrClosed = errors.New("server: closed")
	// ErrStarted: Start was called twice.
	ErrStarted = errors.New("server: already started")
)

// Server is one zabkit node. Create it with New, run it with Start, and
// stop it with Close (graceful) or Kill (abrupt).
type Server struct {
	cfg       Config
	zabTick   time.Duration // how often the driver ticks zab (see applyZabTiming)
	log       *slog.Logger
	store     storage.Storage
	ownsStore bool
	net       Network
	trans     Transport
	node      *zab.Node // driver goroutine only

	treeMu sync.RWMutex
	tree   *znode.Tree

	ln         net.Listener
	clientAddr string

	cmds     chan func()
	stop     chan struct{}
	life     context.Context // cancelled when stop closes
	endLife  context.CancelFunc
	stopOnce sync.Once
	wg       sync.WaitGroup
	started  atomic.Bool
	gate     gate
	start    time.Time

	status   atomic.Pointer[zab.Status]
	serving  atomic.Bool
	applied  atomic.Int64
	nextSess atomic.Int64
	nextConn atomic.Uint64

	connMu    sync.Mutex
	conns     map[uint64]*conn
	bySession map[int64]*conn
	perHost   map[string]int

	slots chan struct{} // global outstanding-request slots

	d        driverState // driver goroutine only
	metrics  metrics
	closeErr error
}

// New validates cfg, opens the storage and recovers the state it holds,
// and returns a server that is not running yet.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, log: cfg.Logger.With("server", cfg.ID), cmds: make(chan func(), 1024),
		stop: make(chan struct{}), conns: map[uint64]*conn{}, bySession: map[int64]*conn{},
		perHost: map[string]int{}, start: time.Now()}
	s.gate.init()
	s.life, s.endLife = context.WithCancel(context.Background())
	s.slots = make(chan struct{}, cfg.MaxOutstandingGlobal)
	s.store = cfg.Store
	if s.store == nil {
		d, err := storage.Open(cfg.Dir, storage.WithLogDir(cfg.LogDir), storage.WithLogger(s.log))
		if err != nil {
			return nil, fmt.Errorf("server: open storage: %w", err)
		}
		s.store, s.ownsStore = d, true
	}
	zs, err := s.recover()
	if err != nil {
		s.closeStore()
		return nil, err
	}
	zc := zab.DefaultConfig(cfg.ID)
	for _, p := range cfg.Peers {
		if p.Observer {
			zc.Observers = append(zc.Observers, p.ID)
		} else {
			zc.Voters = append(zc.Voters, p.ID)
		}
	}
	s.zabTick = applyZabTiming(&zc, cfg)
	zc.Storage = zs
	s.node, err = zab.New(zc)
	if err != nil {
		s.closeStore()
		return nil, err
	}
	st := s.node.Status()
	s.status.Store(&st)
	s.nextSess.Store(firstSessionID(cfg.ID, time.Now()))
	s.d.init(s)
	return s, nil
}

// recover restores the tree from the newest snapshot and collects the log
// after it for zab, which hands the entries out again once committed.
func (s *Server) recover() (zab.Storage, error) {
	tcfg := znode.Config{ExtendedTypes: s.cfg.ExtendedTypes}
	s.tree = znode.New(tcfg)
	var zs zab.Storage
	rec, err := s.store.Recover(context.Background(), func(meta storage.SnapshotMeta, r io.Reader) error {
		t, err := znode.ReadSnapshot(r, tcfg)
		if err != nil {
			return err
		}
		s.tree = t
		return nil
	}, func(e storage.Entry) error {
		zs.Entries = append(zs.Entries, zabEntry(e))
		return nil
	})
	if err != nil {
		return zs, fmt.Errorf("server: recover: %w", err)
	}
	zs.HardState = zab.HardState{AcceptedEpoch: uint32(rec.Epochs.Accepted), CurrentEpoch: uint32(rec.Epochs.Current)}
	zs.SnapshotZxid = zab.Zxid(rec.Snapshot.Zxid)
	s.applied.Store(rec.Snapshot.Zxid)
	s.log.Info("recovered", "snapshot", zab.Zxid(rec.Snapshot.Zxid), "log", len(zs.Entries),
		"acceptedEpoch", rec.Epochs.Accepted, "currentEpoch", rec.Epochs.Current)
	return zs, nil
}

// Start attaches the peer transport, opens the client listener and starts
// the server's goroutines. ctx bounds only the start itself.
func (s *Server) Start(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return ErrStarted
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	nw := s.cfg.Network
	if nw == nil {
		nw = NewTCPNetwork(s.cfg.Peers, s.log)
	}
	s.net = nw
	t, err := nw.Attach(s.cfg.ID)
	if err != nil {
		return fmt.Errorf("server: peer transport: %w", err)
	}
	s.trans = t
	if s.cfg.ClientAddr != "" {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", s.cfg.ClientAddr)
		if err != nil {
			_ = t.Close()
			return fmt.Errorf("server: client listener: %w", err)
		}
		s.ln = ln
		s.clientAddr = ln.Addr().String()
		s.wg.Add(1)
		go s.acceptLoop()
	}
	s.wg.Add(1)
	go s.runDriver()
	return nil
}

// ClientAddr returns the bound client address (host:port), or "" if the
// server has no client listener or was not started.
func (s *Server) ClientAddr() string { return s.clientAddr }

// ID returns the server id.
func (s *Server) ID() uint64 { return s.cfg.ID }

// Close stops the server gracefully: it closes client connections and the
// peer transport, waits for every goroutine and closes the storage it
// opened. It is idempotent.
func (s *Server) Close() error {
	s.shutdown()
	return s.closeErr
}

// Kill stops the server abruptly, as kill -9 would: goroutines stop
// without flushing, and the wait for a log fsync in flight ends at once
// (the fsync is abandoned: its outcome is ignored, nothing it covered is
// acknowledged). Kill leaves an injected Config.Store as it is: whoever
// owns it simulates the power loss (the ensemble crashes its in-memory
// store before it kills the server). A new server from the same Config
// restarts from what the store kept.
func (s *Server) Kill() { s.shutdown() }

func (s *Server) shutdown() {
	s.stopOnce.Do(func() {
		s.gate.resume()
		close(s.stop)
		s.endLife()
		var errs *multierror.Error
		if s.ln != nil {
			errs = multierror.Append(errs, s.ln.Close())
		}
		s.closeAllConns("server stopping")
		if s.trans != nil {
			errs = multierror.Append(errs, s.trans.Close())
		}
		s.wg.Wait()
		if err := s.closeStore(); err != nil {
			errs = multierror.Append(errs, err)
		}
		s.closeErr = errs.ErrorOrNil()
		s.serving.Store(false)
	})
}

func (s *Server) closeStore() error {
	if s.ownsStore {
		return s.store.Close()
	}
	return nil
}

// Pause stops the server's processing as SIGSTOP would: the driver, the
// client connections and the clock stand still; peers and clients see a
// silent server. Resume continues.
func (s *Server) Pause() { s.gate.pause() }

// Resume undoes Pause.
func (s *Server) Resume() { s.gate.resume() }

// StateInfo is a server's role and epoch.
type StateInfo struct {
	// State is LOOKING, FOLLOWING, LEADING or OBSERVING.
	State zab.State
	// Epoch is the epoch of the session with the current leader (0 if none).
	Epoch uint32
	// Leader is the id of the leader followed or led (0 if none).
	Leader uint64
	// Serving is true once the server is in an established session and
	// accepts clients.
	Serving bool
	// LastZxid is the last applied zxid.
	LastZxid int64
}

// State returns the server's current role.
func (s *Server) State() StateInfo {
	st := s.status.Load()
	return StateInfo{State: st.State, Epoch: st.Epoch, Leader: st.Leader, Serving: s.serving.Load(),
		LastZxid: s.applied.Load()}
}

// Digest returns the digest of the replicated state (core/znode's Digest)
// and the last zxid applied, read atomically together.
func (s *Server) Digest() (digest uint64, zxid int64) {
	s.treeMu.RLock()
	defer s.treeMu.RUnlock()
	return s.tree.Digest(), s.tree.LastZxid()
}

// DropClientConnections closes every client connection (sessions live on).
func (s *Server) DropClientConnections() { s.closeAllConns("dropped by operator") }

// ExpireSession makes the leader expire the session at once, as if its
// timeout passed. It returns ErrNotLeader unless this server leads.
func (s *Server) ExpireSession(ctx context.Context, id int64) error {
	errc := make(chan error, 1)
	if err := s.do(ctx, func() { errc <- s.d.expireNow(id) }); err != nil {
		return err
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrNotLeader: the operation needs the established leader.
var ErrNotLeader = errors.New("server: not the leader")

// do runs f in the driver goroutine.
func (s *Server) do(ctx context.Context, f func()) error {
	select {
	case s.cmds <- f:
		return nil
	case <-s.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// gate implements Pause and Resume.
type gate struct {
	mu     sync.Mutex
	paused bool
	ch     chan struct{}
}

func (g *gate) init() { g.ch = make(chan struct{}); close(g.ch) }

func (g *gate) pause() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.paused {
		g.paused = true
		g.ch = make(chan struct{})
	}
}

func (g *gate) resume() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused {
		g.paused = false
		close(g.ch)
	}
}

// wait blocks while paused; it returns false if stop closed meanwhile.
func (g *gate) wait(stop <-chan struct{}) bool {
	g.mu.Lock()
	ch := g.ch
	g.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-stop:
		return false
	}
}
