// Package wire is the ZooKeeper 3.8 client wire protocol: the jute records
// that clients and servers exchange, the txn records ZooKeeper keeps in its
// log, the numeric tables (op codes, error codes, event types, keeper
// states, watcher types, create modes, permissions) and the length-prefixed
// framing. Every encoder and decoder is written by hand (no reflection) and
// every numeric value is taken from Apache ZooKeeper 3.8's own sources
// (zookeeper.jute, ZooDefs.java, KeeperException.java, Watcher.java,
// CreateMode.java, EphemeralType.java).
//
// # Encoding
//
// Jute is big-endian: int is 4 bytes, long 8, boolean 1 (0 or 1; any
// non-zero byte decodes as true), ustring and buffer are an int length then
// the bytes, vector is an int count then the elements. A length or count of
// -1 is null. The Go mapping is:
//
//   - buffer: nil []byte is the null buffer (-1); an empty non-nil slice has
//     length 0. Decode yields nil for -1 and a non-nil empty slice for 0.
//   - vector: the same, nil slice for null and an empty slice for count 0.
//   - ustring: Go strings have no null; "" is written with length 0 and a
//     null string (-1) decodes as "".
//
// Encoding cannot fail. Decoding never panics and never allocates more than
// the input can describe: every length is checked against the remaining
// input and against a maximum packet size (DefaultMaxPacket, ZooKeeper's
// jute.maxbuffer default plus its slack), and a vector count is rejected
// before allocation when the remaining bytes could not hold that many
// elements. All decoding errors match ErrMalformed with errors.Is (except
// ErrPacketTooLarge, a limit rather than corruption).
//
// # Records
//
// A Record has Encode(*Encoder) and Decode(*Decoder) error. Marshal and
// Append encode one record; Unmarshal decodes a slice that must hold exactly
// one record (trailing bytes are ErrTrailingBytes); UnmarshalPrefix decodes
// a record and returns what follows. Encoder and Decoder are exported so
// other packages (snapshots, the txn log) can write their own records.
//
// Record names follow zookeeper.jute in Go style: CreateRequest,
// Create2Response, GetChildren2Response, SetWatches2, TxnHeader, MultiTxn,
// and so on. Requests and responses that ZooKeeper sends with no body
// (ping, closeSession, the whoAmI request, the delete / setWatches /
// addWatch / removeWatches / checkWatches / auth responses, and every reply
// whose ReplyHeader.Err is not CodeOK) use Empty or nothing at all.
//
// # Session frames
//
// Every message is a frame: a 4-byte big-endian length, then the payload.
// ReadFrame reads one (rejecting a length above the maximum before
// allocating), AppendFrame and WriteFrame write one.
//
//   - Handshake: the client's first frame is a ConnectRequest, the
//     server's a ConnectResponse, both without headers. Both come in two
//     forms, with and without a trailing readOnly byte (45 and 44 bytes for
//     a request with a 16-byte password); see ConnectRequest.OmitReadOnly.
//   - After it, a request frame is a RequestHeader followed by the request
//     record for its Op; a reply frame is a ReplyHeader followed by the
//     response record when Err is CodeOK. Watch events arrive as a
//     ReplyHeader with Xid XidNotification followed by a WatcherEvent.
//     Pings use XidPing and auth packets XidAuth. SetWatches may come with
//     any xid: the Java 3.8 client and go-zookeeper send it with an
//     ordinary one, not XidSetWatches, and the reply echoes it.
//   - multi and multiRead use MultiRequest / MultiResponse, whose ops and
//     results are each preceded by a MultiHeader and terminated by a header
//     with Done set. A failed multi has ReplyHeader.Err CodeOK; the failure
//     is in its error results.
//   - NewRequest and NewResponse map an op to the record of its request and
//     reply body, following ZooKeeper 3.8's FinalRequestProcessor (for
//     example addWatch is answered with an ErrorResponse{0} body, check with
//     a SetDataResponse). A reply whose Err is not CodeOK has no body.
//
// The codecs are checked against real traffic: sessions between ZooKeeper
// 3.8's Java client or go-zookeeper and a ZooKeeper 3.8 server, recorded
// by package wire/internal/zkcapture, decode frame by frame and re-encode
// byte for byte.
//
// Decoding a reply frame:
//
//	frame, err := wire.ReadFrame(conn, buf, wire.DefaultMaxPacket)
//	if err != nil { ... }
//	var h wire.ReplyHeader
//	body, err := wire.UnmarshalPrefix(frame, &h)
//	if err != nil { ... }
//	if h.Xid == wire.XidNotification {
//		var ev wire.WatcherEvent
//		err = wire.Unmarshal(body, &ev)
//	} else if err = h.Err.Err(); err == nil {
//		var resp wire.GetDataResponse
//		err = wire.Unmarshal(body, &resp)
//	}
//
// Encoding a request frame:
//
//	out = wire.AppendFrame(out[:0],
//		&wire.RequestHeader{Xid: xid, Op: wire.OpGetData},
//		&wire.GetDataRequest{Path: "/a", Watch: true})
//
// # Errors
//
// Code is ZooKeeper's error code and is itself an error ("zk: no node"), so
// errors.Is(err, wire.CodeNoNode) works on anything that wraps one. CodeOK
// is never returned as an error; Code.Err maps it to nil.
//
// # Txn records
//
// TxnHeader, CreateTxn, CreateContainerTxn, CreateTTLTxn, DeleteTxn,
// SetDataTxn, CheckVersionTxn, SetACLTxn, CreateSessionTxn,
// CloseSessionTxn, ErrorTxn, Txn and MultiTxn are ZooKeeper's log records;
// NewTxnRecord maps a txn type to its record. Like the requests and
// replies, they keep null data (nil, length -1) apart from empty data
// (length 0), so a server replaying its log, or a follower synchronized
// by DIFF, restores exactly the data the client sent.
package wire
