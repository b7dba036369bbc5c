package znode

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/zabkit/zabkit/wire"
)

// Request is a client write request as the leader's prep stage sees it.
type Request struct {
	// Session is the id of the session that sent the request.
	Session int64
	// Cxid is the request's xid.
	Cxid int32
	// Op is the request type. Prep accepts OpCreate, OpCreate2,
	// OpCreateContainer, OpCreateTTL, OpDelete, OpDeleteContainer,
	// OpSetData, OpSetACL, OpCheck, OpMulti, OpCreateSession,
	// OpCloseSession and OpReconfig (always ReconfigDisabled).
	Op wire.Op
	// Record is the request body:
	//
	//	OpCreate, OpCreate2, OpCreateContainer  *wire.CreateRequest
	//	OpCreateTTL                             *wire.CreateTTLRequest
	//	OpDelete, OpDeleteContainer             *wire.DeleteRequest (the container reaper sends Version -1)
	//	OpSetData                               *wire.SetDataRequest
	//	OpSetACL                                *wire.SetACLRequest
	//	OpCheck                                 *wire.CheckVersionRequest
	//	OpMulti                                 *wire.MultiRequest
	//	OpCreateSession                         *wire.CreateSessionTxn (the negotiated timeout)
	//	OpCloseSession                          nil
	Record wire.Record
	// Auth is the session's authenticated ids (ip:<address> for every
	// connection, digest ids added by auth packets, SuperID for the
	// superuser), used for ACL checks and the "auth" ACL scheme.
	Auth []wire.ID
}

// ErrBadRequest reports a Request whose Op and Record do not go together,
// or an Op Prep does not handle. It is a server bug, not a client error.
var ErrBadRequest = errors.New("znode: bad request")

// Prep turns a write request into the txn to replicate, as ZooKeeper's
// PrepRequestProcessor does on the leader: it checks paths, versions,
// existence, ACLs and create modes, names sequential nodes, and expands
// ACLs, against the tree as it will be once every txn prepared before has
// been applied. zxid and now (the leader's wall clock, milliseconds) go
// into the txn header.
//
// On success it returns the txn. When the request fails with a ZooKeeper
// error, it returns an OpError txn carrying that code together with the
// code as the error (a wire.Code, usable with errors.Is); ZooKeeper logs
// such txns too, and the server may either replicate it (to keep the
// session's replies in order) or answer at once. A multi that fails is
// still an OpMulti txn (with ErrorTxn sub-records) and its first failing
// code is returned as the error. Other errors (ErrBadRequest) mean the
// request is unusable and no txn is returned.
//
// The changes of a successful Prep are remembered until Apply applies a
// txn with that zxid or a later one, or ResetPending is called; zxids must
// therefore increase from one Prep to the next. Session liveness checks
// (SessionExpired, SessionMoved) are the server's, done before Prep.
func (t *Tree) Prep(req Request, zxid, now int64) (Txn, error) {
	h := wire.TxnHeader{ClientID: req.Session, Cxid: req.Cxid, Zxid: zxid, Time: now, Type: req.Op}
	var s stage
	var rec wire.Record
	var err error
	switch req.Op {
	case wire.OpMulti:
		m, ok := req.Record.(*wire.MultiRequest)
		if !ok {
			return Txn{}, badRequest(req)
		}
		if multiUnmarshallable(m) {
			h.Type = wire.OpError
			return Txn{Header: h, Record: &wire.ErrorTxn{Err: wire.CodeMarshallingError}}, wire.CodeMarshallingError
		}
		var failed wire.Code
		rec, failed, err = t.prepMulti(&s, req, m, zxid)
		if err != nil {
			return Txn{}, err
		}
		if failed != wire.CodeOK {
			return Txn{Header: h, Record: rec}, failed
		}
	case wire.OpCreateSession:
		r, ok := req.Record.(*wire.CreateSessionTxn)
		if !ok {
			return Txn{}, badRequest(req)
		}
		rec = &wire.CreateSessionTxn{TimeOut: r.TimeOut}
	case wire.OpCloseSession:
		rec = t.prepCloseSession(&s, req.Session)
	case wire.OpReconfig:
		// Dynamic reconfiguration is off, as by default in ZooKeeper
		// (reconfigEnabled=false).
		h.Type = wire.OpError
		return Txn{Header: h, Record: &wire.ErrorTxn{Err: wire.CodeReconfigDisabled}}, wire.CodeReconfigDisabled
	default:
		var typ wire.Op
		typ, rec, err = t.prepOp(&s, req.Session, req.Auth, req.Op, req.Record)
		if err != nil {
			if code, ok := err.(wire.Code); ok {
				h.Type = wire.OpError
				return Txn{Header: h, Record: &wire.ErrorTxn{Err: code}}, code
			}
			return Txn{}, err
		}
		h.Type = typ
	}
	for _, c := range s.order {
		c.zxid = zxid
		t.pending.add(c)
	}
	return Txn{Header: h, Record: rec}, nil
}

func badRequest(req Request) error {
	return fmt.Errorf("%w: op %v with record %T", ErrBadRequest, req.Op, req.Record)
}

// prepMulti prepares every op of a multi with the same zxid. After the
// first failure the staged changes are dropped and every later op becomes
// an ErrorTxn with RuntimeInconsistency.
func (t *Tree) prepMulti(s *stage, req Request, m *wire.MultiRequest, zxid int64) (wire.Record, wire.Code, error) {
	txns := make([]wire.Txn, 0, len(m.Ops))
	failed := wire.CodeOK
	for _, op := range m.Ops {
		if failed != wire.CodeOK {
			txns = append(txns, wire.NewTxn(wire.OpError, &wire.ErrorTxn{Err: wire.CodeRuntimeInconsistency}))
			continue
		}
		switch op.Type {
		case wire.OpCreate, wire.OpCreate2, wire.OpCreateContainer, wire.OpCreateTTL,
			wire.OpDelete, wire.OpSetData, wire.OpCheck:
		default:
			return nil, 0, fmt.Errorf("%w: op %v in a multi", ErrBadRequest, op.Type)
		}
		opType, opReq := multiCreateOp(op.Type, op.Request)
		typ, rec, err := t.prepOp(s, req.Session, req.Auth, opType, opReq)
		if err != nil {
			code, ok := err.(wire.Code)
			if !ok {
				return nil, 0, err
			}
			failed = code
			*s = stage{}
			txns = append(txns, wire.NewTxn(wire.OpError, &wire.ErrorTxn{Err: code}))
			continue
		}
		txns = append(txns, wire.NewTxn(typ, rec))
	}
	return &wire.MultiTxn{Txns: txns}, failed, nil
}

// multiUnmarshallable reports a multi ZooKeeper fails as a whole with
// MarshallingError: one with a create, create2 or createContainer op whose
// flags ask for a TTL mode (ZooKeeper then holds a CreateRequest where it
// needs a CreateTTLRequest).
func multiUnmarshallable(m *wire.MultiRequest) bool {
	for _, op := range m.Ops {
		switch op.Type {
		case wire.OpCreate, wire.OpCreate2, wire.OpCreateContainer:
			if r, ok := op.Request.(*wire.CreateRequest); ok && wire.CreateMode(r.Flags).IsTTL() {
				return true
			}
		}
	}
	return false
}

// multiCreateOp gives a create op of a multi the type ZooKeeper's
// MultiOperationRecord gives it (release-3.8.4): the create mode decides
// over the header type, so container flags make a createContainer and a
// createTTL op with a non-TTL mode a plain create without TTL (TTL flags
// on a create op are multiUnmarshallable).
func multiCreateOp(op wire.Op, rec wire.Record) (wire.Op, wire.Record) {
	switch op {
	case wire.OpCreate, wire.OpCreate2, wire.OpCreateContainer:
		r, ok := rec.(*wire.CreateRequest)
		if !ok {
			return op, rec
		}
		mode := wire.CreateMode(r.Flags)
		if mode.IsContainer() {
			return wire.OpCreateContainer, r
		}
	case wire.OpCreateTTL:
		r, ok := rec.(*wire.CreateTTLRequest)
		if !ok {
			return op, rec
		}
		mode := wire.CreateMode(r.Flags)
		if !mode.Valid() || mode.IsTTL() {
			return op, rec
		}
		cr := &wire.CreateRequest{Path: r.Path, Data: r.Data, ACL: r.ACL, Flags: r.Flags}
		if mode.IsContainer() {
			return wire.OpCreateContainer, cr
		}
		return wire.OpCreate, cr
	}
	return op, rec
}

// prepOp prepares one write op and returns the txn type and record.
func (t *Tree) prepOp(s *stage, session int64, auth []wire.ID, op wire.Op, r wire.Record) (wire.Op, wire.Record, error) {
	switch op {
	case wire.OpCreate, wire.OpCreate2, wire.OpCreateContainer:
		req, ok := r.(*wire.CreateRequest)
		if !ok {
			return 0, nil, badRequest(Request{Op: op, Record: r})
		}
		return t.prepCreate(s, session, auth, op, req.Path, req.Data, req.ACL, req.Flags, -1)
	case wire.OpCreateTTL:
		req, ok := r.(*wire.CreateTTLRequest)
		if !ok {
			return 0, nil, badRequest(Request{Op: op, Record: r})
		}
		return t.prepCreate(s, session, auth, op, req.Path, req.Data, req.ACL, req.Flags, req.TTL)
	case wire.OpDelete:
		req, ok := r.(*wire.DeleteRequest)
		if !ok {
			return 0, nil, badRequest(Request{Op: op, Record: r})
		}
		return t.prepDelete(s, auth, req.Path, req.Version)
	case wire.OpDeleteContainer:
		req, ok := r.(*wire.DeleteRequest)
		if !ok {
			return 0, nil, badRequest(Request{Op: op, Record: r})
		}
		return t.prepDeleteContainer(s, req.Path)
	case wire.OpSetData:
		req, ok := r.(*wire.SetDataRequest)
		if !ok {
			return 0, nil, badRequest(Request{Op: op, Record: r})
		}
		return t.prepSetData(s, auth, req)
	case wire.OpSetACL:
		req, ok := r.(*wire.SetACLRequest)
		if !ok {
			return 0, nil, badRequest(Request{Op: op, Record: r})
		}
		return t.prepSetACL(s, auth, req)
	case wire.OpCheck:
		req, ok := r.(*wire.CheckVersionRequest)
		if !ok {
			return 0, nil, badRequest(Request{Op: op, Record: r})
		}
		if !validPath(req.Path) {
			return 0, nil, wire.CodeBadArguments
		}
		n := t.record(s, req.Path)
		if n == nil {
			return 0, nil, wire.CodeNoNode
		}
		if err := CheckACL(n.acl, wire.PermRead, auth); err != nil {
			return 0, nil, err
		}
		v, err := checkVersion(n.version, req.Version)
		if err != nil {
			return 0, nil, err
		}
		return wire.OpCheck, &wire.CheckVersionTxn{Path: req.Path, Version: v}, nil
	}
	return 0, nil, badRequest(Request{Op: op, Record: r})
}

func checkVersion(current, expected int32) (int32, error) {
	if expected != -1 && expected != current {
		return 0, wire.CodeBadVersion
	}
	return current + 1, nil
}

// parentForWrite is ZooKeeper's validatePathForCreate /
// getParentPathAndValidate: the text before the last slash ("" names the
// root), BadArguments without a slash or with a NUL.
func parentForWrite(path string) (string, error) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 || strings.IndexByte(path, 0) >= 0 {
		return "", wire.CodeBadArguments
	}
	return path[:i], nil
}

func (t *Tree) prepCreate(s *stage, session int64, auth []wire.ID, op wire.Op, path string, data []byte, acl []wire.ACL, flags int32, ttl int64) (wire.Op, wire.Record, error) {
	mode := wire.CreateMode(flags)
	if !mode.Valid() {
		return 0, nil, wire.CodeBadArguments
	}
	if mode.IsTTL() {
		if !t.cfg.ExtendedTypes {
			return 0, nil, wire.CodeUnimplemented
		}
		if ttl <= 0 || ttl > wire.MaxTTL {
			return 0, nil, wire.CodeBadArguments
		}
	} else if ttl >= 0 || op == wire.OpCreateTTL {
		// ZooKeeper rejects a TTL >= 0 with a non-TTL mode; a createTTL
		// with a non-TTL mode and a negative TTL would pass its prep and
		// then fail its apply, so it is rejected here as well.
		return 0, nil, wire.CodeBadArguments
	}
	ppath, err := parentForWrite(path)
	if err != nil {
		return 0, nil, err
	}
	fixed, err := FixupACL(auth, acl)
	if err != nil {
		return 0, nil, err
	}
	parent := t.record(s, ppath)
	if parent == nil {
		return 0, nil, wire.CodeNoNode
	}
	if err := CheckACL(parent.acl, wire.PermCreate, auth); err != nil {
		return 0, nil, err
	}
	if mode.IsSequential() {
		path = fmt.Sprintf("%s%010d", path, parent.cversion)
	}
	if !validPath(path) {
		return 0, nil, wire.CodeBadArguments
	}
	if t.record(s, path) != nil {
		return 0, nil, wire.CodeNodeExists
	}
	if kindOf(parent.owner, t.cfg.ExtendedTypes) == ownerSession {
		return 0, nil, wire.CodeNoChildrenForEphemerals
	}
	newCversion := parent.cversion + 1
	var rec wire.Record
	var owner int64
	switch op {
	case wire.OpCreateContainer:
		rec = &wire.CreateContainerTxn{Path: path, Data: data, ACL: fixed, ParentCVersion: newCversion}
		owner = wire.EphemeralOwnerContainer
	case wire.OpCreateTTL:
		rec = &wire.CreateTTLTxn{Path: path, Data: data, ACL: fixed, ParentCVersion: newCversion, TTL: ttl}
		owner, _ = wire.TTLEphemeralOwner(ttl)
	default:
		rec = &wire.CreateTxn{Path: path, Data: data, ACL: fixed, Ephemeral: mode.IsEphemeral(), ParentCVersion: newCversion}
		if mode.IsEphemeral() {
			owner = session
		}
	}
	parent.childCount++
	parent.cversion = newCversion
	s.put(parent)
	s.put(&change{path: path, exists: true, owner: owner, acl: fixed})
	return op, rec, nil
}

func (t *Tree) prepDelete(s *stage, auth []wire.ID, path string, version int32) (wire.Op, wire.Record, error) {
	ppath, err := parentForWrite(path)
	if err != nil || isSpecialPath(path) {
		return 0, nil, wire.CodeBadArguments
	}
	parent := t.record(s, ppath)
	if parent == nil {
		return 0, nil, wire.CodeNoNode
	}
	if err := CheckACL(parent.acl, wire.PermDelete, auth); err != nil {
		return 0, nil, err
	}
	n := t.record(s, path)
	if n == nil {
		return 0, nil, wire.CodeNoNode
	}
	if _, err := checkVersion(n.version, version); err != nil {
		return 0, nil, err
	}
	if n.childCount > 0 {
		return 0, nil, wire.CodeNotEmpty
	}
	parent.childCount--
	s.put(parent)
	s.put(&change{path: normPath(path)})
	return wire.OpDelete, &wire.DeleteTxn{Path: path}, nil
}

// prepDeleteContainer is the reaper's delete: no ACL or version check;
// NotEmpty with children, BadVersion for a session's ephemeral node (as
// ZooKeeper, which lets it delete any other node).
func (t *Tree) prepDeleteContainer(s *stage, path string) (wire.Op, wire.Record, error) {
	ppath, err := parentForWrite(path)
	if err != nil || isSpecialPath(path) {
		return 0, nil, wire.CodeBadArguments
	}
	n := t.record(s, path)
	if n == nil {
		return 0, nil, wire.CodeNoNode
	}
	if n.childCount > 0 {
		return 0, nil, wire.CodeNotEmpty
	}
	if kindOf(n.owner, t.cfg.ExtendedTypes) == ownerSession {
		return 0, nil, wire.CodeBadVersion
	}
	parent := t.record(s, ppath)
	if parent == nil {
		return 0, nil, wire.CodeNoNode
	}
	parent.childCount--
	s.put(parent)
	s.put(&change{path: normPath(path)})
	return wire.OpDeleteContainer, &wire.DeleteTxn{Path: path}, nil
}

func (t *Tree) prepSetData(s *stage, auth []wire.ID, req *wire.SetDataRequest) (wire.Op, wire.Record, error) {
	if !validPath(req.Path) {
		return 0, nil, wire.CodeBadArguments
	}
	n := t.record(s, req.Path)
	if n == nil {
		return 0, nil, wire.CodeNoNode
	}
	if err := CheckACL(n.acl, wire.PermWrite, auth); err != nil {
		return 0, nil, err
	}
	v, err := checkVersion(n.version, req.Version)
	if err != nil {
		return 0, nil, err
	}
	n.version = v
	s.put(n)
	return wire.OpSetData, &wire.SetDataTxn{Path: req.Path, Data: req.Data, Version: v}, nil
}

func (t *Tree) prepSetACL(s *stage, auth []wire.ID, req *wire.SetACLRequest) (wire.Op, wire.Record, error) {
	if !validPath(req.Path) {
		return 0, nil, wire.CodeBadArguments
	}
	fixed, err := FixupACL(auth, req.ACL)
	if err != nil {
		return 0, nil, err
	}
	n := t.record(s, req.Path)
	if n == nil {
		return 0, nil, wire.CodeNoNode
	}
	if err := CheckACL(n.acl, wire.PermAdmin, auth); err != nil {
		return 0, nil, err
	}
	v, err := checkVersion(n.aversion, req.Version)
	if err != nil {
		return 0, nil, err
	}
	n.aversion = v
	n.acl = fixed
	s.put(n)
	return wire.OpSetACL, &wire.SetACLTxn{Path: req.Path, ACL: fixed, Version: v}, nil
}

// prepCloseSession lists the session's ephemerals as they will be once the
// prepared txns are applied (in byte order) and stages their deletion.
func (t *Tree) prepCloseSession(s *stage, session int64) wire.Record {
	set := map[string]struct{}{}
	for p := range t.ephemerals[session] {
		set[p] = struct{}{}
	}
	for p, c := range t.pending.byPath {
		if !c.exists {
			delete(set, p)
		} else if c.owner == session && kindOf(c.owner, t.cfg.ExtendedTypes) == ownerSession {
			set[p] = struct{}{}
		}
	}
	paths := make([]string, 0, len(set))
	for p := range set {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if ppath, _, ok := splitPath(p); ok {
			if parent := t.record(s, ppath); parent != nil {
				parent.childCount--
				s.put(parent)
			}
		}
		s.put(&change{path: p})
	}
	return &wire.CloseSessionTxn{Paths2Delete: paths}
}
