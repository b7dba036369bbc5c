package wire

import "strconv"

// Op is a ZooKeeper operation code (ZooDefs.OpCode), carried in
// RequestHeader.Type, MultiHeader.Type, TxnHeader.Type and Txn.Type.
type Op int32

// Operation codes, with the values of ZooKeeper 3.8's ZooDefs.OpCode.
const (
	OpNotification         Op = 0
	OpCreate               Op = 1
	OpDelete               Op = 2
	OpExists               Op = 3
	OpGetData              Op = 4
	OpSetData              Op = 5
	OpGetACL               Op = 6
	OpSetACL               Op = 7
	OpGetChildren          Op = 8
	OpSync                 Op = 9
	OpPing                 Op = 11
	OpGetChildren2         Op = 12
	OpCheck                Op = 13
	OpMulti                Op = 14
	OpCreate2              Op = 15
	OpReconfig             Op = 16
	OpCheckWatches         Op = 17
	OpRemoveWatches        Op = 18
	OpCreateContainer      Op = 19
	OpDeleteContainer      Op = 20
	OpCreateTTL            Op = 21
	OpMultiRead            Op = 22
	OpAuth                 Op = 100
	OpSetWatches           Op = 101
	OpSASL                 Op = 102
	OpGetEphemerals        Op = 103
	OpGetAllChildrenNumber Op = 104
	OpSetWatches2          Op = 105
	OpAddWatch             Op = 106
	OpWhoAmI               Op = 107
	OpCreateSession        Op = -10
	OpCloseSession         Op = -11
	OpError                Op = -1
)

var opNames = map[Op]string{
	OpNotification:         "notification",
	OpCreate:               "create",
	OpDelete:               "delete",
	OpExists:               "exists",
	OpGetData:              "getData",
	OpSetData:              "setData",
	OpGetACL:               "getACL",
	OpSetACL:               "setACL",
	OpGetChildren:          "getChildren",
	OpSync:                 "sync",
	OpPing:                 "ping",
	OpGetChildren2:         "getChildren2",
	OpCheck:                "check",
	OpMulti:                "multi",
	OpCreate2:              "create2",
	OpReconfig:             "reconfig",
	OpCheckWatches:         "checkWatches",
	OpRemoveWatches:        "removeWatches",
	OpCreateContainer:      "createContainer",
	OpDeleteContainer:      "deleteContainer",
	OpCreateTTL:            "createTTL",
	OpMultiRead:            "multiRead",
	OpAuth:                 "auth",
	OpSetWatches:           "setWatches",
	OpSASL:                 "sasl",
	OpGetEphemerals:        "getEphemerals",
	OpGetAllChildrenNumber: "getAllChildrenNumber",
	OpSetWatches2:          "setWatches2",
	OpAddWatch:             "addWatch",
	OpWhoAmI:               "whoAmI",
	OpCreateSession:        "createSession",
	OpCloseSession:         "closeSession",
	OpError:                "error",
}

// String returns ZooKeeper's name for the op ("getData"), or "Op(n)" for an
// unknown value.
func (o Op) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Valid reports whether o is one of ZooKeeper 3.8's op codes.
func (o Op) Valid() bool {
	_, ok := opNames[o]
	return ok
}

// Reserved xids. A client numbers its requests from 1 upward; these negative
// values mark packets that are not replies to numbered requests (ClientCnxn).
const (
	// XidNotification is the xid of a watch event (WatcherEvent) pushed by
	// the server.
	XidNotification = -1
	// XidPing is the xid of a ping request and its reply.
	XidPing = -2
	// XidAuth is the xid of an AuthPacket and its reply.
	XidAuth = -4
	// XidSetWatches is the xid ZooKeeper's ClientCnxn assigns to SetWatches
	// and SetWatches2. Note that the 3.8 Java client then overwrites it
	// with an ordinary increasing xid when it sends the packet (only ping
	// and auth keep their reserved xids), as the golden captures show; a
	// server must accept SetWatches with any xid and echo it in the reply.
	XidSetWatches = -8
)
