package wire

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The golden files under testdata/golden hold frames recorded between real
// ZooKeeper 3.8 clients (the Java client, go-zookeeper) and a ZooKeeper 3.8
// server by wire/internal/zkcapture. They prove that our decoders read
// ZooKeeper's bytes and our encoders write them.

type goldenFrame struct {
	fromClient bool
	b          []byte
}

// loadGolden returns the frames of each connection of a golden file.
func loadGolden(t *testing.T, name string) [][]goldenFrame {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "golden", name))
	require.NoError(t, err)
	defer f.Close()
	var conns [][]goldenFrame
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "conn "):
			conns = append(conns, nil)
		case strings.HasPrefix(line, "> "), strings.HasPrefix(line, "< "):
			b, err := hex.DecodeString(line[2:])
			require.NoError(t, err, "line %q", line)
			require.NotEmpty(t, conns, "frame before any conn line")
			conns[len(conns)-1] = append(conns[len(conns)-1], goldenFrame{fromClient: line[0] == '>', b: b})
		default:
			t.Fatalf("%s: bad line %q", name, line)
		}
	}
	require.NoError(t, sc.Err())
	return conns
}

// decodedFrame is a golden frame decoded with our records.
type decodedFrame struct {
	fromClient bool
	raw        []byte
	op         Op // the request's op (for replies: the op of the request with that xid)
	req        *RequestHeader
	rep        *ReplyHeader
	body       Record
}

// decodeConn decodes every frame of one connection: the handshake first,
// then headers and bodies chosen by op (replies are matched to requests by
// xid). It checks that re-encoding each decoded frame gives its bytes back.
func decodeConn(t *testing.T, frames []goldenFrame) []decodedFrame {
	t.Helper()
	var out []decodedFrame
	xidOp := map[int32]Op{}
	sawConnReq, sawConnResp := false, false
	for i, f := range frames {
		df := decodedFrame{fromClient: f.fromClient, raw: f.b}
		var body []byte
		switch {
		case f.fromClient && !sawConnReq:
			sawConnReq = true
			df.op, df.body, body = OpCreateSession, &ConnectRequest{}, f.b
		case !f.fromClient && !sawConnResp:
			sawConnResp = true
			df.op, df.body, body = OpCreateSession, &ConnectResponse{}, f.b
		case f.fromClient:
			df.req = &RequestHeader{}
			rest, err := UnmarshalPrefix(f.b, df.req)
			require.NoError(t, err, "frame %d", i)
			df.op, body = df.req.Op, rest
			xidOp[df.req.Xid] = df.req.Op
			df.body, err = NewRequest(df.op)
			require.NoError(t, err, "frame %d", i)
		default:
			df.rep = &ReplyHeader{}
			rest, err := UnmarshalPrefix(f.b, df.rep)
			require.NoError(t, err, "frame %d", i)
			body = rest
			switch {
			case df.rep.Xid == XidNotification:
				df.op, df.body = OpNotification, &WatcherEvent{}
			case df.rep.Err != CodeOK:
				op, ok := xidOp[df.rep.Xid]
				require.True(t, ok, "frame %d: reply to unknown xid %d", i, df.rep.Xid)
				df.op, df.body = op, &Empty{}
			default:
				op, ok := xidOp[df.rep.Xid]
				require.True(t, ok, "frame %d: reply to unknown xid %d", i, df.rep.Xid)
				df.op = op
				df.body, err = NewResponse(op)
				require.NoError(t, err, "frame %d", i)
			}
		}
		require.NoError(t, Unmarshal(body, df.body), "frame %d (%v, client=%v): %x", i, df.op, f.fromClient, f.b)

		var re []byte
		if df.req != nil {
			re = Marshal(df.req)
		} else if df.rep != nil {
			re = Marshal(df.rep)
		}
		re = Append(re, df.body)
		require.Equal(t, f.b, re, "frame %d (%v): re-encoding differs", i, df.op)
		out = append(out, df)
	}
	return out
}

// TestGoldenFramesRoundTrip decodes every recorded frame and re-encodes it
// to the identical bytes, and checks the recordings cover the protocol.
func TestGoldenFramesRoundTrip(t *testing.T) {
	reqOps := map[Op]bool{}
	respOps := map[Op]bool{}
	errReplies := map[Code]bool{}
	for _, name := range []string{"java-session.txt", "gozk-session.txt"} {
		for ci, frames := range loadGolden(t, name) {
			for _, df := range decodeConn(t, frames) {
				if df.fromClient {
					reqOps[df.op] = true
				} else if df.rep != nil && df.rep.Err != CodeOK {
					errReplies[df.rep.Err] = true
				} else {
					respOps[df.op] = true
				}
			}
			_ = ci
		}
	}
	for _, op := range []Op{
		OpCreateSession, OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL, OpDelete,
		OpExists, OpGetData, OpSetData, OpGetACL, OpSetACL, OpGetChildren, OpGetChildren2,
		OpSync, OpPing, OpMulti, OpMultiRead, OpAuth, OpSetWatches, OpSetWatches2,
		OpGetEphemerals, OpGetAllChildrenNumber, OpAddWatch, OpRemoveWatches, OpWhoAmI,
		OpCloseSession,
	} {
		require.True(t, reqOps[op], "no %v request recorded", op)
	}
	require.True(t, respOps[OpNotification], "no watch event recorded")
	require.True(t, respOps[OpMulti] && respOps[OpMultiRead] && respOps[OpCreate2])
	for _, c := range []Code{CodeNoNode, CodeNodeExists, CodeNoWatcher} {
		require.True(t, errReplies[c], "no %v reply recorded", c)
	}
}

// find returns the first decoded frame of conn matching pred.
func find(t *testing.T, frames []decodedFrame, what string, pred func(decodedFrame) bool) decodedFrame {
	t.Helper()
	for _, f := range frames {
		if pred(f) {
			return f
		}
	}
	t.Fatalf("no frame: %s", what)
	return decodedFrame{}
}

func replyTo(op Op) func(decodedFrame) bool {
	return func(f decodedFrame) bool { return !f.fromClient && f.rep != nil && f.op == op && f.rep.Err == CodeOK }
}

func requestOf(op Op) func(decodedFrame) bool {
	return func(f decodedFrame) bool { return f.fromClient && f.op == op }
}

func TestGoldenHandshake(t *testing.T) {
	java := loadGolden(t, "java-session.txt")
	gozk := loadGolden(t, "gozk-session.txt")

	// The Java client sends the 45-byte form; a fresh session has id 0 and a
	// zeroed 16-byte password. Our encoder produces exactly those bytes.
	first := java[0][0]
	require.True(t, first.fromClient)
	require.Len(t, first.b, 45)
	require.Equal(t, first.b, Marshal(&ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16)}))
	var resp ConnectResponse
	require.Len(t, java[0][1].b, 37)
	require.NoError(t, Unmarshal(java[0][1].b, &resp))
	require.False(t, resp.OmitReadOnly)
	require.False(t, resp.ReadOnly)
	require.Equal(t, int32(4000), resp.TimeOut)
	require.Len(t, resp.Passwd, 16)
	require.NotZero(t, resp.SessionID)

	// The reconnect carries the session id, password and last zxid seen.
	var re ConnectRequest
	require.NoError(t, Unmarshal(java[1][0].b, &re))
	require.Equal(t, resp.SessionID, re.SessionID)
	require.Equal(t, resp.Passwd, re.Passwd)
	require.NotZero(t, re.LastZxidSeen)

	// go-zookeeper sends the 44-byte form, and ZooKeeper answers without the
	// readOnly byte (36 bytes).
	require.Len(t, gozk[0][0].b, 44)
	var gr ConnectRequest
	require.NoError(t, Unmarshal(gozk[0][0].b, &gr))
	require.True(t, gr.OmitReadOnly)
	require.Equal(t, gozk[0][0].b, Marshal(&ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16), OmitReadOnly: true}))
	require.Len(t, gozk[0][1].b, 36)
	var gresp ConnectResponse
	require.NoError(t, Unmarshal(gozk[0][1].b, &gresp))
	require.True(t, gresp.OmitReadOnly)
}

func TestGoldenRequestsEncodeExactly(t *testing.T) {
	conns := loadGolden(t, "java-session.txt")
	c1 := decodeConn(t, conns[0])
	c3 := decodeConn(t, conns[2])

	// Requests built by hand, as a client would, encode to the Java client's bytes.
	create := find(t, c1, "create /golden", requestOf(OpCreate))
	require.Equal(t, create.raw, Append(Marshal(&RequestHeader{Xid: 1, Op: OpCreate}),
		&CreateRequest{Path: "/golden", Data: []byte("hello"), ACL: OpenACLUnsafe, Flags: int32(ModePersistent)}))

	seq := find(t, c1, "create sequential", func(f decodedFrame) bool {
		return f.fromClient && f.op == OpCreate && f.body.(*CreateRequest).Flags == int32(ModePersistentSequential)
	})
	require.Nil(t, seq.body.(*CreateRequest).Data, "null data decodes as nil")
	require.Equal(t, seq.raw, Append(Marshal(seq.req),
		&CreateRequest{Path: "/golden/s-", Data: nil, ACL: OpenACLUnsafe, Flags: int32(ModePersistentSequential)}))

	ttl := find(t, c1, "createTTL", requestOf(OpCreateTTL))
	require.Equal(t, ttl.raw, Append(Marshal(ttl.req),
		&CreateTTLRequest{Path: "/golden/t", Data: []byte("t"), ACL: OpenACLUnsafe, Flags: int32(ModePersistentWithTTL), TTL: 600000}))

	ping := find(t, c3, "ping", requestOf(OpPing))
	require.Equal(t, ping.raw, Marshal(&RequestHeader{Xid: XidPing, Op: OpPing}))

	auth := find(t, c3, "auth", requestOf(OpAuth))
	require.Equal(t, auth.raw, Append(Marshal(&RequestHeader{Xid: XidAuth, Op: OpAuth}),
		&AuthPacket{Type: 0, Scheme: "digest", Auth: []byte("bob:secret")}))

	closeReq := find(t, c3, "closeSession", requestOf(OpCloseSession))
	require.Equal(t, closeReq.raw, Marshal(&RequestHeader{Xid: closeReq.req.Xid, Op: OpCloseSession}))

	failing := find(t, c3, "failing multi", requestOf(OpMulti))
	require.Equal(t, failing.raw, Append(Marshal(failing.req), &MultiRequest{Ops: []MultiOp{
		{Type: OpCheck, Request: &CheckVersionRequest{Path: "/golden", Version: 0}},
		{Type: OpCreate, Request: &CreateRequest{Path: "/golden/m0", Data: []byte{}, ACL: OpenACLUnsafe, Flags: 0}},
		{Type: OpDelete, Request: &DeleteRequest{Path: "/golden/missing", Version: -1}},
		{Type: OpSetData, Request: &SetDataRequest{Path: "/golden", Data: []byte("never"), Version: -1}},
	}}))

	mr := find(t, c3, "multiRead", requestOf(OpMultiRead))
	require.Equal(t, mr.raw, Append(Marshal(mr.req), &MultiRequest{Ops: []MultiOp{
		{Type: OpGetChildren, Request: &GetChildrenRequest{Path: "/golden"}},
		{Type: OpGetData, Request: &GetDataRequest{Path: "/golden"}},
		{Type: OpGetData, Request: &GetDataRequest{Path: "/golden/missing"}},
	}}))

	// The Java 3.8 client gives SetWatches an ordinary xid, not XidSetWatches
	// (ClientCnxnSocket overwrites it); servers must accept any xid.
	c2 := decodeConn(t, conns[1])
	sw := find(t, c2, "setWatches", requestOf(OpSetWatches))
	require.Equal(t, &SetWatches{RelativeZxid: sw.body.(*SetWatches).RelativeZxid,
		DataWatches: []string{"/golden"}, ExistWatches: []string{"/golden/nope"}, ChildWatches: []string{"/golden"}}, sw.body)
	sw2 := find(t, c3, "setWatches2", requestOf(OpSetWatches2))
	require.Equal(t, []string{"/golden/c"}, sw2.body.(*SetWatches2).PersistentRecursiveWatches)
}

func TestGoldenReplies(t *testing.T) {
	conns := loadGolden(t, "java-session.txt")
	c1 := decodeConn(t, conns[0])
	c2 := decodeConn(t, conns[1])
	c3 := decodeConn(t, conns[2])
	var hs ConnectResponse
	require.NoError(t, Unmarshal(conns[0][1].b, &hs))
	session := hs.SessionID

	cr := find(t, c1, "create reply", replyTo(OpCreate)).body.(*CreateResponse)
	require.Equal(t, "/golden", cr.Path)

	c2r := find(t, c1, "create2 reply", replyTo(OpCreate2)).body.(*Create2Response)
	require.Equal(t, "/golden/e", c2r.Path)
	require.Equal(t, int32(1), c2r.Stat.DataLength)
	require.Equal(t, session, c2r.Stat.EphemeralOwner)
	require.Equal(t, c2r.Stat.Czxid, c2r.Stat.Mzxid)

	// ZooKeeper stores a marker as the owner of container and TTL nodes but
	// reports 0 to clients (DataNode.getClientEphemeralOwner).
	ttl := find(t, c1, "createTTL reply", replyTo(OpCreateTTL)).body.(*Create2Response)
	require.Equal(t, "/golden/t", ttl.Path)
	require.Zero(t, ttl.Stat.EphemeralOwner)
	cont := find(t, c1, "createContainer reply", replyTo(OpCreateContainer)).body.(*Create2Response)
	require.Equal(t, "/golden/c", cont.Path)
	require.Zero(t, cont.Stat.EphemeralOwner)

	gd := find(t, c1, "getData reply", replyTo(OpGetData)).body.(*GetDataResponse)
	require.Equal(t, []byte("hello"), gd.Data)
	require.Equal(t, int32(5), gd.Stat.DataLength)
	require.Equal(t, int32(4), gd.Stat.NumChildren)
	// Our encoder reproduces the reply from its values.
	gdFrame := find(t, c1, "getData reply", replyTo(OpGetData))
	require.Equal(t, gdFrame.raw, Append(Marshal(&ReplyHeader{Xid: gdFrame.rep.Xid, Zxid: gdFrame.rep.Zxid}),
		&GetDataResponse{Data: []byte("hello"), Stat: gd.Stat}))

	gc2 := find(t, c1, "getChildren2 reply", replyTo(OpGetChildren2)).body.(*GetChildren2Response)
	require.ElementsMatch(t, []string{"e", "s-0000000001", "c", "t"}, gc2.Children)
	require.Equal(t, int32(4), gc2.Stat.NumChildren)

	noNode := find(t, c1, "exists NoNode", func(f decodedFrame) bool {
		return !f.fromClient && f.op == OpExists && f.rep.Err == CodeNoNode
	})
	require.Len(t, noNode.raw, ReplyHeaderSize, "error replies carry no body")
	find(t, c1, "create NodeExists", func(f decodedFrame) bool {
		return !f.fromClient && f.op == OpCreate && f.rep.Err == CodeNodeExists
	})

	// setWatches is answered with a bare header.
	sw := find(t, c2, "setWatches reply", replyTo(OpSetWatches))
	require.Len(t, sw.raw, ReplyHeaderSize)
	// addWatch is answered with an ErrorResponse{0} body.
	aw := find(t, c2, "addWatch reply", replyTo(OpAddWatch))
	require.Equal(t, &ErrorResponse{Err: CodeOK}, aw.body)
	who := find(t, c2, "whoAmI reply", replyTo(OpWhoAmI)).body.(*WhoAmIResponse)
	require.Equal(t, []ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}}, who.ClientInfo)
	eph := find(t, c2, "getEphemerals reply", replyTo(OpGetEphemerals)).body.(*GetEphemeralsResponse)
	require.Equal(t, []string{"/golden/e"}, eph.Ephemerals)
	n := find(t, c2, "getAllChildrenNumber reply", replyTo(OpGetAllChildrenNumber)).body.(*GetAllChildrenNumberResponse)
	require.Equal(t, int32(4), n.TotalNumber)
	acl := find(t, c2, "getACL reply", replyTo(OpGetACL)).body.(*GetACLResponse)
	require.Equal(t, OpenACLUnsafe, acl.ACL)

	// A failed multi: ReplyHeader.Err is OK and every op has an error
	// result: OK before the failing op, its code, RuntimeInconsistency after.
	failed := find(t, c3, "failed multi reply", replyTo(OpMulti))
	require.Equal(t, CodeOK, failed.rep.Err)
	require.Equal(t, &MultiResponse{Results: []MultiResult{
		{Type: OpError, Err: CodeOK},
		{Type: OpError, Err: CodeOK},
		{Type: OpError, Err: CodeNoNode},
		{Type: OpError, Err: CodeRuntimeInconsistency},
	}}, failed.body)
	require.ErrorIs(t, failed.body.(*MultiResponse).FirstError(), CodeNoNode)
	require.Equal(t, failed.raw, Append(Marshal(failed.rep), failed.body))

	var okMulti *MultiResponse
	for _, f := range c3 {
		if !f.fromClient && f.op == OpMulti && f.body.(*MultiResponse).FirstError() == nil {
			okMulti = f.body.(*MultiResponse)
		}
	}
	require.NotNil(t, okMulti)
	require.Len(t, okMulti.Results, 4)
	require.Equal(t, &CreateResponse{Path: "/golden/m1"}, okMulti.Results[0].Response)
	require.Equal(t, OpSetData, okMulti.Results[1].Type)
	require.Equal(t, OpCheck, okMulti.Results[2].Type)
	require.Equal(t, OpDelete, okMulti.Results[3].Type)

	mr := find(t, c3, "multiRead reply", replyTo(OpMultiRead)).body.(*MultiResponse)
	require.Len(t, mr.Results, 3)
	require.Equal(t, OpGetChildren, mr.Results[0].Type)
	require.Equal(t, []byte("v2"), mr.Results[1].Response.(*GetDataResponse).Data)
	require.Equal(t, MultiResult{Type: OpError, Err: CodeNoNode}, mr.Results[2])

	// Watch events: xid -1, zxid -1, fired before the multi's reply.
	var events []WatcherEvent
	for _, f := range c3 {
		if f.op == OpNotification {
			require.Equal(t, int64(-1), f.rep.Zxid)
			events = append(events, *f.body.(*WatcherEvent))
		}
	}
	require.Equal(t, []WatcherEvent{
		{Type: EventNodeChildrenChanged, State: StateSyncConnected, Path: "/golden"},
		{Type: EventNodeDataChanged, State: StateSyncConnected, Path: "/golden"},
	}, events)
	ev := find(t, c3, "event", func(f decodedFrame) bool { return f.op == OpNotification })
	require.Equal(t, ev.raw, Append(Marshal(&ReplyHeader{Xid: XidNotification, Zxid: -1, Err: CodeOK}),
		&WatcherEvent{Type: EventNodeChildrenChanged, State: StateSyncConnected, Path: "/golden"}))

	pingReply := find(t, c3, "ping reply", replyTo(OpPing))
	require.Equal(t, int32(XidPing), pingReply.rep.Xid)
	require.Len(t, pingReply.raw, ReplyHeaderSize)

	authReply := find(t, c3, "auth reply", replyTo(OpAuth))
	require.Equal(t, &ReplyHeader{Xid: XidAuth}, authReply.rep, "auth replies carry zxid 0")

	noWatcher := find(t, c3, "NoWatcher", func(f decodedFrame) bool {
		return !f.fromClient && f.op == OpRemoveWatches && f.rep.Err == CodeNoWatcher
	})
	require.Len(t, noWatcher.raw, ReplyHeaderSize)
	require.True(t, bytes.HasSuffix(noWatcher.raw, []byte{0xff, 0xff, 0xff, 0x87}))
}

// TestGoldenGoZookeeper checks the frames of a third-party client,
// go-zookeeper, against our encoders: its multi and, after a reconnect, its
// SetWatches (with an ordinary xid and empty, not null, vectors).
func TestGoldenGoZookeeper(t *testing.T) {
	conns := loadGolden(t, "gozk-session.txt")
	require.Len(t, conns, 2)
	c1 := decodeConn(t, conns[0])
	c2 := decodeConn(t, conns[1])

	multi := find(t, c1, "multi", requestOf(OpMulti))
	require.Equal(t, multi.raw, Append(Marshal(&RequestHeader{Xid: multi.req.Xid, Op: OpMulti}), &MultiRequest{Ops: []MultiOp{
		{Type: OpCreate, Request: &CreateRequest{Path: "/golden-gozk/m", Data: []byte("m"), ACL: OpenACLUnsafe}},
		{Type: OpSetData, Request: &SetDataRequest{Path: "/golden-gozk", Data: []byte("go2"), Version: -1}},
		{Type: OpCheck, Request: &CheckVersionRequest{Path: "/golden-gozk", Version: 1}},
		{Type: OpDelete, Request: &DeleteRequest{Path: "/golden-gozk/m", Version: -1}},
	}}))
	res := find(t, c1, "multi reply", replyTo(OpMulti)).body.(*MultiResponse)
	require.NoError(t, res.FirstError())
	require.Equal(t, []Op{OpCreate, OpSetData, OpCheck, OpDelete},
		[]Op{res.Results[0].Type, res.Results[1].Type, res.Results[2].Type, res.Results[3].Type})

	var re ConnectRequest
	require.NoError(t, Unmarshal(conns[1][0].b, &re))
	require.True(t, re.OmitReadOnly)
	require.NotZero(t, re.SessionID)

	sw := find(t, c2, "setWatches", requestOf(OpSetWatches))
	require.Equal(t, sw.raw, Append(Marshal(&RequestHeader{Xid: sw.req.Xid, Op: OpSetWatches}), &SetWatches{
		RelativeZxid: sw.body.(*SetWatches).RelativeZxid,
		DataWatches:  []string{"/golden-gozk"}, ExistWatches: []string{}, ChildWatches: []string{},
	}))
	require.Positive(t, sw.req.Xid, "go-zookeeper, too, sends SetWatches with an ordinary xid")
	ev := find(t, c2, "event", func(f decodedFrame) bool { return f.op == OpNotification })
	require.Equal(t, &WatcherEvent{Type: EventNodeDataChanged, State: StateSyncConnected, Path: "/golden-gozk"}, ev.body)
}
