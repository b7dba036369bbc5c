package wire

import "strconv"

// Code is a ZooKeeper error code (KeeperException.Code), carried in
// ReplyHeader.Err, MultiHeader.Err, ErrorResponse and ErrorTxn.
//
// A Code other than CodeOK is an error, comparable with errors.Is:
//
//	if errors.Is(err, wire.CodeNoNode) { ... }
//
// Use Code.Err to turn a decoded code into an error value, which is nil for
// CodeOK; a CodeOK is never returned as an error by this package.
type Code int32

// Error codes, with the values of ZooKeeper 3.8's KeeperException.Code.
// CodeSystemError and CodeAPIError only mark ranges in ZooKeeper (codes
// between them are system errors, codes below CodeAPIError API errors); the
// server does not send them.
const (
	CodeOK                           Code = 0
	CodeSystemError                  Code = -1
	CodeRuntimeInconsistency         Code = -2
	CodeDataInconsistency            Code = -3
	CodeConnectionLoss               Code = -4
	CodeMarshallingError             Code = -5
	CodeUnimplemented                Code = -6
	CodeOperationTimeout             Code = -7
	CodeBadArguments                 Code = -8
	CodeUnknownSession               Code = -12
	CodeNewConfigNoQuorum            Code = -13
	CodeReconfigInProgress           Code = -14
	CodeAPIError                     Code = -100
	CodeNoNode                       Code = -101
	CodeNoAuth                       Code = -102
	CodeBadVersion                   Code = -103
	CodeNoChildrenForEphemerals      Code = -108
	CodeNodeExists                   Code = -110
	CodeNotEmpty                     Code = -111
	CodeSessionExpired               Code = -112
	CodeInvalidCallback              Code = -113
	CodeInvalidACL                   Code = -114
	CodeAuthFailed                   Code = -115
	CodeSessionMoved                 Code = -118
	CodeNotReadOnly                  Code = -119
	CodeEphemeralOnLocalSession      Code = -120
	CodeNoWatcher                    Code = -121
	CodeRequestTimeout               Code = -122
	CodeReconfigDisabled             Code = -123
	CodeSessionClosedRequireSASLAuth Code = -124
	CodeQuotaExceeded                Code = -125
	CodeThrottled                    Code = -127
)

type codeInfo struct{ name, msg string }

var codeInfos = map[Code]codeInfo{
	CodeOK:                           {"OK", "ok"},
	CodeSystemError:                  {"SystemError", "system error"},
	CodeRuntimeInconsistency:         {"RuntimeInconsistency", "runtime inconsistency"},
	CodeDataInconsistency:            {"DataInconsistency", "data inconsistency"},
	CodeConnectionLoss:               {"ConnectionLoss", "connection loss"},
	CodeMarshallingError:             {"MarshallingError", "marshalling error"},
	CodeUnimplemented:                {"Unimplemented", "unimplemented"},
	CodeOperationTimeout:             {"OperationTimeout", "operation timeout"},
	CodeBadArguments:                 {"BadArguments", "bad arguments"},
	CodeUnknownSession:               {"UnknownSession", "unknown session"},
	CodeNewConfigNoQuorum:            {"NewConfigNoQuorum", "no quorum of new config"},
	CodeReconfigInProgress:           {"ReconfigInProgress", "reconfig in progress"},
	CodeAPIError:                     {"APIError", "api error"},
	CodeNoNode:                       {"NoNode", "no node"},
	CodeNoAuth:                       {"NoAuth", "not authenticated"},
	CodeBadVersion:                   {"BadVersion", "bad version"},
	CodeNoChildrenForEphemerals:      {"NoChildrenForEphemerals", "ephemeral nodes may not have children"},
	CodeNodeExists:                   {"NodeExists", "node already exists"},
	CodeNotEmpty:                     {"NotEmpty", "node has children"},
	CodeSessionExpired:               {"SessionExpired", "session expired"},
	CodeInvalidCallback:              {"InvalidCallback", "invalid callback"},
	CodeInvalidACL:                   {"InvalidACL", "invalid ACL"},
	CodeAuthFailed:                   {"AuthFailed", "authentication failed"},
	CodeSessionMoved:                 {"SessionMoved", "session moved to another server"},
	CodeNotReadOnly:                  {"NotReadOnly", "not a read-only call"},
	CodeEphemeralOnLocalSession:      {"EphemeralOnLocalSession", "ephemeral node on local session"},
	CodeNoWatcher:                    {"NoWatcher", "no such watcher"},
	CodeRequestTimeout:               {"RequestTimeout", "request timeout"},
	CodeReconfigDisabled:             {"ReconfigDisabled", "reconfig is disabled"},
	CodeSessionClosedRequireSASLAuth: {"SessionClosedRequireSASLAuth", "session closed because client failed to authenticate"},
	CodeQuotaExceeded:                {"QuotaExceeded", "quota exceeded"},
	CodeThrottled:                    {"Throttled", "op throttled due to high load"},
}

// AllCodes lists every KeeperException.Code of ZooKeeper 3.8, CodeOK first,
// then in decreasing numeric order.
var AllCodes = []Code{
	CodeOK, CodeSystemError, CodeRuntimeInconsistency, CodeDataInconsistency,
	CodeConnectionLoss, CodeMarshallingError, CodeUnimplemented,
	CodeOperationTimeout, CodeBadArguments, CodeUnknownSession,
	CodeNewConfigNoQuorum, CodeReconfigInProgress, CodeAPIError, CodeNoNode,
	CodeNoAuth, CodeBadVersion, CodeNoChildrenForEphemerals, CodeNodeExists,
	CodeNotEmpty, CodeSessionExpired, CodeInvalidCallback, CodeInvalidACL,
	CodeAuthFailed, CodeSessionMoved, CodeNotReadOnly,
	CodeEphemeralOnLocalSession, CodeNoWatcher, CodeRequestTimeout,
	CodeReconfigDisabled, CodeSessionClosedRequireSASLAuth,
	CodeQuotaExceeded, CodeThrottled,
}

// Error returns a message in the form "zk: no node". An unknown code reads
// "zk: unknown error -999".
func (c Code) Error() string {
	if i, ok := codeInfos[c]; ok {
		return "zk: " + i.msg
	}
	return "zk: unknown error " + strconv.Itoa(int(c))
}

// String returns the code's name ("NoNode"), or "Code(n)" if unknown.
func (c Code) String() string {
	if i, ok := codeInfos[c]; ok {
		return i.name
	}
	return "Code(" + strconv.Itoa(int(c)) + ")"
}

// Err returns nil for CodeOK and c otherwise. Use it to turn a code read
// from the wire into a Go error.
func (c Code) Err() error {
	if c == CodeOK {
		return nil
	}
	return c
}

// Known reports whether c is one of ZooKeeper 3.8's codes.
func (c Code) Known() bool {
	_, ok := codeInfos[c]
	return ok
}
