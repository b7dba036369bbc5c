package wire

import "fmt"

// TxnHeader precedes every transaction in ZooKeeper's log (jute
// org.apache.zookeeper.txn.TxnHeader).
type TxnHeader struct {
	ClientID int64 // session id of the client that issued the request
	Cxid     int32 // the request's xid
	Zxid     int64
	Time     int64 // leader's wall clock when the txn was created, milliseconds
	Type     Op    // the request op, or OpError for a failed request
}

// Encode writes the record.
func (r *TxnHeader) Encode(e *Encoder) {
	e.WriteInt64(r.ClientID)
	e.WriteInt32(r.Cxid)
	e.WriteInt64(r.Zxid)
	e.WriteInt64(r.Time)
	e.WriteInt32(int32(r.Type))
}

// Decode reads the record.
func (r *TxnHeader) Decode(d *Decoder) error {
	r.ClientID = d.i64("TxnHeader.clientId")
	r.Cxid = d.i32("TxnHeader.cxid")
	r.Zxid = d.i64("TxnHeader.zxid")
	r.Time = d.i64("TxnHeader.time")
	r.Type = Op(d.i32("TxnHeader.type"))
	return d.err
}

// TxnDigest is the tree digest ZooKeeper may append to a logged txn (jute
// org.apache.zookeeper.txn.TxnDigest).
type TxnDigest struct {
	Version    int32
	TreeDigest int64
}

// Encode writes the record.
func (r *TxnDigest) Encode(e *Encoder) {
	e.WriteInt32(r.Version)
	e.WriteInt64(r.TreeDigest)
}

// Decode reads the record.
func (r *TxnDigest) Decode(d *Decoder) error {
	r.Version = d.i32("TxnDigest.version")
	r.TreeDigest = d.i64("TxnDigest.treeDigest")
	return d.err
}

// CreateTxn creates a persistent or ephemeral node (txn types OpCreate and
// OpCreate2). Path is final (sequence suffix included); ParentCVersion is
// the parent's new cversion.
type CreateTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	Ephemeral      bool
	ParentCVersion int32
}

// Encode writes the record.
func (r *CreateTxn) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBuffer(r.Data)
	writeACLs(e, r.ACL)
	e.WriteBool(r.Ephemeral)
	e.WriteInt32(r.ParentCVersion)
}

// Decode reads the record.
func (r *CreateTxn) Decode(d *Decoder) error {
	r.Path = d.str("CreateTxn.path")
	r.Data = d.buffer("CreateTxn.data")
	r.ACL = readACLs(d, "CreateTxn.acl")
	r.Ephemeral = d.boolean("CreateTxn.ephemeral")
	r.ParentCVersion = d.i32("CreateTxn.parentCVersion")
	return d.err
}

// CreateContainerTxn creates a container node (txn type OpCreateContainer).
type CreateContainerTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	ParentCVersion int32
}

// Encode writes the record.
func (r *CreateContainerTxn) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBuffer(r.Data)
	writeACLs(e, r.ACL)
	e.WriteInt32(r.ParentCVersion)
}

// Decode reads the record.
func (r *CreateContainerTxn) Decode(d *Decoder) error {
	r.Path = d.str("CreateContainerTxn.path")
	r.Data = d.buffer("CreateContainerTxn.data")
	r.ACL = readACLs(d, "CreateContainerTxn.acl")
	r.ParentCVersion = d.i32("CreateContainerTxn.parentCVersion")
	return d.err
}

// CreateTTLTxn creates a TTL node (txn type OpCreateTTL); TTL in
// milliseconds.
type CreateTTLTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	ParentCVersion int32
	TTL            int64
}

// Encode writes the record.
func (r *CreateTTLTxn) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBuffer(r.Data)
	writeACLs(e, r.ACL)
	e.WriteInt32(r.ParentCVersion)
	e.WriteInt64(r.TTL)
}

// Decode reads the record.
func (r *CreateTTLTxn) Decode(d *Decoder) error {
	r.Path = d.str("CreateTTLTxn.path")
	r.Data = d.buffer("CreateTTLTxn.data")
	r.ACL = readACLs(d, "CreateTTLTxn.acl")
	r.ParentCVersion = d.i32("CreateTTLTxn.parentCVersion")
	r.TTL = d.i64("CreateTTLTxn.ttl")
	return d.err
}

// DeleteTxn deletes a node (txn types OpDelete and OpDeleteContainer).
type DeleteTxn struct {
	Path string
}

// Encode writes the record.
func (r *DeleteTxn) Encode(e *Encoder) { e.WriteString(r.Path) }

// Decode reads the record.
func (r *DeleteTxn) Decode(d *Decoder) error {
	r.Path = d.str("DeleteTxn.path")
	return d.err
}

// SetDataTxn replaces a node's data (txn type OpSetData); Version is the
// node's new version.
type SetDataTxn struct {
	Path    string
	Data    []byte
	Version int32
}

// Encode writes the record.
func (r *SetDataTxn) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBuffer(r.Data)
	e.WriteInt32(r.Version)
}

// Decode reads the record.
func (r *SetDataTxn) Decode(d *Decoder) error {
	r.Path = d.str("SetDataTxn.path")
	r.Data = d.buffer("SetDataTxn.data")
	r.Version = d.i32("SetDataTxn.version")
	return d.err
}

// CheckVersionTxn is a successful check inside a multi (txn type OpCheck).
type CheckVersionTxn struct {
	Path    string
	Version int32
}

// Encode writes the record.
func (r *CheckVersionTxn) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteInt32(r.Version)
}

// Decode reads the record.
func (r *CheckVersionTxn) Decode(d *Decoder) error {
	r.Path = d.str("CheckVersionTxn.path")
	r.Version = d.i32("CheckVersionTxn.version")
	return d.err
}

// SetACLTxn replaces a node's ACL (txn type OpSetACL); Version is the node's
// new aversion.
type SetACLTxn struct {
	Path    string
	ACL     []ACL
	Version int32
}

// Encode writes the record.
func (r *SetACLTxn) Encode(e *Encoder) {
	e.WriteString(r.Path)
	writeACLs(e, r.ACL)
	e.WriteInt32(r.Version)
}

// Decode reads the record.
func (r *SetACLTxn) Decode(d *Decoder) error {
	r.Path = d.str("SetACLTxn.path")
	r.ACL = readACLs(d, "SetACLTxn.acl")
	r.Version = d.i32("SetACLTxn.version")
	return d.err
}

// CreateSessionTxn creates a session (txn type OpCreateSession); the session
// id is TxnHeader.ClientID.
type CreateSessionTxn struct {
	TimeOut int32 // negotiated session timeout, milliseconds
}

// Encode writes the record.
func (r *CreateSessionTxn) Encode(e *Encoder) { e.WriteInt32(r.TimeOut) }

// Decode reads the record.
func (r *CreateSessionTxn) Decode(d *Decoder) error {
	r.TimeOut = d.i32("CreateSessionTxn.timeOut")
	return d.err
}

// CloseSessionTxn closes a session (txn type OpCloseSession) and lists the
// ephemeral nodes to delete with it.
type CloseSessionTxn struct {
	Paths2Delete []string
}

// Encode writes the record.
func (r *CloseSessionTxn) Encode(e *Encoder) { e.WriteStrings(r.Paths2Delete) }

// Decode reads the record.
func (r *CloseSessionTxn) Decode(d *Decoder) error {
	r.Paths2Delete = d.strs("CloseSessionTxn.paths2Delete")
	return d.err
}

// ErrorTxn records a failed request (txn type OpError), or a failed or
// rolled-back op inside a MultiTxn.
type ErrorTxn struct {
	Err Code
}

// Encode writes the record.
func (r *ErrorTxn) Encode(e *Encoder) { e.WriteInt32(int32(r.Err)) }

// Decode reads the record.
func (r *ErrorTxn) Decode(d *Decoder) error {
	r.Err = Code(d.i32("ErrorTxn.err"))
	return d.err
}

// Txn is one sub-transaction of a MultiTxn: its type and its encoded txn
// record (see NewTxn and Txn.Record).
type Txn struct {
	Type Op
	Data []byte
}

// NewTxn encodes r as a sub-transaction of type t.
func NewTxn(t Op, r Record) Txn { return Txn{Type: t, Data: Marshal(r)} }

// Encode writes the record.
func (r *Txn) Encode(e *Encoder) {
	e.WriteInt32(int32(r.Type))
	e.WriteBuffer(r.Data)
}

// Decode reads the record.
func (r *Txn) Decode(d *Decoder) error {
	r.Type = Op(d.i32("Txn.type"))
	r.Data = d.buffer("Txn.data")
	return d.err
}

// Record decodes the sub-transaction's data into the record its Type calls
// for (see NewTxnRecord).
func (r *Txn) Record() (Record, error) {
	rec, err := NewTxnRecord(r.Type)
	if err != nil {
		return nil, err
	}
	if err := Unmarshal(r.Data, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// NewTxnRecord returns an empty txn record for a txn type:
//
//	OpCreate, OpCreate2           *CreateTxn
//	OpCreateContainer             *CreateContainerTxn
//	OpCreateTTL                   *CreateTTLTxn
//	OpDelete, OpDeleteContainer   *DeleteTxn
//	OpSetData                     *SetDataTxn
//	OpCheck                       *CheckVersionTxn
//	OpSetACL                      *SetACLTxn
//	OpCreateSession               *CreateSessionTxn
//	OpCloseSession                *CloseSessionTxn
//	OpError                       *ErrorTxn
//	OpMulti                       *MultiTxn
//
// Any other type is ErrUnknownOp.
func NewTxnRecord(t Op) (Record, error) {
	switch t {
	case OpCreate, OpCreate2:
		return &CreateTxn{}, nil
	case OpCreateContainer:
		return &CreateContainerTxn{}, nil
	case OpCreateTTL:
		return &CreateTTLTxn{}, nil
	case OpDelete, OpDeleteContainer:
		return &DeleteTxn{}, nil
	case OpSetData:
		return &SetDataTxn{}, nil
	case OpCheck:
		return &CheckVersionTxn{}, nil
	case OpSetACL:
		return &SetACLTxn{}, nil
	case OpCreateSession:
		return &CreateSessionTxn{}, nil
	case OpCloseSession:
		return &CloseSessionTxn{}, nil
	case OpError:
		return &ErrorTxn{}, nil
	case OpMulti:
		return &MultiTxn{}, nil
	}
	return nil, fmt.Errorf("%w: no txn record for %v", ErrUnknownOp, t)
}

// MultiTxn is the txn of a multi (txn type OpMulti). When an op fails on
// the leader, ZooKeeper logs it as an ErrorTxn with its code and every later
// op as an ErrorTxn with CodeRuntimeInconsistency; the earlier ops keep their
// txns but a multi containing any ErrorTxn applies none of them.
type MultiTxn struct {
	Txns []Txn
}

// Encode writes the record. A nil Txns is the null vector.
func (r *MultiTxn) Encode(e *Encoder) {
	if r.Txns == nil {
		e.WriteInt32(-1)
		return
	}
	e.WriteInt32(int32(len(r.Txns)))
	for i := range r.Txns {
		r.Txns[i].Encode(e)
	}
}

// Decode reads the record. The null vector decodes as nil.
func (r *MultiTxn) Decode(d *Decoder) error {
	r.Txns = nil
	n := d.vectorLen("MultiTxn.txns", 8)
	if n < 0 || d.err != nil {
		return d.err
	}
	r.Txns = make([]Txn, n)
	for i := range r.Txns {
		if r.Txns[i].Decode(d) != nil {
			r.Txns = nil
			return d.err
		}
	}
	return nil
}
