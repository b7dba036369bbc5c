package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/zabkit/zabkit/core/server"
)

// runServer is `zabkit server <zoo.cfg>`: it runs one server until SIGTERM
// or SIGINT (ctx), then shuts it down gracefully.
func runServer(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "server", "[-log-level debug|info|warn|error] <zoo.cfg>")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(env.stderr, "zabkit server: -log-level %q: %v\n", *level, err)
		return errUsage
	}
	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: lvl}))
	cfg, err := loadConfig(fs.Arg(0))
	if err != nil {
		return err
	}
	logConfig(logger, cfg)
	sc, err := serverConfig(cfg, logger)
	if err != nil {
		return err
	}
	srv, err := server.New(sc)
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		_ = srv.Close()
		return err
	}
	mode := "quorum"
	if cfg.Standalone {
		mode = "standalone"
	}
	logAttrs := []any{"config", cfg.File, "mode", mode, "myid", sc.ID, "clientAddr", srv.ClientAddr(), "dataDir", sc.Dir}
	if sc.LogDir != "" {
		logAttrs = append(logAttrs, "dataLogDir", sc.LogDir)
	}
	logger.Info("started", logAttrs...)
	var metrics *metricsServer
	if cfg.MetricsAddr != "" {
		metrics, err = startMetrics(cfg.MetricsAddr, srv, cfg.Standalone, logger)
		if err != nil {
			_ = srv.Close()
			return err
		}
	}
	<-ctx.Done()
	logger.Info("shutting down", "reason", context.Cause(ctx))
	var errs []error
	if metrics != nil {
		errs = append(errs, metrics.close())
	}
	errs = append(errs, srv.Close())
	if err := errors.Join(errs...); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

// serverConfig turns a parsed zoo.cfg into the server's configuration.
func serverConfig(c *zooConfig, logger *slog.Logger) (server.Config, error) {
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

// logConfig logs the configuration's warnings and each ignored key once.
func logConfig(logger *slog.Logger, cfg *zooConfig) {
	for _, w := range cfg.Warnings {
		logger.Warn(w)
	}
	seen := map[string]bool{}
	for _, k := range cfg.Ignored {
		if seen[k.Key] {
			continue
		}
		seen[k.Key] = true
		logger.Info("ignoring configuration key", "key", k.Key, "at", fmt.Sprintf("%s:%d", cfg.File, k.Line), "reason", k.Reason)
	}
}

// metricsServer serves /metrics over HTTP.
type metricsServer struct {
	http *http.Server
	done chan error
}

func startMetrics(addr string, srv *server.Server, standalone bool, logger *slog.Logger) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metricsProvider.httpPort: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metricsHandler(srv, standalone))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	m := &metricsServer{http: hs, done: make(chan error, 1)}
	go func() { m.done <- hs.Serve(ln) }()
	logger.Info("metrics", "url", metricsURL(ln.Addr().String()))
	return m, nil
}

// metricsURL is the endpoint's URL for a log line, given the listener's
// address: a wildcard host (0.0.0.0, [::], none) becomes localhost, which
// a reader can paste into a browser or curl.
func metricsURL(listenAddr string) string {
	host, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return "http://" + listenAddr + "/metrics"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/metrics"
}

func (m *metricsServer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := m.http.Shutdown(ctx)
	if serr := <-m.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
