package wire

// CreateRequest creates a znode (ops OpCreate, OpCreate2 and
// OpCreateContainer share it). Flags holds a CreateMode value.
type CreateRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32
}

// Mode returns Flags as a CreateMode.
func (r *CreateRequest) Mode() CreateMode { return CreateMode(r.Flags) }

// Encode writes the record.
func (r *CreateRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBuffer(r.Data)
	writeACLs(e, r.ACL)
	e.WriteInt32(r.Flags)
}

// Decode reads the record.
func (r *CreateRequest) Decode(d *Decoder) error {
	r.Path = d.str("CreateRequest.path")
	r.Data = d.buffer("CreateRequest.data")
	r.ACL = readACLs(d, "CreateRequest.acl")
	r.Flags = d.i32("CreateRequest.flags")
	return d.err
}

// CreateTTLRequest creates a TTL znode (op OpCreateTTL). TTL is in
// milliseconds.
type CreateTTLRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32
	TTL   int64
}

// Mode returns Flags as a CreateMode.
func (r *CreateTTLRequest) Mode() CreateMode { return CreateMode(r.Flags) }

// Encode writes the record.
func (r *CreateTTLRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBuffer(r.Data)
	writeACLs(e, r.ACL)
	e.WriteInt32(r.Flags)
	e.WriteInt64(r.TTL)
}

// Decode reads the record.
func (r *CreateTTLRequest) Decode(d *Decoder) error {
	r.Path = d.str("CreateTTLRequest.path")
	r.Data = d.buffer("CreateTTLRequest.data")
	r.ACL = readACLs(d, "CreateTTLRequest.acl")
	r.Flags = d.i32("CreateTTLRequest.flags")
	r.TTL = d.i64("CreateTTLRequest.ttl")
	return d.err
}

// CreateResponse answers OpCreate with the created path (which includes the
// sequence suffix for sequential modes).
type CreateResponse struct {
	Path string
}

// Encode writes the record.
func (r *CreateResponse) Encode(e *Encoder) { e.WriteString(r.Path) }

// Decode reads the record.
func (r *CreateResponse) Decode(d *Decoder) error {
	r.Path = d.str("CreateResponse.path")
	return d.err
}

// Create2Response answers OpCreate2, OpCreateContainer and OpCreateTTL with
// the created path and the new node's Stat.
type Create2Response struct {
	Path string
	Stat Stat
}

// Encode writes the record.
func (r *Create2Response) Encode(e *Encoder) {
	e.WriteString(r.Path)
	r.Stat.Encode(e)
}

// Decode reads the record.
func (r *Create2Response) Decode(d *Decoder) error {
	r.Path = d.str("Create2Response.path")
	return r.Stat.Decode(d)
}

// DeleteRequest deletes a znode (op OpDelete) if its version matches
// (-1 matches any). The reply has no body.
type DeleteRequest struct {
	Path    string
	Version int32
}

// Encode writes the record.
func (r *DeleteRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteInt32(r.Version)
}

// Decode reads the record.
func (r *DeleteRequest) Decode(d *Decoder) error {
	r.Path = d.str("DeleteRequest.path")
	r.Version = d.i32("DeleteRequest.version")
	return d.err
}

// ExistsRequest asks for a znode's Stat (op OpExists), optionally leaving
// an exists watch (which is set even when the node does not exist).
type ExistsRequest struct {
	Path  string
	Watch bool
}

// Encode writes the record.
func (r *ExistsRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBool(r.Watch)
}

// Decode reads the record.
func (r *ExistsRequest) Decode(d *Decoder) error {
	r.Path = d.str("ExistsRequest.path")
	r.Watch = d.boolean("ExistsRequest.watch")
	return d.err
}

// ExistsResponse answers OpExists.
type ExistsResponse struct {
	Stat Stat
}

// Encode writes the record.
func (r *ExistsResponse) Encode(e *Encoder) { r.Stat.Encode(e) }

// Decode reads the record.
func (r *ExistsResponse) Decode(d *Decoder) error { return r.Stat.Decode(d) }

// GetDataRequest reads a znode's data (op OpGetData), optionally leaving a
// data watch.
type GetDataRequest struct {
	Path  string
	Watch bool
}

// Encode writes the record.
func (r *GetDataRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBool(r.Watch)
}

// Decode reads the record.
func (r *GetDataRequest) Decode(d *Decoder) error {
	r.Path = d.str("GetDataRequest.path")
	r.Watch = d.boolean("GetDataRequest.watch")
	return d.err
}

// GetDataResponse answers OpGetData (and OpReconfig, with the new
// configuration). Data is nil when the node's data is null.
type GetDataResponse struct {
	Data []byte
	Stat Stat
}

// Encode writes the record.
func (r *GetDataResponse) Encode(e *Encoder) {
	e.WriteBuffer(r.Data)
	r.Stat.Encode(e)
}

// Decode reads the record.
func (r *GetDataResponse) Decode(d *Decoder) error {
	r.Data = d.buffer("GetDataResponse.data")
	return r.Stat.Decode(d)
}

// SetDataRequest replaces a znode's data (op OpSetData) if its version
// matches (-1 matches any).
type SetDataRequest struct {
	Path    string
	Data    []byte
	Version int32
}

// Encode writes the record.
func (r *SetDataRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBuffer(r.Data)
	e.WriteInt32(r.Version)
}

// Decode reads the record.
func (r *SetDataRequest) Decode(d *Decoder) error {
	r.Path = d.str("SetDataRequest.path")
	r.Data = d.buffer("SetDataRequest.data")
	r.Version = d.i32("SetDataRequest.version")
	return d.err
}

// SetDataResponse answers OpSetData with the node's new Stat.
type SetDataResponse struct {
	Stat Stat
}

// Encode writes the record.
func (r *SetDataResponse) Encode(e *Encoder) { r.Stat.Encode(e) }

// Decode reads the record.
func (r *SetDataResponse) Decode(d *Decoder) error { return r.Stat.Decode(d) }

// GetACLRequest reads a znode's ACL (op OpGetACL).
type GetACLRequest struct {
	Path string
}

// Encode writes the record.
func (r *GetACLRequest) Encode(e *Encoder) { e.WriteString(r.Path) }

// Decode reads the record.
func (r *GetACLRequest) Decode(d *Decoder) error {
	r.Path = d.str("GetACLRequest.path")
	return d.err
}

// GetACLResponse answers OpGetACL.
type GetACLResponse struct {
	ACL  []ACL
	Stat Stat
}

// Encode writes the record.
func (r *GetACLResponse) Encode(e *Encoder) {
	writeACLs(e, r.ACL)
	r.Stat.Encode(e)
}

// Decode reads the record.
func (r *GetACLResponse) Decode(d *Decoder) error {
	r.ACL = readACLs(d, "GetACLResponse.acl")
	return r.Stat.Decode(d)
}

// SetACLRequest replaces a znode's ACL (op OpSetACL) if its ACL version
// (Stat.Aversion) matches (-1 matches any).
type SetACLRequest struct {
	Path    string
	ACL     []ACL
	Version int32
}

// Encode writes the record.
func (r *SetACLRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	writeACLs(e, r.ACL)
	e.WriteInt32(r.Version)
}

// Decode reads the record.
func (r *SetACLRequest) Decode(d *Decoder) error {
	r.Path = d.str("SetACLRequest.path")
	r.ACL = readACLs(d, "SetACLRequest.acl")
	r.Version = d.i32("SetACLRequest.version")
	return d.err
}

// SetACLResponse answers OpSetACL with the node's new Stat.
type SetACLResponse struct {
	Stat Stat
}

// Encode writes the record.
func (r *SetACLResponse) Encode(e *Encoder) { r.Stat.Encode(e) }

// Decode reads the record.
func (r *SetACLResponse) Decode(d *Decoder) error { return r.Stat.Decode(d) }

// GetChildrenRequest lists a znode's children (op OpGetChildren),
// optionally leaving a child watch.
type GetChildrenRequest struct {
	Path  string
	Watch bool
}

// Encode writes the record.
func (r *GetChildrenRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBool(r.Watch)
}

// Decode reads the record.
func (r *GetChildrenRequest) Decode(d *Decoder) error {
	r.Path = d.str("GetChildrenRequest.path")
	r.Watch = d.boolean("GetChildrenRequest.watch")
	return d.err
}

// GetChildrenResponse answers OpGetChildren with the children's names (not
// paths), in no particular order.
type GetChildrenResponse struct {
	Children []string
}

// Encode writes the record.
func (r *GetChildrenResponse) Encode(e *Encoder) { e.WriteStrings(r.Children) }

// Decode reads the record.
func (r *GetChildrenResponse) Decode(d *Decoder) error {
	r.Children = d.strs("GetChildrenResponse.children")
	return d.err
}

// GetChildren2Request is GetChildrenRequest for op OpGetChildren2, whose
// reply also carries the parent's Stat.
type GetChildren2Request struct {
	Path  string
	Watch bool
}

// Encode writes the record.
func (r *GetChildren2Request) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBool(r.Watch)
}

// Decode reads the record.
func (r *GetChildren2Request) Decode(d *Decoder) error {
	r.Path = d.str("GetChildren2Request.path")
	r.Watch = d.boolean("GetChildren2Request.watch")
	return d.err
}

// GetChildren2Response answers OpGetChildren2.
type GetChildren2Response struct {
	Children []string
	Stat     Stat
}

// Encode writes the record.
func (r *GetChildren2Response) Encode(e *Encoder) {
	e.WriteStrings(r.Children)
	r.Stat.Encode(e)
}

// Decode reads the record.
func (r *GetChildren2Response) Decode(d *Decoder) error {
	r.Children = d.strs("GetChildren2Response.children")
	return r.Stat.Decode(d)
}

// GetAllChildrenNumberRequest counts all descendants of a znode (op
// OpGetAllChildrenNumber).
type GetAllChildrenNumberRequest struct {
	Path string
}

// Encode writes the record.
func (r *GetAllChildrenNumberRequest) Encode(e *Encoder) { e.WriteString(r.Path) }

// Decode reads the record.
func (r *GetAllChildrenNumberRequest) Decode(d *Decoder) error {
	r.Path = d.str("GetAllChildrenNumberRequest.path")
	return d.err
}

// GetAllChildrenNumberResponse answers OpGetAllChildrenNumber.
type GetAllChildrenNumberResponse struct {
	TotalNumber int32
}

// Encode writes the record.
func (r *GetAllChildrenNumberResponse) Encode(e *Encoder) { e.WriteInt32(r.TotalNumber) }

// Decode reads the record.
func (r *GetAllChildrenNumberResponse) Decode(d *Decoder) error {
	r.TotalNumber = d.i32("GetAllChildrenNumberResponse.totalNumber")
	return d.err
}

// GetEphemeralsRequest lists the session's ephemeral nodes whose paths start
// with PrefixPath (op OpGetEphemerals).
type GetEphemeralsRequest struct {
	PrefixPath string
}

// Encode writes the record.
func (r *GetEphemeralsRequest) Encode(e *Encoder) { e.WriteString(r.PrefixPath) }

// Decode reads the record.
func (r *GetEphemeralsRequest) Decode(d *Decoder) error {
	r.PrefixPath = d.str("GetEphemeralsRequest.prefixPath")
	return d.err
}

// GetEphemeralsResponse answers OpGetEphemerals with full paths.
type GetEphemeralsResponse struct {
	Ephemerals []string
}

// Encode writes the record.
func (r *GetEphemeralsResponse) Encode(e *Encoder) { e.WriteStrings(r.Ephemerals) }

// Decode reads the record.
func (r *GetEphemeralsResponse) Decode(d *Decoder) error {
	r.Ephemerals = d.strs("GetEphemeralsResponse.ephemerals")
	return d.err
}

// SyncRequest asks the server to catch up with the leader (op OpSync).
type SyncRequest struct {
	Path string
}

// Encode writes the record.
func (r *SyncRequest) Encode(e *Encoder) { e.WriteString(r.Path) }

// Decode reads the record.
func (r *SyncRequest) Decode(d *Decoder) error {
	r.Path = d.str("SyncRequest.path")
	return d.err
}

// SyncResponse answers OpSync with the request's path.
type SyncResponse struct {
	Path string
}

// Encode writes the record.
func (r *SyncResponse) Encode(e *Encoder) { e.WriteString(r.Path) }

// Decode reads the record.
func (r *SyncResponse) Decode(d *Decoder) error {
	r.Path = d.str("SyncResponse.path")
	return d.err
}

// CheckVersionRequest checks a znode's version (op OpCheck); it is only
// valid inside a multi.
type CheckVersionRequest struct {
	Path    string
	Version int32
}

// Encode writes the record.
func (r *CheckVersionRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteInt32(r.Version)
}

// Decode reads the record.
func (r *CheckVersionRequest) Decode(d *Decoder) error {
	r.Path = d.str("CheckVersionRequest.path")
	r.Version = d.i32("CheckVersionRequest.version")
	return d.err
}

// ReconfigRequest changes the ensemble membership (op OpReconfig); the reply
// is a GetDataResponse with the new configuration. Comma-separated server
// lists; CurConfigID -1 means any.
type ReconfigRequest struct {
	JoiningServers string
	LeavingServers string
	NewMembers     string
	CurConfigID    int64
}

// Encode writes the record.
func (r *ReconfigRequest) Encode(e *Encoder) {
	e.WriteString(r.JoiningServers)
	e.WriteString(r.LeavingServers)
	e.WriteString(r.NewMembers)
	e.WriteInt64(r.CurConfigID)
}

// Decode reads the record.
func (r *ReconfigRequest) Decode(d *Decoder) error {
	r.JoiningServers = d.str("ReconfigRequest.joiningServers")
	r.LeavingServers = d.str("ReconfigRequest.leavingServers")
	r.NewMembers = d.str("ReconfigRequest.newMembers")
	r.CurConfigID = d.i64("ReconfigRequest.curConfigId")
	return d.err
}
