package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
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
// ephemeral modes, by this session's id as ephemeral owner (a node of
// another session is never taken for its own), and returns it if found;
// otherwise it creates again. Retries are spaced and bounded as in Retry
// (WithRetryBackOff and WithRetryIf apply). It is the building block of the lock and election
// recipes (mode ModeEphemeralSequential).
//
// With WithParentContainers, a missing parent and its missing ancestors
// are created as container nodes first (Curator's
// creatingParentContainersIfNeeded).
//
// When CreateProtected fails after a create whose outcome is unknown (the
// reply was lost, or ctx ended while it was in flight), it deletes the node
// it may have created, so that no orphan outlives the call: Curator's
// protected-mode cleanup, done before returning rather than in the
// background. That cleanup runs on a context detached from ctx (its values
// kept, its cancellation not) and bounded by the session timeout, after
// which an ephemeral orphan would be gone with an expired session anyway;
// it is best effort (skipped once the session is lost, abandoned at the
// bound or on a non-retryable error), so the call may return up to a
// session timeout after ctx ends. When ctx ended, the error returned
// matches ctx.Err() as well as the last operation's error.
func (c *Conn) CreateProtected(ctx context.Context, path string, data []byte, mode CreateMode, acl []ACL, opts ...Option) (string, Stat, error) {
	if err := validatePath(path, mode.IsSequential()); err != nil {
		return "", Stat{}, opError("create", path, err)
	}
	o := options{retry: defaultRetryOptions()}
	if err := o.apply(callCreateProtected, opts); err != nil {
		return "", Stat{}, opError("create", path, err)
	}
	parent, name := parentPath(path), path[strings.LastIndexByte(path, '/')+1:]
	id := NewUUID()
	ppath := JoinPath(parent, ProtectedName(id, name))
	type created struct {
		path string
		stat Stat
	}
	mayExist := false // a create was sent whose outcome is unknown
	create := func(ctx context.Context) (string, Stat, error) {
		var p string
		var st Stat
		var err error
		if o.parents {
			p, st, err = c.createWithParents(ctx, ppath, data, mode, acl)
		} else {
			p, st, err = c.create(ctx, ppath, data, mode, acl, 0)
		}
		if err != nil && outcomeUnknown(err, mode) {
			mayExist = true
		}
		return p, st, err
	}
	retryable := func(err error) bool {
		return IsRetryable(err) || (errors.Is(err, ErrNodeExists) && !mode.IsSequential())
	}
	res, err := retryValue(ctx, func(ctx context.Context) (created, error) {
		p, st, err := create(ctx)
		if err == nil {
			return created{p, st}, nil
		}
		if !retryable(err) {
			return created{}, err
		}
		p, st, found, ferr := c.findProtected(ctx, parent, id, mode)
		if ferr != nil {
			if IsRetryable(ferr) || ctx.Err() != nil {
				return created{}, ferr
			}
			return created{}, fmt.Errorf("zk: looking for protected node %s after %v: %w", ppath, err, ferr)
		}
		if found {
			return created{p, st}, nil
		}
		return created{}, err // for ErrNodeExists: someone else's node, do not loop
	}, o.retry)
	if err == nil {
		return res.path, res.stat, nil
	}
	if mayExist {
		c.deleteProtected(ctx, parent, id, mode, o.retry)
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w: %w", cerr, err)
	}
	return "", Stat{}, err
}

// outcomeUnknown reports whether a failed create may nevertheless have
// been applied: its reply was lost, or ctx ended while it was in flight,
// or (non-sequential modes) the node already exists, which after a lost
// reply may be our own.
func outcomeUnknown(err error, mode CreateMode) bool {
	return IsRetryable(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.Is(err, ErrNodeExists) && !mode.IsSequential())
}

// findProtected looks for the child of parent created with id: for
// ephemeral modes, only one whose ephemeral owner is this session. A
// missing parent has no such child.
func (c *Conn) findProtected(ctx context.Context, parent, id string, mode CreateMode) (string, Stat, bool, error) {
	kids, _, err := c.Children(ctx, parent)
	if errors.Is(err, ErrNoNode) {
		return "", Stat{}, false, nil
	}
	if err != nil {
		return "", Stat{}, false, err
	}
	prefix := protectedPrefix + id + protectedSeparator
	for _, k := range kids {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		p := JoinPath(parent, k)
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

// deleteProtected deletes the node created with id, if there is one, after
// a failed CreateProtected: best effort, on a context detached from ctx and
// bounded by the session timeout, retrying (spaced by the caller's policy)
// after connection loss until the node is gone.
func (c *Conn) deleteProtected(ctx context.Context, parent, id string, mode CreateMode, retry retryOptions) {
	if c.Err() != nil {
		return // the session is gone: nothing can be deleted through it
	}
	bound := c.SessionTimeout()
	if bound <= 0 {
		bound = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bound)
	defer cancel()
	retry.retryable = IsRetryable
	_, err := retryValue(ctx, func(ctx context.Context) (struct{}, error) {
		p, _, found, err := c.findProtected(ctx, parent, id, mode)
		if err != nil || !found {
			return struct{}{}, err
		}
		err = c.Delete(ctx, p, AnyVersion)
		if err == nil || errors.Is(err, ErrNoNode) {
			return struct{}{}, nil
		}
		return struct{}{}, err
	}, retry)
	if err != nil {
		c.logger.Warn("zk: could not delete a protected node after a failed create",
			"parent", parent, "id", id, "err", err)
	}
}
