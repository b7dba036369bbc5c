package client

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zabkit/zabkit/wire"
)

// Conn is one ZooKeeper session, not one TCP connection: over its life the
// session may move across several TCP connections (links), to one server
// at a time. It is safe for concurrent use. Requests from any number of
// goroutines are pipelined on the current link; when that link breaks, the
// Conn dials the next server of the connect string and resumes the same
// session, with its watches, on a new link, until the session expires or
// Close is called. With WithSessionRenewal, an expired session is replaced
// by a new one (see Session and "Session expiry" in the package doc), so
// that the Conn lives until Close. (Internally a link is the type link;
// go-zookeeper's Conn and the Java client's ClientCnxn name the TCP side,
// which this Conn is not.)
type Conn struct {
	opts    options
	logger  *slog.Logger
	servers []string
	chroot  string

	mu        sync.Mutex
	state     State
	stateSubs []*stream[State]
	err       error // terminal error, set once
	final     bool  // the final state is set: the state stream has ended
	sess      atomic.Pointer[Session]
	gen       uint64        // generation of the last session installed
	nextSess  chan struct{} // closed (and replaced) when a session is installed
	sessionID int64
	passwd    []byte
	timeout   time.Duration // negotiated
	pingEvery time.Duration // the current link's ping interval
	server    string        // current server address
	closing   bool          // Close is sending closeSession: do not reconnect
	seenRW    bool          // the session has been on a read-write server
	rwServer  string        // a read-write server found while read-only
	auths     []authInfo    // replayed on every link

	lastZxid atomic.Int64

	qmu    sync.Mutex
	queue  []*request
	qspare []*request // the previous queue slice, reused
	qerr   error
	qwake  chan struct{}

	watches *watchManager

	done      chan struct{} // closed on session loss
	closeCtx  context.Context
	closeNow  context.CancelFunc // stops the run loop and its link
	stop      chan struct{}      // abandons streams; closed by Close
	stopOnce  sync.Once
	closeOnce sync.Once
	runDone   chan struct{}
	wg        sync.WaitGroup // every goroutine of the Conn
	goMu      sync.Mutex
	stopped   bool // no goroutine may start any more

	xid int32 // next request xid; used only by the one running send loop
}

// Dial starts a session with the ZooKeeper ensemble named by connect,
// "host:port,host:port[/chroot]", and returns once the session is
// established. The servers are tried in random order. If ctx ends first,
// Dial stops and returns ctx's error.
//
// With a chroot, every path given to the Conn is relative to it and every
// path it returns (created names, event paths) has it removed. The chroot
// node itself must exist for operations on it to succeed.
func Dial(ctx context.Context, connect string, opts ...Option) (*Conn, error) {
	servers, chroot, err := parseConnectString(connect)
	if err != nil {
		return nil, err
	}
	o := defaultOptions()
	if err := o.apply(callDial, opts); err != nil {
		return nil, err
	}
	if o.sessionTimeout <= 0 {
		return nil, fmt.Errorf("zk: session timeout %v must be positive: %w", o.sessionTimeout, ErrBadArguments)
	}
	if o.maxPacket <= 0 {
		o.maxPacket = wire.DefaultMaxPacket
	}
	if o.shuffle != nil {
		o.shuffle(servers)
	} else {
		rand.Shuffle(len(servers), func(i, j int) { servers[i], servers[j] = servers[j], servers[i] })
	}
	c := &Conn{
		opts:     o,
		logger:   o.logger,
		servers:  servers,
		chroot:   chroot,
		state:    StateConnecting,
		passwd:   make([]byte, 16),
		auths:    append([]authInfo(nil), o.auth...),
		qwake:    make(chan struct{}, 1),
		watches:  newWatchManager(),
		done:     make(chan struct{}),
		nextSess: make(chan struct{}),
		stop:     make(chan struct{}),
		runDone:  make(chan struct{}),
		xid:      1,
	}
	if o.session != nil {
		c.seenRW = true
		c.sessionID = o.session.id
		copy(c.passwd, o.session.passwd)
		c.lastZxid.Store(o.session.lastZxid)
	}
	c.closeCtx, c.closeNow = context.WithCancel(context.Background())

	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	states := c.States(dctx)
	c.wg.Add(1)
	go c.run()
	for s := range states {
		if s.Connected() {
			return c, nil
		}
		if err := c.Err(); s.Terminal() && err != nil {
			_ = c.Close(context.Background())
			return nil, fmt.Errorf("zk: dial %s: %w", connect, err)
		}
	}
	_ = c.Close(context.Background())
	return nil, fmt.Errorf("zk: dial %s: %w", connect, ctx.Err())
}

// Close ends the session: it asks the server to close it (so its ephemeral
// nodes go at once; if no connection is up the session is left to expire),
// stops reconnecting, fails outstanding requests with ErrClosed, closes
// every watch channel and state stream, and returns once every goroutine of
// the Conn has exited. The wait for the server's answer to closeSession is
// bounded by ctx and by the negotiated session timeout: a server that does
// not answer by then is left to expire the session, which it does once the
// Conn stops pinging. Close is idempotent; it returns ctx's error if ctx
// ended before the server answered, and nil otherwise.
func (c *Conn) Close(ctx context.Context) error {
	var err error
	c.closeOnce.Do(func() {
		c.mu.Lock()
		live := c.err == nil && c.state.Connected()
		c.closing = true
		c.mu.Unlock()
		if live {
			cctx, cancel := context.WithTimeout(ctx, c.SessionTimeout())
			_, cerr := c.call(cctx, wire.OpCloseSession, nil, nil, nil)
			cancel()
			if cerr != nil && ctx.Err() != nil {
				err = ctx.Err()
			}
		}
		c.closeNow()
	})
	<-c.runDone
	c.stopOnce.Do(func() {
		c.goMu.Lock()
		c.stopped = true
		c.goMu.Unlock()
		close(c.stop)
	})
	c.wg.Wait()
	return err
}

// SessionID returns the session id: 0 before the first connection and, with
// WithSessionRenewal, between an expiry and the next session. Session
// returns the id with the session's generation.
func (c *Conn) SessionID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID
}

func (c *Conn) sessionIDLocked() string { return fmt.Sprintf("0x%x", c.sessionID) }

// SessionPassword returns a copy of the session's password. With the id it
// lets another client resume the session (WithSession).
func (c *Conn) SessionPassword() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.passwd...)
}

// SessionTimeout returns the session timeout negotiated with the server (0
// before the first connection).
func (c *Conn) SessionTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.timeout
}

// pingInterval returns the ping interval of the current (or last)
// link, for tests.
func (c *Conn) pingInterval() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pingEvery
}

// Server returns the address of the server the Conn is connected to, or
// "" when no connection is up.
func (c *Conn) Server() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.server
}

// LastZxid returns the highest zxid the client has seen in a reply. On
// reconnect the client only accepts servers that have seen it too.
func (c *Conn) LastZxid() int64 { return c.lastZxid.Load() }

func (c *Conn) observeZxid(z int64) {
	for {
		cur := c.lastZxid.Load()
		if z <= cur || c.lastZxid.CompareAndSwap(cur, z) {
			return
		}
	}
}

// terminate finishes the Conn (and its current session) with err and the
// terminal state st. Only the first call has an effect.
func (c *Conn) terminate(err error, st State) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	c.server = ""
	c.setStateLocked(st)
	if s := c.sess.Load(); s != nil {
		s.end(err)
	}
	close(c.done)
	c.mu.Unlock()
	c.logger.Info("zk: session ended", "state", st, "err", err)
	c.closeQueue(err)
	c.watches.closeAll()
}

func (c *Conn) nextXid() int32 {
	x := c.xid
	c.xid++
	if c.xid <= 0 {
		c.xid = 1
	}
	return x
}

// spawn runs f in a goroutine counted by Close, unless Close has already
// stopped the Conn; it reports whether f was started.
func (c *Conn) spawn(f func()) bool {
	c.goMu.Lock()
	defer c.goMu.Unlock()
	if c.stopped {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}
