package client

import (
	"context"
	"fmt"
	"time"

	"github.com/zabkit/zabkit/wire"
)

// Op is one write operation of a Multi: *CreateOp, *DeleteOp, *SetOp or
// *CheckOp (values work too).
type Op interface {
	multiOp(c *Conn) (wire.MultiOp, error)
}

// CreateOp creates a znode, as Create (or CreateTTL when TTL is set).
type CreateOp struct {
	Path string
	Data []byte
	Mode CreateMode
	ACL  []ACL // nil means OpenACL
	TTL  time.Duration
}

// DeleteOp deletes a znode, as Delete.
type DeleteOp struct {
	Path    string
	Version int32
}

// SetOp sets a znode's data, as Set.
type SetOp struct {
	Path    string
	Data    []byte
	Version int32
}

// CheckOp fails the Multi unless the znode exists with the given version
// (AnyVersion: unless it exists).
type CheckOp struct {
	Path    string
	Version int32
}

func (o CreateOp) multiOp(c *Conn) (wire.MultiOp, error) {
	op, req, err := c.createRequest(o.Path, o.Data, o.Mode, o.ACL, o.TTL.Milliseconds())
	if err != nil {
		return wire.MultiOp{}, opError("create", o.Path, err)
	}
	return wire.MultiOp{Type: op, Request: req}, nil
}

func (o DeleteOp) multiOp(c *Conn) (wire.MultiOp, error) {
	if err := validatePath(o.Path, false); err != nil {
		return wire.MultiOp{}, opError("delete", o.Path, err)
	}
	return wire.MultiOp{Type: wire.OpDelete, Request: &wire.DeleteRequest{Path: c.serverPath(o.Path), Version: o.Version}}, nil
}

func (o SetOp) multiOp(c *Conn) (wire.MultiOp, error) {
	if err := validatePath(o.Path, false); err != nil {
		return wire.MultiOp{}, opError("set", o.Path, err)
	}
	return wire.MultiOp{Type: wire.OpSetData, Request: &wire.SetDataRequest{Path: c.serverPath(o.Path), Data: o.Data, Version: o.Version}}, nil
}

func (o CheckOp) multiOp(c *Conn) (wire.MultiOp, error) {
	if err := validatePath(o.Path, false); err != nil {
		return wire.MultiOp{}, opError("check", o.Path, err)
	}
	return wire.MultiOp{Type: wire.OpCheck, Request: &wire.CheckVersionRequest{Path: c.serverPath(o.Path), Version: o.Version}}, nil
}

// OpResult is the outcome of one op of a Multi.
type OpResult struct {
	// Err is nil if the op succeeded. In a failed Multi, the failing op
	// has its code (ErrNoNode, ErrBadVersion, ...), the ops before it nil,
	// and the ops after it ErrRuntimeInconsistency (not tried), as
	// ZooKeeper reports.
	Err error
	// Path is the created path, relative to the chroot (CreateOp).
	Path string
	// Stat is the new Stat (SetOp), or the created node's Stat (CreateOp)
	// when the server reports it: Apache ZooKeeper 3.8.0 answers a create
	// inside a multi with the path only, leaving Stat zero.
	Stat Stat
}

// Multi applies ops atomically: all of them or none. It returns one result
// per op. If the Multi failed, the error is the first failing op's code
// (wrapped; errors.Is works) and the results say which op failed; nothing
// was applied.
func (c *Conn) Multi(ctx context.Context, ops ...Op) ([]OpResult, error) {
	req := &wire.MultiRequest{Ops: make([]wire.MultiOp, 0, len(ops))}
	for i, o := range ops {
		if o == nil {
			return nil, fmt.Errorf("multi: op %d is nil: %w", i, ErrBadArguments)
		}
		mo, err := o.multiOp(c)
		if err != nil {
			return nil, fmt.Errorf("multi: op %d: %w", i, err)
		}
		req.Ops = append(req.Ops, mo)
	}
	var resp wire.MultiResponse
	if _, err := c.call(ctx, wire.OpMulti, req, &resp, nil); err != nil {
		return nil, opError("multi", "", err)
	}
	out := make([]OpResult, len(resp.Results))
	var first error
	for i, r := range resp.Results {
		switch body := r.Response.(type) {
		case *wire.CreateResponse:
			out[i].Path = c.clientPath(body.Path)
		case *wire.Create2Response:
			out[i].Path = c.clientPath(body.Path)
			out[i].Stat = body.Stat
		case *wire.SetDataResponse:
			out[i].Stat = body.Stat
		}
		if r.Type == wire.OpError && r.Err != wire.CodeOK {
			out[i].Err = r.Err
			if first == nil {
				first = fmt.Errorf("multi: op %d: %w", i, r.Err)
			}
		}
	}
	if first == nil && len(out) != len(ops) {
		first = fmt.Errorf("multi: %d results for %d ops: %w", len(out), len(ops), ErrMarshallingError)
	}
	return out, first
}

// ReadOp is one operation of a MultiRead: *GetOp or *ChildrenOp (values
// work too).
type ReadOp interface {
	readOp(c *Conn) (wire.MultiOp, error)
}

// GetOp reads a znode's data and Stat, as Get.
type GetOp struct{ Path string }

// ChildrenOp lists a znode's children, as Children (without the Stat).
type ChildrenOp struct{ Path string }

func (o GetOp) readOp(c *Conn) (wire.MultiOp, error) {
	if err := validatePath(o.Path, false); err != nil {
		return wire.MultiOp{}, opError("get", o.Path, err)
	}
	return wire.MultiOp{Type: wire.OpGetData, Request: &wire.GetDataRequest{Path: c.serverPath(o.Path)}}, nil
}

func (o ChildrenOp) readOp(c *Conn) (wire.MultiOp, error) {
	if err := validatePath(o.Path, false); err != nil {
		return wire.MultiOp{}, opError("children", o.Path, err)
	}
	return wire.MultiOp{Type: wire.OpGetChildren, Request: &wire.GetChildrenRequest{Path: c.serverPath(o.Path)}}, nil
}

// ReadResult is the outcome of one op of a MultiRead.
type ReadResult struct {
	Err      error    // nil, or this op's code (e.g. ErrNoNode)
	Data     []byte   // GetOp
	Stat     Stat     // GetOp
	Children []string // ChildrenOp
}

// MultiRead runs read ops in one round trip. Unlike Multi it is not atomic:
// each op succeeds or fails on its own, and the error is nil unless the
// request as a whole failed.
func (c *Conn) MultiRead(ctx context.Context, ops ...ReadOp) ([]ReadResult, error) {
	req := &wire.MultiRequest{Ops: make([]wire.MultiOp, 0, len(ops))}
	for i, o := range ops {
		if o == nil {
			return nil, fmt.Errorf("multiRead: op %d is nil: %w", i, ErrBadArguments)
		}
		mo, err := o.readOp(c)
		if err != nil {
			return nil, fmt.Errorf("multiRead: op %d: %w", i, err)
		}
		req.Ops = append(req.Ops, mo)
	}
	var resp wire.MultiResponse
	if _, err := c.call(ctx, wire.OpMultiRead, req, &resp, nil); err != nil {
		return nil, opError("multiRead", "", err)
	}
	out := make([]ReadResult, len(resp.Results))
	for i, r := range resp.Results {
		switch body := r.Response.(type) {
		case *wire.GetDataResponse:
			out[i].Data, out[i].Stat = body.Data, body.Stat
		case *wire.GetChildrenResponse:
			out[i].Children = body.Children
		}
		if r.Type == wire.OpError && r.Err != wire.CodeOK {
			out[i].Err = r.Err
		}
	}
	if len(out) != len(ops) {
		return out, fmt.Errorf("multiRead: %d results for %d ops: %w", len(out), len(ops), ErrMarshallingError)
	}
	return out, nil
}
