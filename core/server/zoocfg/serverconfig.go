package zoocfg

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/zabkit/zabkit/core/server"
)

// ServerConfig turns the configuration into a server's, starting from
// server.DefaultConfig and validated by it: a file the server cannot run
// (a jute.maxbuffer too small, say) fails with an error naming the file
// and matching server.ErrInvalidConfig. The server logs to logger.
//
// A standalone configuration gets one peer and an in-memory peer network
// (no peer port is opened); otherwise the peers are the server.N lines,
// talking on their quorum ports (the election port is not used). As
// ZooKeeper keeps dataDir/version-2 and dataLogDir/version-2, snapshots and
// epochs go to dataDir/zabkit and the transaction log to
// dataLogDir/zabkit (the same directory when dataLogDir is not set).
func (c *Config) ServerConfig(logger *slog.Logger) (server.Config, error) {
	id := uint64(c.MyID)
	if c.Standalone && id == 0 {
		id = 1
	}
	sc := server.DefaultConfig(id)
	if c.Standalone {
		sc.Peers = []server.Peer{{ID: id, ClientAddr: c.ClientAddr}}
		// A server alone has no peer to talk to: no peer port is opened.
		sc.Network = server.NewMemNetwork(0)
	} else {
		for _, s := range c.Servers {
			sc.Peers = append(sc.Peers, server.Peer{ID: uint64(s.ID), PeerAddr: s.QuorumAddr(),
				ClientAddr: s.ClientAddr, Observer: s.Observer})
		}
		logger.Info("zabkit peers talk on the quorum port; the election port is not used")
		sc.InitLimit, sc.SyncLimit = c.InitLimit, c.SyncLimit
	}
	sc.TickTime = c.TickTime
	sc.ClientAddr = c.ClientAddr
	sc.MinSessionTimeout, sc.MaxSessionTimeout = c.MinSessionTimeout, c.MaxSessionTimeout
	sc.MaxClientCnxns = c.MaxClientCnxns
	if c.MaxPacket > 0 {
		sc.MaxPacket = c.MaxPacket
	}
	// globalOutstandingLimit bounds the requests in flight over all
	// connections, as in ZooKeeper. ZooKeeper has no per-connection limit;
	// zabkit's (MaxOutstanding) keeps core/server's default.
	if c.MaxOutstandingGlobal > 0 {
		sc.MaxOutstandingGlobal = c.MaxOutstandingGlobal
	}
	sc.SnapCount = c.SnapCount
	sc.SnapRetainCount = c.SnapRetainCount
	sc.PurgeInterval = c.PurgeInterval
	sc.FourLetterWhitelist = c.FourLetterWhitelist
	sc.SuperDigest = c.SuperDigest
	sc.ExtendedTypes = c.ExtendedTypes
	// As ZooKeeper keeps dataDir/version-2 and dataLogDir/version-2:
	// snapshots and epochs in dataDir/zabkit, the transaction log in
	// dataLogDir/zabkit (the same directory when dataLogDir is not set).
	sc.Dir = filepath.Join(c.DataDir, "zabkit")
	if filepath.Clean(c.DataLogDir) != filepath.Clean(c.DataDir) {
		sc.LogDir = filepath.Join(c.DataLogDir, "zabkit")
	}
	sc.Logger = logger
	if err := sc.Validate(); err != nil {
		return sc, fmt.Errorf("%s: %w", c.File, err)
	}
	return sc, nil
}

// Log logs the configuration's warnings (at Warn) and each ignored key
// once (at Info, with the line of its first mention in Ignored and why it
// is ignored).
func (c *Config) Log(logger *slog.Logger) {
	for _, w := range c.Warnings {
		logger.Warn(w)
	}
	seen := map[string]bool{}
	for _, k := range c.Ignored {
		if seen[k.Key] {
			continue
		}
		seen[k.Key] = true
		logger.Info("ignoring configuration key", "key", k.Key, "at", fmt.Sprintf("%s:%d", c.File, k.Line), "reason", k.Reason)
	}
}
