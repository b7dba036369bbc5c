package znode

import (
	"errors"
	"fmt"
	"slices"

	"github.com/zabkit/zabkit/wire"
)

// ErrBadTxn reports a txn Apply cannot interpret: a header type without a
// matching record, or a multi whose sub-records do not decode. Prep never
// produces one; seeing it means the log is corrupt or was written by
// something else.
var ErrBadTxn = errors.New("znode: malformed txn")

// Txn is one replicated transaction: ZooKeeper's TxnHeader and the record
// its Type selects:
//
//	OpCreate, OpCreate2       *wire.CreateTxn
//	OpCreateContainer         *wire.CreateContainerTxn
//	OpCreateTTL               *wire.CreateTTLTxn
//	OpDelete, OpDeleteContainer *wire.DeleteTxn
//	OpSetData                 *wire.SetDataTxn
//	OpSetACL                  *wire.SetACLTxn
//	OpCheck                   *wire.CheckVersionTxn
//	OpMulti                   *wire.MultiTxn (sub-records encoded, as in ZooKeeper's log)
//	OpCreateSession           *wire.CreateSessionTxn
//	OpCloseSession            *wire.CloseSessionTxn
//	OpError                   *wire.ErrorTxn
//
// Use MarshalTxn and UnmarshalTxn to store it in the log as ZooKeeper does
// (header, then record).
type Txn struct {
	Header wire.TxnHeader
	Record wire.Record
}

// Result is what applying a txn did: the answer the server sends to the
// client that issued it (if connected to this replica) and the watch
// events it triggered, in the order they must be delivered (before the
// reply).
type Result struct {
	// Op is the header type; a failed single request is OpError.
	Op wire.Op
	// Err is the request's error code (CodeOK on success). For a multi,
	// the first failing op's code.
	Err wire.Code
	// Path is the node's path (the final name for a sequential create).
	Path string
	// Stat is the node's Stat after the change (creates, setData,
	// setACL); nil otherwise.
	Stat *wire.Stat
	// Multi holds one result per op of a multi: on success each op's
	// result; on failure Op OpError with CodeOK for the ops before the
	// failing one, its error for that one, and CodeRuntimeInconsistency
	// for those after (ZooKeeper's multi results).
	Multi []Result
	// Events are the watch events the txn triggered.
	Events []Event
}

// Apply applies one committed txn. It is deterministic: the tree after
// Apply is a function of the tree before and the txn alone (the txn
// carries zxid and time), so replicas stay identical. It also retires the
// prepared changes of txns up to the header's zxid (see Prep). The error
// is non-nil only for a malformed txn (ErrBadTxn); a txn whose operation
// fails (which Prep never produces for a consistent tree) reports it in
// Result.Err as ZooKeeper's processTxn does.
func (t *Tree) Apply(txn Txn) (Result, error) {
	h := txn.Header
	t.pending.retire(h.Zxid)
	var evs []Event
	res, err := t.apply(h, txn.Record, &evs, false)
	if err != nil {
		return Result{}, err
	}
	if h.Zxid > t.lastZxid {
		t.lastZxid = h.Zxid
	}
	res.Events = evs
	return res, nil
}

func badTxn(op wire.Op, rec wire.Record) error {
	return fmt.Errorf("%w: %v with record %T", ErrBadTxn, op, rec)
}

func (t *Tree) apply(h wire.TxnHeader, rec wire.Record, evs *[]Event, sub bool) (Result, error) {
	res := Result{Op: h.Type}
	switch h.Type {
	case wire.OpCreate, wire.OpCreate2:
		r, ok := rec.(*wire.CreateTxn)
		if !ok {
			return res, badTxn(h.Type, rec)
		}
		var owner int64
		if r.Ephemeral {
			owner = h.ClientID
		}
		res.Path = r.Path
		res.Stat, res.Err = t.createNode(r.Path, r.Data, r.ACL, owner, r.ParentCVersion, h.Zxid, h.Time, evs)
		if res.Err == wire.CodeNodeExists && h.Type == wire.OpCreate && !sub {
			// ZooKeeper replays a create of an existing node (fuzzy
			// snapshot) by still advancing the parent's cversion/pzxid.
			if parent, _, ok := splitPath(r.Path); ok {
				t.setCversionPzxid(parent, r.ParentCVersion, h.Zxid)
			}
		}
	case wire.OpCreateContainer:
		r, ok := rec.(*wire.CreateContainerTxn)
		if !ok {
			return res, badTxn(h.Type, rec)
		}
		res.Path = r.Path
		res.Stat, res.Err = t.createNode(r.Path, r.Data, r.ACL, wire.EphemeralOwnerContainer, r.ParentCVersion, h.Zxid, h.Time, evs)
	case wire.OpCreateTTL:
		r, ok := rec.(*wire.CreateTTLTxn)
		if !ok {
			return res, badTxn(h.Type, rec)
		}
		res.Path = r.Path
		owner, err := wire.TTLEphemeralOwner(r.TTL)
		if err != nil {
			res.Err = wire.CodeBadArguments
			break
		}
		res.Stat, res.Err = t.createNode(r.Path, r.Data, r.ACL, owner, r.ParentCVersion, h.Zxid, h.Time, evs)
	case wire.OpDelete, wire.OpDeleteContainer:
		r, ok := rec.(*wire.DeleteTxn)
		if !ok {
			return res, badTxn(h.Type, rec)
		}
		res.Path = r.Path
		res.Err = t.deleteNode(r.Path, h.Zxid, evs)
	case wire.OpSetData:
		r, ok := rec.(*wire.SetDataTxn)
		if !ok {
			return res, badTxn(h.Type, rec)
		}
		res.Path = r.Path
		res.Stat, res.Err = t.setData(r.Path, r.Data, r.Version, h.Zxid, h.Time, evs)
	case wire.OpSetACL:
		r, ok := rec.(*wire.SetACLTxn)
		if !ok {
			return res, badTxn(h.Type, rec)
		}
		res.Path = r.Path
		res.Stat, res.Err = t.setACL(r.Path, r.ACL, r.Version)
	case wire.OpCheck:
		r, ok := rec.(*wire.CheckVersionTxn)
		if !ok {
			return res, badTxn(h.Type, rec)
		}
		res.Path = r.Path
	case wire.OpError:
		r, ok := rec.(*wire.ErrorTxn)
		if !ok {
			return res, badTxn(h.Type, rec)
		}
		res.Err = r.Err
	case wire.OpCreateSession:
		if sub {
			return res, badTxn(h.Type, rec)
		}
		r, ok := rec.(*wire.CreateSessionTxn)
		if !ok {
			return res, badTxn(h.Type, rec)
		}
		t.sessions[h.ClientID] = r.TimeOut
	case wire.OpCloseSession:
		if sub {
			return res, badTxn(h.Type, rec)
		}
		var paths []string
		switch r := rec.(type) {
		case *wire.CloseSessionTxn:
			paths = r.Paths2Delete
		case nil:
		default:
			return res, badTxn(h.Type, rec)
		}
		t.killSession(h.ClientID, h.Zxid, paths, evs)
	case wire.OpMulti:
		if sub {
			return res, badTxn(h.Type, rec)
		}
		r, ok := rec.(*wire.MultiTxn)
		if !ok {
			return res, badTxn(h.Type, rec)
		}
		return t.applyMulti(h, r, evs)
	default:
		return res, badTxn(h.Type, rec)
	}
	return res, nil
}

// applyMulti is ZooKeeper's processTxn for OpMulti: if any sub-txn is an
// error, every sub-txn becomes an error (OK before the first error,
// RuntimeInconsistency after it) and nothing changes.
func (t *Tree) applyMulti(h wire.TxnHeader, m *wire.MultiTxn, evs *[]Event) (Result, error) {
	res := Result{Op: wire.OpMulti}
	recs := make([]wire.Record, len(m.Txns))
	failed := false
	for i, st := range m.Txns {
		rec, err := st.Record()
		if err != nil {
			return res, fmt.Errorf("%w: multi op %d (%v): %v", ErrBadTxn, i, st.Type, err)
		}
		recs[i] = rec
		if st.Type == wire.OpError {
			failed = true
		}
	}
	postFailed := false
	res.Multi = make([]Result, 0, len(m.Txns))
	for i, st := range m.Txns {
		typ, rec := st.Type, recs[i]
		if typ == wire.OpError {
			postFailed = true
		} else if failed {
			code := wire.CodeOK
			if postFailed {
				code = wire.CodeRuntimeInconsistency
			}
			typ, rec = wire.OpError, &wire.ErrorTxn{Err: code}
		}
		sh := h
		sh.Type = typ
		sr, err := t.apply(sh, rec, evs, true)
		if err != nil {
			return res, err
		}
		res.Multi = append(res.Multi, sr)
		if sr.Err != wire.CodeOK && res.Err == wire.CodeOK {
			res.Err = sr.Err
		}
	}
	return res, nil
}

func (t *Tree) createNode(path string, data []byte, acl []wire.ACL, owner int64, parentCVersion int32, zxid, time int64, evs *[]Event) (*wire.Stat, wire.Code) {
	if !validPath(path) {
		// Prep never produces this; refusing keeps the tree consistent.
		return nil, wire.CodeBadArguments
	}
	ppath, name, ok := splitPath(path)
	if !ok {
		return nil, wire.CodeNoNode
	}
	parent := t.lookup(ppath)
	if parent == nil {
		return nil, wire.CodeNoNode
	}
	if _, exists := parent.children[name]; exists {
		return nil, wire.CodeNodeExists
	}
	t.preserve(parent)
	t.nodeDigest -= t.nodeHash(ppath, parent)
	if parentCVersion == -1 {
		parentCVersion = parent.cversion + 1
	}
	if parentCVersion > parent.cversion {
		parent.cversion = parentCVersion
		parent.pzxid = zxid
	}
	t.nodeDigest += t.nodeHash(ppath, parent)
	n := &node{
		czxid: zxid, mzxid: zxid, pzxid: zxid,
		ctime: time, mtime: time,
		owner: owner,
		acl:   t.acls.add(acl),
	}
	// slices.Clone keeps nil (null data) apart from empty data, as
	// ZooKeeper keeps null apart from byte[0].
	n.data = slices.Clone(data)
	t.addChild(parent, ppath, name, n)
	t.quotaCreated(path, ppath, name, len(n.data))
	*evs = t.watches.triggerEvents(*evs, wire.EventNodeCreated, path, t.acls.get(n.acl), t.acls.get(parent.acl))
	st := n.stat(t.cfg.ExtendedTypes)
	return &st, wire.CodeOK
}

func (t *Tree) deleteNode(path string, zxid int64, evs *[]Event) wire.Code {
	ppath, name, ok := splitPath(path)
	if !ok || !validPath(path) {
		return wire.CodeNoNode
	}
	parent := t.lookup(ppath)
	if parent == nil {
		return wire.CodeNoNode
	}
	n := parent.children[name]
	t.preserve(parent)
	t.nodeDigest -= t.nodeHash(ppath, parent)
	if n != nil {
		t.childRemoved(parent, name, n)
		delete(parent.children, name)
		if len(parent.children) == 0 {
			parent.children = nil
		}
	}
	if zxid > parent.pzxid {
		parent.pzxid = zxid
	}
	t.nodeDigest += t.nodeHash(ppath, parent)
	if n == nil {
		return wire.CodeNoNode
	}
	acl := t.acls.get(n.acl)
	t.removeSubtree(path, n)
	t.quotaDeleted(path, ppath, name, len(n.data))
	*evs = t.watches.triggerEvents(*evs, wire.EventNodeDeleted, path, acl, t.acls.get(parent.acl))
	return wire.CodeOK
}

// removeSubtree forgets n (and, should it have any, its descendants, which
// Prep never lets happen) from the indexes and the digest.
func (t *Tree) removeSubtree(path string, n *node) {
	for name, c := range n.children {
		t.removeSubtree(join(path, name), c)
	}
	t.nodeDigest -= t.nodeHash(path, n)
	t.acls.release(n.acl)
	t.unindex(path, n.owner)
	t.count--
}

func (t *Tree) setData(path string, data []byte, version int32, zxid, time int64, evs *[]Event) (*wire.Stat, wire.Code) {
	path = normPath(path)
	n := t.lookup(path)
	if n == nil {
		return nil, wire.CodeNoNode
	}
	t.preserve(n)
	t.nodeDigest -= t.nodeHash(path, n)
	diff := len(data) - len(n.data)
	n.data = slices.Clone(data) // nil stays nil: null is not empty data
	n.mtime = time
	n.mzxid = zxid
	n.version = version
	t.nodeDigest += t.nodeHash(path, n)
	t.quotaDataChanged(path, diff)
	*evs = t.watches.triggerEvents(*evs, wire.EventNodeDataChanged, path, t.acls.get(n.acl), nil)
	st := n.stat(t.cfg.ExtendedTypes)
	return &st, wire.CodeOK
}

func (t *Tree) setACL(path string, acl []wire.ACL, version int32) (*wire.Stat, wire.Code) {
	path = normPath(path)
	n := t.lookup(path)
	if n == nil {
		return nil, wire.CodeNoNode
	}
	t.preserve(n)
	t.nodeDigest -= t.nodeHash(path, n)
	old := n.acl
	n.acl = t.acls.add(acl)
	t.acls.release(old)
	n.aversion = version
	t.nodeDigest += t.nodeHash(path, n)
	st := n.stat(t.cfg.ExtendedTypes)
	return &st, wire.CodeOK
}

func (t *Tree) setCversionPzxid(path string, cversion int32, zxid int64) {
	path = normPath(path)
	n := t.lookup(path)
	if n == nil {
		return
	}
	if cversion == -1 {
		cversion = n.cversion + 1
	}
	if cversion > n.cversion {
		t.preserve(n)
		t.nodeDigest -= t.nodeHash(path, n)
		n.cversion = cversion
		n.pzxid = zxid
		t.nodeDigest += t.nodeHash(path, n)
	}
}

// killSession deletes the session's ephemerals: first the paths the
// closeSession txn lists, in its order, then any other the tree still
// indexes for the session, in byte order; then forgets the session.
func (t *Tree) killSession(session, zxid int64, paths []string, evs *[]Event) {
	for _, p := range paths {
		t.deleteNode(p, zxid, evs)
	}
	if rest := t.ephemerals[session]; len(rest) > 0 {
		left := make([]string, 0, len(rest))
		for p := range rest {
			left = append(left, p)
		}
		slices.Sort(left)
		for _, p := range left {
			t.deleteNode(p, zxid, evs)
		}
	}
	delete(t.ephemerals, session)
	delete(t.sessions, session)
}
