package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/core/server/zoocfg"
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
	cfg, err := zoocfg.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	cfg.Log(logger)
	sc, err := cfg.ServerConfig(logger)
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
