package config

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/zabkit/zabkit/client"
)

// Version arguments of Set and Delete besides an exact version (>= 0).
const (
	// AnyVersion: Set writes whatever the current version (creating the
	// key if missing); Delete deletes whatever the version.
	AnyVersion int32 = -1
	// Absent: Set creates the key and fails with ErrConflict if it exists.
	Absent int32 = -2
)

var (
	// ErrNotFound is returned for a key that does not exist.
	ErrNotFound = errors.New("config: key not found")
	// ErrConflict is returned when a compare-and-set fails: the key's
	// version is not the one given (or it exists, for Absent).
	ErrConflict = errors.New("config: version conflict")
	// ErrBadKey is returned for a key that is not a relative znode path.
	ErrBadKey = errors.New("config: bad key")
	// ErrSessionLost is matched by the errors of calls on a Conn that is
	// finished: its session expired without WithSessionRenewal, its
	// authentication failed, or it was closed. The error also matches the
	// Conn's (client.ErrSessionExpired, ...).
	ErrSessionLost = errors.New("config: session lost")
)

// Value is a key's value and its version.
type Value struct {
	Key     string
	Data    []byte
	Version int32 // for compare-and-set
	Mzxid   int64 // zxid of the last change
	Deleted bool  // in a Watch stream: the key does not exist
}

// Center is a config center rooted at a base path.
type Center struct {
	c    *client.Conn
	base string
}

// New returns a Center on c for the keys below base. It follows c's
// sessions: with WithSessionRenewal, calls and Watch go on on the session
// that replaces an expired one.
func New(c *client.Conn, base string) *Center { return &Center{c: c, base: base} }

// retry runs op until it succeeds or fails for good. It runs op again
// after connection loss and, while the Conn replaces an expired session,
// after an ErrSessionExpired of a request that was never sent; an error of
// a finished Conn matches ErrSessionLost.
func (cc *Center) retry(ctx context.Context, op func(ctx context.Context) error) error {
	err := client.Retry(ctx, op, client.WithRetryIf(func(err error) bool {
		return client.IsRetryable(err) || client.IsSessionLost(err) && cc.c.Err() == nil
	}))
	if client.IsSessionLost(err) && cc.c.Err() != nil {
		return fmt.Errorf("%w: %w", ErrSessionLost, err)
	}
	return err
}

func (cc *Center) path(key string) (string, error) {
	if err := client.ValidatePath(cc.base); err != nil {
		return "", err
	}
	if key == "" || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") || strings.Contains(key, "//") {
		return "", fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	for _, part := range strings.Split(key, "/") {
		if part == "." || part == ".." {
			return "", fmt.Errorf("%w: %q", ErrBadKey, key)
		}
	}
	return client.JoinPath(cc.base, key), nil
}

// Get returns the key's value, or ErrNotFound.
func (cc *Center) Get(ctx context.Context, key string) (Value, error) {
	p, err := cc.path(key)
	if err != nil {
		return Value{}, err
	}
	c := cc.c
	var data []byte
	var st client.Stat
	err = cc.retry(ctx, func(ctx context.Context) error {
		var err error
		data, st, err = c.Get(ctx, p)
		return err
	})
	if errors.Is(err, client.ErrNoNode) {
		return Value{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return Value{}, fmt.Errorf("config: get %s: %w", key, err)
	}
	return Value{Key: key, Data: data, Version: st.Version, Mzxid: st.Mzxid}, nil
}

// Set writes data to key if its version matches: an exact version
// (compare-and-set), AnyVersion (unconditional; creates a missing key) or
// Absent (create only). Missing parents are created as containers. It
// returns the new value, or ErrConflict / ErrNotFound.
//
// A write whose reply is lost is retried: a retried compare-and-set whose
// first attempt did apply reports ErrConflict, since the version moved.
func (cc *Center) Set(ctx context.Context, key string, data []byte, version int32) (Value, error) {
	p, err := cc.path(key)
	if err != nil {
		return Value{}, err
	}
	if version < Absent {
		return Value{}, fmt.Errorf("config: set %s: bad version %d: %w", key, version, client.ErrBadArguments)
	}
	c := cc.c
	var st client.Stat
	err = cc.retry(ctx, func(ctx context.Context) error {
		for {
			var err error
			if version != Absent {
				st, err = c.Set(ctx, p, data, version)
				if err == nil || !errors.Is(err, client.ErrNoNode) || version != AnyVersion {
					return err
				}
			}
			_, st, err = c.Create(ctx, p, data, client.ModePersistent, nil, client.WithParentContainers())
			if !errors.Is(err, client.ErrNodeExists) || version != AnyVersion {
				return err
			}
			// Created meanwhile (by another writer, or by our own create
			// whose reply was lost): set it.
		}
	})
	switch {
	case errors.Is(err, client.ErrBadVersion), errors.Is(err, client.ErrNodeExists):
		return Value{}, fmt.Errorf("%w: %s", ErrConflict, key)
	case errors.Is(err, client.ErrNoNode):
		return Value{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	case err != nil:
		return Value{}, fmt.Errorf("config: set %s: %w", key, err)
	}
	return Value{Key: key, Data: data, Version: st.Version, Mzxid: st.Mzxid}, nil
}

// Delete removes key if its version matches (AnyVersion: any). It fails
// with ErrNotFound, ErrConflict, or client.ErrNotEmpty when the key has
// keys below it.
func (cc *Center) Delete(ctx context.Context, key string, version int32) error {
	p, err := cc.path(key)
	if err != nil {
		return err
	}
	c := cc.c
	err = cc.retry(ctx, func(ctx context.Context) error { return c.Delete(ctx, p, version) })
	switch {
	case errors.Is(err, client.ErrBadVersion):
		return fmt.Errorf("%w: %s", ErrConflict, key)
	case errors.Is(err, client.ErrNoNode):
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	case err != nil:
		return fmt.Errorf("config: delete %s: %w", key, err)
	}
	return nil
}

// GetJSON reads key and decodes it as JSON into a T.
func GetJSON[T any](ctx context.Context, cc *Center, key string) (T, Value, error) {
	var v T
	val, err := cc.Get(ctx, key)
	if err != nil {
		return v, val, err
	}
	if err := json.Unmarshal(val.Data, &v); err != nil {
		return v, val, fmt.Errorf("config: %s: %w", key, err)
	}
	return v, val, nil
}

// SetJSON encodes v as JSON and writes it to key as Set does.
func SetJSON[T any](ctx context.Context, cc *Center, key string, v T, version int32) (Value, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Value{}, fmt.Errorf("config: %s: %w", key, err)
	}
	return cc.Set(ctx, key, b, version)
}
