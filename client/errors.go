package client

import (
	"errors"

	"github.com/zabkit/zabkit/wire"
)

// ZooKeeper's error codes, as returned by the server, are the values of
// wire.Code; the client returns them wrapped with the operation and path.
// The sentinels below are those same values, so both of these hold for a
// missing node:
//
//	errors.Is(err, client.ErrNoNode)
//	errors.Is(err, wire.CodeNoNode)
//
// Inside a Multi, each failed op carries its own code in its OpResult.
const (
	ErrAPIError                = wire.CodeAPIError
	ErrNoNode                  = wire.CodeNoNode
	ErrNoAuth                  = wire.CodeNoAuth
	ErrBadVersion              = wire.CodeBadVersion
	ErrNoChildrenForEphemerals = wire.CodeNoChildrenForEphemerals
	ErrNodeExists              = wire.CodeNodeExists
	ErrNotEmpty                = wire.CodeNotEmpty
	ErrSessionExpired          = wire.CodeSessionExpired
	ErrInvalidCallback         = wire.CodeInvalidCallback
	ErrInvalidACL              = wire.CodeInvalidACL
	ErrAuthFailed              = wire.CodeAuthFailed
	ErrSessionMoved            = wire.CodeSessionMoved
	ErrNotReadOnly             = wire.CodeNotReadOnly
	ErrEphemeralOnLocalSession = wire.CodeEphemeralOnLocalSession
	ErrNoWatcher               = wire.CodeNoWatcher
	ErrRequestTimeout          = wire.CodeRequestTimeout
	ErrReconfigDisabled        = wire.CodeReconfigDisabled
	ErrQuotaExceeded           = wire.CodeQuotaExceeded
	ErrThrottled               = wire.CodeThrottled
	ErrSystemError             = wire.CodeSystemError
	ErrRuntimeInconsistency    = wire.CodeRuntimeInconsistency
	ErrDataInconsistency       = wire.CodeDataInconsistency
	ErrMarshallingError        = wire.CodeMarshallingError
	ErrUnimplemented           = wire.CodeUnimplemented
	ErrOperationTimeout        = wire.CodeOperationTimeout
	ErrBadArguments            = wire.CodeBadArguments
	ErrUnknownSession          = wire.CodeUnknownSession

	// ErrConnectionLoss is returned for a request that was sent on a
	// connection that broke before its reply arrived: the request may or
	// may not have been applied. Requests queued while the client is
	// between connections are not failed; they wait (bounded by their ctx)
	// and are sent on the next connection, unless the session expires
	// meanwhile (they then fail with ErrSessionExpired).
	ErrConnectionLoss = wire.CodeConnectionLoss
)

// ErrClosed is returned by every operation on a Conn after Close.
var ErrClosed = errors.New("zk: connection closed")

// IsSessionLost reports whether err means the session can no longer be used:
// it expired, its authentication failed, or the Conn was closed. With
// WithSessionRenewal the Conn itself may go on with a new session after
// ErrSessionExpired (see Conn.Session).
func IsSessionLost(err error) bool {
	return errors.Is(err, ErrSessionExpired) || errors.Is(err, ErrAuthFailed) || errors.Is(err, ErrClosed)
}

// IsRetryable reports whether err is a transient failure after which an
// idempotent operation may simply be retried on the same session: the
// connection broke (ErrConnectionLoss), or the server asked to back off
// (ErrThrottled, ErrRequestTimeout, ErrOperationTimeout).
func IsRetryable(err error) bool {
	return errors.Is(err, ErrConnectionLoss) || errors.Is(err, ErrThrottled) ||
		errors.Is(err, ErrRequestTimeout) || errors.Is(err, ErrOperationTimeout)
}
