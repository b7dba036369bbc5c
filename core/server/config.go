package server

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/zabkit/zabkit/core/storage"
	"github.com/zabkit/zabkit/wire"
)

// ErrInvalidConfig is wrapped by every error Config.Validate returns.
var ErrInvalidConfig = errors.New("server: invalid config")

// Peer is one member of the ensemble (ZooKeeper's server.N line).
type Peer struct {
	// ID is the server id (myid), 1..254.
	ID uint64
	// PeerAddr is the quorum address (host:port) for the TCP transport.
	PeerAddr string
	// ClientAddr is the member's client address, for information (conf).
	ClientAddr string
	// Observer makes the member an observer (peerType=observer): it learns
	// committed txns, serves clients, and never votes.
	Observer bool
}

// Config configures one server. Start from DefaultConfig.
type Config struct {
	// ID is this server's id; it must be one of Peers.
	ID uint64
	// Peers lists every voter and observer, this server included.
	Peers []Peer

	// TickTime is ZooKeeper's tickTime (default 2s).
	TickTime time.Duration
	// InitLimit and SyncLimit are in ticks (defaults 10 and 5).
	InitLimit int
	SyncLimit int

	// ClientAddr is the client listen address; ":0" picks a port (see
	// Server.ClientAddr). Empty means no client listener.
	ClientAddr string
	// MinSessionTimeout and MaxSessionTimeout clamp the negotiated
	// session timeout; zero means 2 and 20 ticks.
	MinSessionTimeout time.Duration
	MaxSessionTimeout time.Duration
	// MaxClientCnxns limits concurrent connections from one IP (0: none).
	MaxClientCnxns int
	// MaxOutstanding limits the requests one connection may have in
	// flight; the server stops reading from it until some complete
	// (zabkit's own, so that one client cannot take the whole global
	// budget; ZooKeeper has only the global limit). Default 1000.
	MaxOutstanding int
	// MaxOutstandingGlobal limits the requests in flight over all
	// connections (ZooKeeper's globalOutstandingLimit); readers wait for a
	// free slot. Default 10000.
	MaxOutstandingGlobal int
	// MaxPacket is jute.maxbuffer: larger client frames close the
	// connection. Default wire.DefaultMaxPacket.
	MaxPacket int

	// SnapCount sets how many txns are applied between snapshots (default
	// 100000): as in ZooKeeper, a snapshot is taken after SnapCount/2 plus
	// a random number below SnapCount/2 of them, drawn anew each time, so
	// the replicas of an ensemble do not all snapshot at once.
	// SnapRetainCount is how many snapshots a purge keeps (default 3).
	SnapCount       int
	SnapRetainCount int
	// PurgeInterval, if nonzero, purges old snapshots and logs after
	// every snapshot (ZooKeeper's autopurge.purgeInterval > 0).
	PurgeInterval time.Duration

	// FourLetterWhitelist lists the four-letter words served; nil means
	// ZooKeeper's default ("srvr" only), []string{"*"} all of them.
	FourLetterWhitelist []string
	// SuperDigest is user:base64(sha1(user:password)), the digest of the
	// super user (zookeeper.DigestAuthenticationProvider.superDigest).
	SuperDigest string
	// ExtendedTypes enables TTL nodes (default true here).
	ExtendedTypes bool
	// ContainerCheckInterval is how often the leader looks for empty
	// containers and expired TTL nodes (default one minute, as ZooKeeper's
	// znode.container.checkIntervalMs).
	ContainerCheckInterval time.Duration

	// Dir holds the durable state (log, snapshots, epochs). Ignored when
	// Store is set.
	Dir string
	// LogDir, if set, holds the transaction log instead of Dir, as
	// ZooKeeper's dataLogDir (snapshots and epochs stay in Dir). Empty
	// means Dir. Ignored when Store is set.
	LogDir string
	// Store is an injected store (for example *storage.Mem) that the
	// server does not close, so that it survives Kill for a restart. Kill
	// does not crash it: its owner does (storage.Mem.Crash).
	Store storage.Storage

	// Network provides the peer transport; nil means TCP over the Peers'
	// PeerAddr.
	Network Network

	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns ZooKeeper's defaults for server id; the caller
// sets Peers, ClientAddr and Dir or Store.
func DefaultConfig(id uint64) Config {
	return Config{ID: id, TickTime: 2 * time.Second, InitLimit: 10, SyncLimit: 5,
		MaxClientCnxns: 60, MaxOutstanding: 1000, MaxOutstandingGlobal: 10000, MaxPacket: wire.DefaultMaxPacket,
		SnapCount: 100000, SnapRetainCount: 3, ExtendedTypes: true,
		ContainerCheckInterval: time.Minute}
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	d := DefaultConfig(c.ID)
	if c.TickTime == 0 {
		c.TickTime = d.TickTime
	}
	if c.InitLimit == 0 {
		c.InitLimit = d.InitLimit
	}
	if c.SyncLimit == 0 {
		c.SyncLimit = d.SyncLimit
	}
	if c.MinSessionTimeout == 0 {
		c.MinSessionTimeout = 2 * c.TickTime
	}
	if c.MaxSessionTimeout == 0 {
		c.MaxSessionTimeout = 20 * c.TickTime
	}
	if c.MaxOutstanding == 0 {
		c.MaxOutstanding = d.MaxOutstanding
	}
	if c.MaxPacket == 0 {
		c.MaxPacket = d.MaxPacket
	}
	if c.MaxOutstandingGlobal == 0 {
		c.MaxOutstandingGlobal = d.MaxOutstandingGlobal
	}
	if c.SnapCount == 0 {
		c.SnapCount = d.SnapCount
	}
	if c.SnapRetainCount == 0 {
		c.SnapRetainCount = d.SnapRetainCount
	}
	if c.ContainerCheckInterval == 0 {
		c.ContainerCheckInterval = d.ContainerCheckInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first problem of c (after defaults are applied),
// wrapping ErrInvalidConfig.
func (c Config) Validate() error {
	c = c.withDefaults()
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, a...)...)
	}
	if c.ID == 0 || c.ID > wire.MaxExtendedServerID {
		return bad("ID %d out of 1..%d", c.ID, wire.MaxExtendedServerID)
	}
	seen := map[uint64]bool{}
	voters := 0
	for _, p := range c.Peers {
		if p.ID == 0 || p.ID > wire.MaxExtendedServerID {
			return bad("peer id %d out of 1..%d", p.ID, wire.MaxExtendedServerID)
		}
		if seen[p.ID] {
			return bad("peer %d listed twice", p.ID)
		}
		seen[p.ID] = true
		if !p.Observer {
			voters++
		}
		if c.Network == nil && p.PeerAddr == "" && len(c.Peers) > 1 {
			return bad("peer %d has no PeerAddr (needed by the TCP transport)", p.ID)
		}
	}
	if !seen[c.ID] {
		return bad("ID %d is not among Peers", c.ID)
	}
	if voters == 0 {
		return bad("no voters among Peers")
	}
	if c.TickTime < time.Millisecond {
		return bad("TickTime %v below 1ms", c.TickTime)
	}
	if c.InitLimit < 1 || c.SyncLimit < 1 {
		return bad("InitLimit and SyncLimit must be >= 1")
	}
	if c.MinSessionTimeout > c.MaxSessionTimeout {
		return bad("MinSessionTimeout %v > MaxSessionTimeout %v", c.MinSessionTimeout, c.MaxSessionTimeout)
	}
	if c.MaxClientCnxns < 0 || c.MaxOutstanding < 1 || c.MaxOutstandingGlobal < 1 || c.MaxPacket < 1024 {
		return bad("MaxClientCnxns >= 0, MaxOutstanding >= 1, MaxPacket >= 1024 required")
	}
	if c.SnapCount < 2 || c.SnapRetainCount < 1 {
		return bad("SnapCount >= 2 and SnapRetainCount >= 1 required")
	}
	if c.Store == nil && c.Dir == "" {
		return bad("neither Dir nor Store set")
	}
	return nil
}
