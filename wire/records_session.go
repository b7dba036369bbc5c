package wire

// ConnectRequest opens or re-establishes a session; it is the first frame a
// client sends, without a RequestHeader (jute ConnectRequest plus the
// readOnly flag ZooKeeper appends after it).
//
// It comes in two forms: the 45-byte form (with a 16-byte password) ends with
// the readOnly byte, as ZooKeeper 3.4+ clients send it; the 44-byte form has
// no readOnly byte, as go-zookeeper and older clients send it. Decode accepts
// both, setting OmitReadOnly when the byte is absent, and Encode writes the
// form OmitReadOnly selects, so a decoded request re-encodes byte for byte.
// The readOnly byte is read when at least one byte follows the password, so
// the request must be the last thing in its input.
type ConnectRequest struct {
	ProtocolVersion int32
	LastZxidSeen    int64
	TimeOut         int32 // requested session timeout, milliseconds
	SessionID       int64 // 0 for a new session
	Passwd          []byte
	ReadOnly        bool // client accepts a read-only server
	// OmitReadOnly selects the 44-byte form without the readOnly byte.
	// ZooKeeper answers such a client with a ConnectResponse that also
	// omits it.
	OmitReadOnly bool
}

// Encode writes the record.
func (r *ConnectRequest) Encode(e *Encoder) {
	e.WriteInt32(r.ProtocolVersion)
	e.WriteInt64(r.LastZxidSeen)
	e.WriteInt32(r.TimeOut)
	e.WriteInt64(r.SessionID)
	e.WriteBuffer(r.Passwd)
	if !r.OmitReadOnly {
		e.WriteBool(r.ReadOnly)
	}
}

// Decode reads the record in either form.
func (r *ConnectRequest) Decode(d *Decoder) error {
	r.ProtocolVersion = d.i32("ConnectRequest.protocolVersion")
	r.LastZxidSeen = d.i64("ConnectRequest.lastZxidSeen")
	r.TimeOut = d.i32("ConnectRequest.timeOut")
	r.SessionID = d.i64("ConnectRequest.sessionId")
	r.Passwd = d.buffer("ConnectRequest.passwd")
	r.ReadOnly, r.OmitReadOnly = readOptionalBool(d, "ConnectRequest.readOnly")
	return d.err
}

// readOptionalBool reads a trailing boolean if any input is left.
func readOptionalBool(d *Decoder, what string) (v, omitted bool) {
	if d.err != nil {
		return false, false
	}
	if d.Remaining() == 0 {
		return false, true
	}
	return d.boolean(what), false
}

// ConnectResponse answers a ConnectRequest, without a ReplyHeader (jute
// ConnectResponse plus the readOnly flag). A TimeOut of 0 (and a zero
// session id and password) means the session is expired or unknown. Like
// ConnectRequest it has a form with the trailing readOnly byte (37 bytes with
// a 16-byte password) and one without (36 bytes), selected by OmitReadOnly
// and detected by Decode.
type ConnectResponse struct {
	ProtocolVersion int32
	TimeOut         int32 // negotiated session timeout, milliseconds
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool // the server is in read-only mode
	// OmitReadOnly selects the form without the readOnly byte, which
	// ZooKeeper sends to clients whose ConnectRequest omitted it.
	OmitReadOnly bool
}

// Encode writes the record.
func (r *ConnectResponse) Encode(e *Encoder) {
	e.WriteInt32(r.ProtocolVersion)
	e.WriteInt32(r.TimeOut)
	e.WriteInt64(r.SessionID)
	e.WriteBuffer(r.Passwd)
	if !r.OmitReadOnly {
		e.WriteBool(r.ReadOnly)
	}
}

// Decode reads the record in either form.
func (r *ConnectResponse) Decode(d *Decoder) error {
	r.ProtocolVersion = d.i32("ConnectResponse.protocolVersion")
	r.TimeOut = d.i32("ConnectResponse.timeOut")
	r.SessionID = d.i64("ConnectResponse.sessionId")
	r.Passwd = d.buffer("ConnectResponse.passwd")
	r.ReadOnly, r.OmitReadOnly = readOptionalBool(d, "ConnectResponse.readOnly")
	return d.err
}

// RequestHeaderSize is the encoded size of a RequestHeader.
const RequestHeaderSize = 8

// RequestHeader starts every client frame after the handshake (jute
// RequestHeader; the jute field "type" is Op here).
type RequestHeader struct {
	Xid int32 // request number, or one of the reserved Xid* values
	Op  Op
}

// Encode writes the record.
func (r *RequestHeader) Encode(e *Encoder) {
	e.WriteInt32(r.Xid)
	e.WriteInt32(int32(r.Op))
}

// Decode reads the record.
func (r *RequestHeader) Decode(d *Decoder) error {
	r.Xid = d.i32("RequestHeader.xid")
	r.Op = Op(d.i32("RequestHeader.type"))
	return d.err
}

// ReplyHeaderSize is the encoded size of a ReplyHeader.
const ReplyHeaderSize = 16

// ReplyHeader starts every server frame after the handshake (jute
// ReplyHeader). When Err is not CodeOK, ZooKeeper sends no body.
type ReplyHeader struct {
	Xid  int32 // the request's xid, or XidNotification for a watch event
	Zxid int64 // last zxid the server has seen (-1 for watch events)
	Err  Code
}

// Encode writes the record.
func (r *ReplyHeader) Encode(e *Encoder) {
	e.WriteInt32(r.Xid)
	e.WriteInt64(r.Zxid)
	e.WriteInt32(int32(r.Err))
}

// Decode reads the record.
func (r *ReplyHeader) Decode(d *Decoder) error {
	r.Xid = d.i32("ReplyHeader.xid")
	r.Zxid = d.i64("ReplyHeader.zxid")
	r.Err = Code(d.i32("ReplyHeader.err"))
	return d.err
}

// WatcherEvent is the body of a notification frame (ReplyHeader.Xid ==
// XidNotification).
type WatcherEvent struct {
	Type  EventType
	State State
	Path  string
}

// Encode writes the record.
func (r *WatcherEvent) Encode(e *Encoder) {
	e.WriteInt32(int32(r.Type))
	e.WriteInt32(int32(r.State))
	e.WriteString(r.Path)
}

// Decode reads the record.
func (r *WatcherEvent) Decode(d *Decoder) error {
	r.Type = EventType(d.i32("WatcherEvent.type"))
	r.State = State(d.i32("WatcherEvent.state"))
	r.Path = d.str("WatcherEvent.path")
	return d.err
}

// AuthPacket adds an identity to the session (op OpAuth, xid XidAuth). Type
// is always 0 in ZooKeeper's client. For the digest scheme Auth is
// "user:password".
type AuthPacket struct {
	Type   int32
	Scheme string
	Auth   []byte
}

// Encode writes the record.
func (r *AuthPacket) Encode(e *Encoder) {
	e.WriteInt32(r.Type)
	e.WriteString(r.Scheme)
	e.WriteBuffer(r.Auth)
}

// Decode reads the record.
func (r *AuthPacket) Decode(d *Decoder) error {
	r.Type = d.i32("AuthPacket.type")
	r.Scheme = d.str("AuthPacket.scheme")
	r.Auth = d.buffer("AuthPacket.auth")
	return d.err
}

// SetWatches re-registers one-shot watches after a reconnect (op
// OpSetWatches, xid XidSetWatches). The server fires the watches whose
// nodes changed after RelativeZxid. The reply has no body.
type SetWatches struct {
	RelativeZxid int64
	DataWatches  []string
	ExistWatches []string
	ChildWatches []string
}

// Encode writes the record.
func (r *SetWatches) Encode(e *Encoder) {
	e.WriteInt64(r.RelativeZxid)
	e.WriteStrings(r.DataWatches)
	e.WriteStrings(r.ExistWatches)
	e.WriteStrings(r.ChildWatches)
}

// Decode reads the record.
func (r *SetWatches) Decode(d *Decoder) error {
	r.RelativeZxid = d.i64("SetWatches.relativeZxid")
	r.DataWatches = d.strs("SetWatches.dataWatches")
	r.ExistWatches = d.strs("SetWatches.existWatches")
	r.ChildWatches = d.strs("SetWatches.childWatches")
	return d.err
}

// SetWatches2 is SetWatches plus persistent watches (op OpSetWatches2, xid
// XidSetWatches).
type SetWatches2 struct {
	RelativeZxid               int64
	DataWatches                []string
	ExistWatches               []string
	ChildWatches               []string
	PersistentWatches          []string
	PersistentRecursiveWatches []string
}

// Encode writes the record.
func (r *SetWatches2) Encode(e *Encoder) {
	e.WriteInt64(r.RelativeZxid)
	e.WriteStrings(r.DataWatches)
	e.WriteStrings(r.ExistWatches)
	e.WriteStrings(r.ChildWatches)
	e.WriteStrings(r.PersistentWatches)
	e.WriteStrings(r.PersistentRecursiveWatches)
}

// Decode reads the record.
func (r *SetWatches2) Decode(d *Decoder) error {
	r.RelativeZxid = d.i64("SetWatches2.relativeZxid")
	r.DataWatches = d.strs("SetWatches2.dataWatches")
	r.ExistWatches = d.strs("SetWatches2.existWatches")
	r.ChildWatches = d.strs("SetWatches2.childWatches")
	r.PersistentWatches = d.strs("SetWatches2.persistentWatches")
	r.PersistentRecursiveWatches = d.strs("SetWatches2.persistentRecursiveWatches")
	return d.err
}

// ErrorResponse carries an error code; it is the body of an error result
// inside a MultiResponse.
type ErrorResponse struct {
	Err Code
}

// Encode writes the record.
func (r *ErrorResponse) Encode(e *Encoder) { e.WriteInt32(int32(r.Err)) }

// Decode reads the record.
func (r *ErrorResponse) Decode(d *Decoder) error {
	r.Err = Code(d.i32("ErrorResponse.err"))
	return d.err
}

// GetSASLRequest carries a SASL token from the client (jute GetSASLRequest,
// op OpSASL).
type GetSASLRequest struct {
	Token []byte
}

// Encode writes the record.
func (r *GetSASLRequest) Encode(e *Encoder) { e.WriteBuffer(r.Token) }

// Decode reads the record.
func (r *GetSASLRequest) Decode(d *Decoder) error {
	r.Token = d.buffer("GetSASLRequest.token")
	return d.err
}

// SetSASLResponse carries a SASL token from the server (jute
// SetSASLResponse).
type SetSASLResponse struct {
	Token []byte
}

// Encode writes the record.
func (r *SetSASLResponse) Encode(e *Encoder) { e.WriteBuffer(r.Token) }

// Decode reads the record.
func (r *SetSASLResponse) Decode(d *Decoder) error {
	r.Token = d.buffer("SetSASLResponse.token")
	return d.err
}

// WhoAmIResponse lists the identities of the session (op OpWhoAmI; the
// request has no body).
type WhoAmIResponse struct {
	ClientInfo []ClientInfo
}

// Encode writes the record. A nil ClientInfo is the null vector.
func (r *WhoAmIResponse) Encode(e *Encoder) {
	if r.ClientInfo == nil {
		e.WriteInt32(-1)
		return
	}
	e.WriteInt32(int32(len(r.ClientInfo)))
	for i := range r.ClientInfo {
		r.ClientInfo[i].Encode(e)
	}
}

// Decode reads the record. The null vector decodes as nil.
func (r *WhoAmIResponse) Decode(d *Decoder) error {
	r.ClientInfo = nil
	n := d.vectorLen("WhoAmIResponse.clientInfo", 8)
	if n < 0 || d.err != nil {
		return d.err
	}
	r.ClientInfo = make([]ClientInfo, n)
	for i := range r.ClientInfo {
		if r.ClientInfo[i].Decode(d) != nil {
			r.ClientInfo = nil
			return d.err
		}
	}
	return nil
}
