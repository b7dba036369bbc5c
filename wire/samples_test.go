package wire

// sample is a fully populated record of one type and a constructor for an
// empty one, used by the round-trip tests and as fuzz seeds.
type sample struct {
	name string
	rec  Record
	new  func() Record
}

var testStat = Stat{
	Czxid: 0x100000002, Mzxid: 0x100000003, Ctime: 1700000000123, Mtime: 1700000000456,
	Version: 3, Cversion: 4, Aversion: 5, EphemeralOwner: 0x1000abcd, DataLength: 7,
	NumChildren: 2, Pzxid: 0x100000004,
}

var testACL = []ACL{
	{Perms: PermAll, ID: WorldAnyone},
	{Perms: PermRead | PermAdmin, ID: ID{Scheme: "digest", ID: "bob:x0Y1"}},
}

// samples returns one populated value of every record type, plus variants
// exercising null and empty buffers and vectors.
func samples() []sample {
	return []sample{
		{"ID", &ID{Scheme: "ip", ID: "10.0.0.0/8"}, func() Record { return &ID{} }},
		{"ACL", &testACL[1], func() Record { return &ACL{} }},
		{"Stat", &testStat, func() Record { return &Stat{} }},
		{"StatPersisted", &StatPersisted{1, 2, 3, 4, 5, 6, 7, 8, 9}, func() Record { return &StatPersisted{} }},
		{"ClientInfo", &ClientInfo{AuthScheme: "ip", User: "127.0.0.1"}, func() Record { return &ClientInfo{} }},
		{"ConnectRequest", &ConnectRequest{ProtocolVersion: 0, LastZxidSeen: 0x200000001, TimeOut: 30000, SessionID: 0x1000abcd, Passwd: make([]byte, 16), ReadOnly: true}, func() Record { return &ConnectRequest{} }},
		{"ConnectRequest44", &ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16), OmitReadOnly: true}, func() Record { return &ConnectRequest{} }},
		{"ConnectResponse", &ConnectResponse{TimeOut: 30000, SessionID: 0x1000abcd, Passwd: []byte("0123456789abcdef"), ReadOnly: false}, func() Record { return &ConnectResponse{} }},
		{"ConnectResponse36", &ConnectResponse{TimeOut: 4000, SessionID: 7, Passwd: []byte("0123456789abcdef"), OmitReadOnly: true}, func() Record { return &ConnectResponse{} }},
		{"RequestHeader", &RequestHeader{Xid: 42, Op: OpCreate2}, func() Record { return &RequestHeader{} }},
		{"ReplyHeader", &ReplyHeader{Xid: 42, Zxid: 0x100000005, Err: CodeNoNode}, func() Record { return &ReplyHeader{} }},
		{"WatcherEvent", &WatcherEvent{Type: EventNodeDataChanged, State: StateSyncConnected, Path: "/a/b"}, func() Record { return &WatcherEvent{} }},
		{"AuthPacket", &AuthPacket{Type: 0, Scheme: "digest", Auth: []byte("bob:secret")}, func() Record { return &AuthPacket{} }},
		{"SetWatches", &SetWatches{RelativeZxid: 9, DataWatches: []string{"/a"}, ExistWatches: []string{}, ChildWatches: []string{"/", "/b"}}, func() Record { return &SetWatches{} }},
		{"SetWatches2", &SetWatches2{RelativeZxid: 9, DataWatches: []string{"/a"}, ExistWatches: nil, ChildWatches: []string{"/"}, PersistentWatches: []string{"/p"}, PersistentRecursiveWatches: []string{"/r", "/s"}}, func() Record { return &SetWatches2{} }},
		{"ErrorResponse", &ErrorResponse{Err: CodeBadVersion}, func() Record { return &ErrorResponse{} }},
		{"GetSASLRequest", &GetSASLRequest{Token: []byte{1, 2, 3}}, func() Record { return &GetSASLRequest{} }},
		{"SetSASLResponse", &SetSASLResponse{Token: []byte{}}, func() Record { return &SetSASLResponse{} }},
		{"WhoAmIResponse", &WhoAmIResponse{ClientInfo: []ClientInfo{{"ip", "127.0.0.1"}, {"digest", "bob"}}}, func() Record { return &WhoAmIResponse{} }},
		{"CreateRequest", &CreateRequest{Path: "/a", Data: []byte("hello"), ACL: testACL, Flags: int32(ModeEphemeralSequential)}, func() Record { return &CreateRequest{} }},
		{"CreateRequestNulls", &CreateRequest{Path: "/a", Data: nil, ACL: nil, Flags: 0}, func() Record { return &CreateRequest{} }},
		{"CreateTTLRequest", &CreateTTLRequest{Path: "/t", Data: []byte{}, ACL: OpenACLUnsafe, Flags: int32(ModePersistentWithTTL), TTL: 5000}, func() Record { return &CreateTTLRequest{} }},
		{"CreateResponse", &CreateResponse{Path: "/a0000000001"}, func() Record { return &CreateResponse{} }},
		{"Create2Response", &Create2Response{Path: "/a", Stat: testStat}, func() Record { return &Create2Response{} }},
		{"DeleteRequest", &DeleteRequest{Path: "/a", Version: -1}, func() Record { return &DeleteRequest{} }},
		{"ExistsRequest", &ExistsRequest{Path: "/a", Watch: true}, func() Record { return &ExistsRequest{} }},
		{"ExistsResponse", &ExistsResponse{Stat: testStat}, func() Record { return &ExistsResponse{} }},
		{"GetDataRequest", &GetDataRequest{Path: "/a", Watch: true}, func() Record { return &GetDataRequest{} }},
		{"GetDataResponse", &GetDataResponse{Data: []byte("v"), Stat: testStat}, func() Record { return &GetDataResponse{} }},
		{"GetDataResponseNull", &GetDataResponse{Data: nil, Stat: testStat}, func() Record { return &GetDataResponse{} }},
		{"SetDataRequest", &SetDataRequest{Path: "/a", Data: []byte("w"), Version: 3}, func() Record { return &SetDataRequest{} }},
		{"SetDataResponse", &SetDataResponse{Stat: testStat}, func() Record { return &SetDataResponse{} }},
		{"GetACLRequest", &GetACLRequest{Path: "/a"}, func() Record { return &GetACLRequest{} }},
		{"GetACLResponse", &GetACLResponse{ACL: testACL, Stat: testStat}, func() Record { return &GetACLResponse{} }},
		{"SetACLRequest", &SetACLRequest{Path: "/a", ACL: CreatorAllACL, Version: 1}, func() Record { return &SetACLRequest{} }},
		{"SetACLResponse", &SetACLResponse{Stat: testStat}, func() Record { return &SetACLResponse{} }},
		{"GetChildrenRequest", &GetChildrenRequest{Path: "/", Watch: false}, func() Record { return &GetChildrenRequest{} }},
		{"GetChildrenResponse", &GetChildrenResponse{Children: []string{"a", "zookeeper"}}, func() Record { return &GetChildrenResponse{} }},
		{"GetChildrenResponseEmpty", &GetChildrenResponse{Children: []string{}}, func() Record { return &GetChildrenResponse{} }},
		{"GetChildren2Request", &GetChildren2Request{Path: "/", Watch: true}, func() Record { return &GetChildren2Request{} }},
		{"GetChildren2Response", &GetChildren2Response{Children: []string{"x"}, Stat: testStat}, func() Record { return &GetChildren2Response{} }},
		{"GetAllChildrenNumberRequest", &GetAllChildrenNumberRequest{Path: "/"}, func() Record { return &GetAllChildrenNumberRequest{} }},
		{"GetAllChildrenNumberResponse", &GetAllChildrenNumberResponse{TotalNumber: 12}, func() Record { return &GetAllChildrenNumberResponse{} }},
		{"GetEphemeralsRequest", &GetEphemeralsRequest{PrefixPath: "/e"}, func() Record { return &GetEphemeralsRequest{} }},
		{"GetEphemeralsResponse", &GetEphemeralsResponse{Ephemerals: []string{"/e/1", "/e/2"}}, func() Record { return &GetEphemeralsResponse{} }},
		{"SyncRequest", &SyncRequest{Path: "/"}, func() Record { return &SyncRequest{} }},
		{"SyncResponse", &SyncResponse{Path: "/"}, func() Record { return &SyncResponse{} }},
		{"CheckVersionRequest", &CheckVersionRequest{Path: "/a", Version: 2}, func() Record { return &CheckVersionRequest{} }},
		{"ReconfigRequest", &ReconfigRequest{JoiningServers: "server.4=h:2888:3888", LeavingServers: "2", NewMembers: "", CurConfigID: -1}, func() Record { return &ReconfigRequest{} }},
		{"AddWatchRequest", &AddWatchRequest{Path: "/w", Mode: int32(AddWatchPersistentRecursive)}, func() Record { return &AddWatchRequest{} }},
		{"RemoveWatchesRequest", &RemoveWatchesRequest{Path: "/w", Type: int32(WatcherAny)}, func() Record { return &RemoveWatchesRequest{} }},
		{"CheckWatchesRequest", &CheckWatchesRequest{Path: "/w", Type: int32(WatcherData)}, func() Record { return &CheckWatchesRequest{} }},
		{"MultiHeader", &MultiHeader{Type: OpCreate, Done: false, Err: -1}, func() Record { return &MultiHeader{} }},
		{"MultiRequest", &MultiRequest{Ops: []MultiOp{
			{Type: OpCreate, Request: &CreateRequest{Path: "/m", Data: []byte("d"), ACL: OpenACLUnsafe, Flags: 0}},
			{Type: OpCreate2, Request: &CreateRequest{Path: "/m/2", ACL: OpenACLUnsafe, Flags: 3}},
			{Type: OpCreateContainer, Request: &CreateRequest{Path: "/c", ACL: OpenACLUnsafe, Flags: 4}},
			{Type: OpCreateTTL, Request: &CreateTTLRequest{Path: "/t", ACL: OpenACLUnsafe, Flags: 5, TTL: 100}},
			{Type: OpSetData, Request: &SetDataRequest{Path: "/m", Data: []byte("e"), Version: -1}},
			{Type: OpCheck, Request: &CheckVersionRequest{Path: "/m", Version: 1}},
			{Type: OpDelete, Request: &DeleteRequest{Path: "/m", Version: -1}},
		}}, func() Record { return &MultiRequest{} }},
		{"MultiReadRequest", &MultiRequest{Ops: []MultiOp{
			{Type: OpGetChildren, Request: &GetChildrenRequest{Path: "/"}},
			{Type: OpGetData, Request: &GetDataRequest{Path: "/a"}},
		}}, func() Record { return &MultiRequest{} }},
		{"MultiRequestEmpty", &MultiRequest{}, func() Record { return &MultiRequest{} }},
		{"MultiResponse", &MultiResponse{Results: []MultiResult{
			{Type: OpCreate, Response: &CreateResponse{Path: "/m"}},
			{Type: OpCreate2, Response: &Create2Response{Path: "/m/2", Stat: testStat}},
			{Type: OpSetData, Response: &SetDataResponse{Stat: testStat}},
			{Type: OpCheck},
			{Type: OpDelete},
		}}, func() Record { return &MultiResponse{} }},
		{"MultiResponseFailed", &MultiResponse{Results: []MultiResult{
			{Type: OpError, Err: CodeOK},
			{Type: OpError, Err: CodeNoNode},
			{Type: OpError, Err: CodeRuntimeInconsistency},
		}}, func() Record { return &MultiResponse{} }},
		{"MultiReadResponse", &MultiResponse{Results: []MultiResult{
			{Type: OpGetChildren, Response: &GetChildrenResponse{Children: []string{"a"}}},
			{Type: OpGetData, Response: &GetDataResponse{Data: []byte("x"), Stat: testStat}},
			{Type: OpError, Err: CodeNoNode},
		}}, func() Record { return &MultiResponse{} }},
		{"TxnHeader", &TxnHeader{ClientID: 0x1000abcd, Cxid: 7, Zxid: 0x100000009, Time: 1700000000789, Type: OpCreate}, func() Record { return &TxnHeader{} }},
		{"TxnDigest", &TxnDigest{Version: 2, TreeDigest: 0x1234567890}, func() Record { return &TxnDigest{} }},
		{"CreateTxn", &CreateTxn{Path: "/a", Data: []byte("d"), ACL: testACL, Ephemeral: true, ParentCVersion: 3}, func() Record { return &CreateTxn{} }},
		{"CreateContainerTxn", &CreateContainerTxn{Path: "/c", Data: []byte{}, ACL: OpenACLUnsafe, ParentCVersion: 1}, func() Record { return &CreateContainerTxn{} }},
		{"CreateTTLTxn", &CreateTTLTxn{Path: "/t", Data: nil, ACL: OpenACLUnsafe, ParentCVersion: 2, TTL: 60000}, func() Record { return &CreateTTLTxn{} }},
		{"DeleteTxn", &DeleteTxn{Path: "/a"}, func() Record { return &DeleteTxn{} }},
		{"SetDataTxn", &SetDataTxn{Path: "/a", Data: []byte("z"), Version: 4}, func() Record { return &SetDataTxn{} }},
		{"CheckVersionTxn", &CheckVersionTxn{Path: "/a", Version: 4}, func() Record { return &CheckVersionTxn{} }},
		{"SetACLTxn", &SetACLTxn{Path: "/a", ACL: ReadACLUnsafe, Version: 1}, func() Record { return &SetACLTxn{} }},
		{"CreateSessionTxn", &CreateSessionTxn{TimeOut: 30000}, func() Record { return &CreateSessionTxn{} }},
		{"CloseSessionTxn", &CloseSessionTxn{Paths2Delete: []string{"/e1", "/e2"}}, func() Record { return &CloseSessionTxn{} }},
		{"ErrorTxn", &ErrorTxn{Err: CodeNodeExists}, func() Record { return &ErrorTxn{} }},
		{"Txn", &Txn{Type: OpDelete, Data: Marshal(&DeleteTxn{Path: "/a"})}, func() Record { return &Txn{} }},
		{"MultiTxn", &MultiTxn{Txns: []Txn{
			NewTxn(OpCreate, &CreateTxn{Path: "/m", ACL: OpenACLUnsafe, ParentCVersion: 1}),
			NewTxn(OpError, &ErrorTxn{Err: CodeRuntimeInconsistency}),
		}}, func() Record { return &MultiTxn{} }},
		{"Empty", &Empty{}, func() Record { return &Empty{} }},
	}
}
