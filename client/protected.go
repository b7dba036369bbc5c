package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Protected names follow Apache Curator (ProtectedUtils): a node created
// "protected" is named "_c_" + a 36-character UUID + "-" + the requested
// name, so that after a lost reply its creator can recognise it among its
// siblings.
const (
	protectedPrefix    = "_c_"
	protectedSeparator = "-"
	// protectedPrefixLen is the length of "_c_<uuid>-".
	protectedPrefixLen = len(protectedPrefix) + 36 + len(protectedSeparator)
)

// NewUUID returns a random (version 4) UUID in its 36-character text form,
// from crypto/rand.
func NewUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("zk: crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// ProtectedName returns the protected form of a node name: "_c_" + id + "-"
// + name.
func ProtectedName(id, name string) string {
	return protectedPrefix + id + protectedSeparator + name
}

// IsProtected reports whether a node name has the protected form.
func IsProtected(name string) bool {
	return len(name) > protectedPrefixLen && strings.HasPrefix(name, protectedPrefix) &&
		name[protectedPrefixLen-1] == protectedSeparator[0]
}

// ProtectedID returns the UUID of a protected node name.
func ProtectedID(name string) (string, bool) {
	if !IsProtected(name) {
		return "", false
	}
	return name[len(protectedPrefix) : protectedPrefixLen-1], true
}

// StripProtected returns a node name without its protected prefix (the name
// as requested, plus any sequence suffix), or name unchanged if it is not
// protected.
func StripProtected(name string) string {
	if !IsProtected(name) {
		return name
	}
	return name[protectedPrefixLen:]
}

// CreateProtected creates a node whose name carries a fresh GUID prefix
// (Curator's protected mode: parent/_c_<uuid>-name, plus the sequence
// suffix for sequential modes) and survives lost replies: after
// ErrConnectionLoss (or, for non-sequential modes, ErrNodeExists) it looks
// for its node among the parent's children by the GUID prefix and, for
// ephemeral modes, by this session's id as ephemeral owner, and returns it
// if found; otherwise it creates again. Retries are spaced and bounded as
// in Retry (opts apply). It is the building block of the lock and election
// recipes (mode ModeEphemeralSequential).
func (c *Conn) CreateProtected(ctx context.Context, path string, data []byte, mode CreateMode, acl []ACL, opts ...RetryOption) (string, Stat, error) {
	if err := validatePath(path, mode.IsSequential()); err != nil {
		return "", Stat{}, opError("create", path, err)
	}
	parent, name := parentPath(path), path[strings.LastIndexByte(path, '/')+1:]
	id := NewUUID()
	ppath := joinPath(parent, ProtectedName(id, name))
	type created struct {
		path string
		stat Stat
	}
	retryable := func(err error) bool {
		return IsRetryable(err) || (errors.Is(err, ErrNodeExists) && !mode.IsSequential())
	}
	res, err := RetryValue(ctx, func(ctx context.Context) (created, error) {
		p, st, err := c.Create(ctx, ppath, data, mode, acl)
		if err == nil {
			return created{p, st}, nil
		}
		if !retryable(err) {
			return created{}, err
		}
		p, st, found, ferr := c.findProtected(ctx, parent, id, mode)
		if ferr != nil {
			if IsRetryable(ferr) {
				return created{}, ferr
			}
			return created{}, fmt.Errorf("zk: looking for protected node %s after %v: %w", ppath, err, ferr)
		}
		if found {
			return created{p, st}, nil
		}
		if errors.Is(err, ErrNodeExists) {
			return created{}, err // someone else's node: do not loop
		}
		return created{}, err
	}, append([]RetryOption{WithRetryIf(IsRetryable)}, opts...)...)
	if err != nil {
		return "", Stat{}, err
	}
	return res.path, res.stat, nil
}

// findProtected looks for the child of parent created with id.
func (c *Conn) findProtected(ctx context.Context, parent, id string, mode CreateMode) (string, Stat, bool, error) {
	kids, _, err := c.Children(ctx, parent)
	if err != nil {
		return "", Stat{}, false, err
	}
	prefix := protectedPrefix + id + protectedSeparator
	for _, k := range kids {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		p := joinPath(parent, k)
		ok, st, err := c.Exists(ctx, p)
		if err != nil {
			return "", Stat{}, false, err
		}
		if !ok {
			continue
		}
		if mode.IsEphemeral() && st.EphemeralOwner != c.SessionID() {
			continue
		}
		return p, st, true, nil
	}
	return "", Stat{}, false, nil
}

func joinPath(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}
