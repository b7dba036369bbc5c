package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// runServer is `zabkit server <zoo.cfg>`.
func runServer(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "server", "<zoo.cfg>")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	cfg, err := loadConfig(fs.Arg(0))
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(env.stderr, nil))
	logConfig(logger, cfg)
	return errors.New("the zabkit server (core/server) is not available in this build yet")
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
