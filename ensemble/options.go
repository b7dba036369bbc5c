package ensemble

import (
	"log/slog"
	"time"

	"github.com/zabkit/zabkit/core/server"
)

// Option configures Start.
type Option func(*options)

type options struct {
	size        int
	observers   int
	tick        time.Duration
	initLimit   int
	syncLimit   int
	minSession  time.Duration
	maxSession  time.Duration
	dir         string
	clientPorts []int
	tcp         bool
	logger      *slog.Logger
	seed        uint64
	configure   func(id uint64, c *server.Config)
}

// Defaults: a 3-voter ensemble with short ticks, so that it elects a
// leader in a few milliseconds and notices a dead leader within
// SyncLimit ticks, and long maximum sessions, so that a test's sessions do
// not expire because the machine is busy.
const (
	DefaultSize              = 3
	DefaultTickTime          = 10 * time.Millisecond
	DefaultInitLimit         = 50
	DefaultSyncLimit         = 30
	DefaultMaxSessionTimeout = time.Minute
)

func defaultOptions() options {
	return options{
		size:       DefaultSize,
		tick:       DefaultTickTime,
		initLimit:  DefaultInitLimit,
		syncLimit:  DefaultSyncLimit,
		maxSession: DefaultMaxSessionTimeout,
		logger:     slog.New(slog.DiscardHandler),
	}
}

// WithSize sets the number of voting servers (default 3). Use an odd
// number: 1, 3, 5...
func WithSize(n int) Option { return func(o *options) { o.size = n } }

// WithObservers adds n observers (peerType=observer) after the voters.
func WithObservers(n int) Option { return func(o *options) { o.observers = n } }

// WithTickTime sets ZooKeeper's tickTime for every server (default
// DefaultTickTime).
func WithTickTime(d time.Duration) Option { return func(o *options) { o.tick = d } }

// WithLimits sets initLimit and syncLimit, in ticks.
func WithLimits(initLimit, syncLimit int) Option {
	return func(o *options) { o.initLimit, o.syncLimit = initLimit, syncLimit }
}

// WithSessionTimeouts sets the range the servers clamp a requested session
// timeout to (defaults: 2 ticks and DefaultMaxSessionTimeout).
func WithSessionTimeouts(min, max time.Duration) Option {
	return func(o *options) { o.minSession, o.maxSession = min, max }
}

// WithDir keeps each server's state on disk under dir/server<id> instead
// of in memory. Restart then recovers from the directory.
func WithDir(dir string) Option { return func(o *options) { o.dir = dir } }

// WithClientPorts fixes the client ports of the servers, in order (server
// 1 first). Without it every server listens on a free loopback port; the
// port is kept across Restart either way.
func WithClientPorts(ports ...int) Option {
	return func(o *options) { o.clientPorts = append([]int(nil), ports...) }
}

// WithTCPPeers makes the servers talk to each other over loopback TCP, as
// separate processes do, instead of the in-memory network. Partition,
// Heal, SetDrop and SetDelay need the in-memory network and fail with
// ErrNotSupported on TCP.
func WithTCPPeers() Option { return func(o *options) { o.tcp = true } }

// WithLogger sends every server's logs to l, each record tagged with the
// server's id (default: discarded).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithSeed seeds the in-memory network's random message drops and which
// unsynced log entries the in-memory store of a killed server keeps.
func WithSeed(seed uint64) Option { return func(o *options) { o.seed = seed } }

// WithServerConfig lets f adjust each server's configuration (limits,
// four-letter words, super digest...) before it starts. The ensemble sets
// ID, Peers, ClientAddr, Dir or Store, Network and Logger itself; f must
// keep them, though it may wrap Store, Network and Logger (to watch or
// hold their calls in a test). f runs at every start of a server, Restart
// included. Several WithServerConfig apply in the order given.
func WithServerConfig(f func(id uint64, c *server.Config)) Option {
	return func(o *options) {
		prev := o.configure
		if prev == nil {
			o.configure = f
			return
		}
		o.configure = func(id uint64, c *server.Config) {
			prev(id, c)
			f(id, c)
		}
	}
}
