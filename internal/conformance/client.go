package conformance

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Mode is a ZooKeeper create mode, numbered as CreateMode.java numbers them.
type Mode int32

// The create modes.
const (
	ModePersistent           Mode = 0
	ModeEphemeral            Mode = 1
	ModePersistentSequential Mode = 2
	ModeEphemeralSequential  Mode = 3
	ModeContainer            Mode = 4
	ModeTTL                  Mode = 5
	ModeTTLSequential        Mode = 6
)

// Stat mirrors ZooKeeper's Stat record.
type Stat struct {
	Czxid, Mzxid, Ctime, Mtime  int64
	Version, Cversion, Aversion int32
	EphemeralOwner              int64
	DataLength, NumChildren     int32
	Pzxid                       int64
}

// ACL is one access-control entry.
type ACL struct {
	Perms  int32
	Scheme string
	ID     string
}

// Permission bits (ZooDefs.Perms).
const (
	PermRead   int32 = 1
	PermWrite  int32 = 2
	PermCreate int32 = 4
	PermDelete int32 = 8
	PermAdmin  int32 = 16
	PermAll    int32 = 31
)

// OpenACL is world:anyone with every permission.
var OpenACL = []ACL{{Perms: PermAll, Scheme: "world", ID: "anyone"}}

// Code is a ZooKeeper error code (KeeperException.Code).
type Code int32

// The error codes the suite checks.
const (
	CodeOK                     Code = 0
	CodeRuntimeInconsistency   Code = -2
	CodeConnectionLoss         Code = -4
	CodeUnimplemented          Code = -6
	CodeBadArguments           Code = -8
	CodeNoNode                 Code = -101
	CodeNoAuth                 Code = -102
	CodeBadVersion             Code = -103
	CodeNoChildrenForEphemeral Code = -108
	CodeNodeExists             Code = -110
	CodeNotEmpty               Code = -111
	CodeSessionExpired         Code = -112
	CodeInvalidACL             Code = -114
	CodeAuthFailed             Code = -115
	CodeNoWatcher              Code = -121
	CodeReconfigDisabled       Code = -123
)

// CodeError is a server error reply as a driver reports it.
type CodeError struct {
	Code Code
	Err  error // the client's own error value, for messages
}

func (e *CodeError) Error() string { return fmt.Sprintf("code %d: %v", e.Code, e.Err) }
func (e *CodeError) Unwrap() error { return e.Err }

// codeOf returns the ZooKeeper code carried by err: CodeOK for nil, and -1
// (system error) for errors that carry no code.
func codeOf(err error) Code {
	if err == nil {
		return CodeOK
	}
	var ce *CodeError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

// errUnsupported is returned by a driver for an operation its client lacks.
var errUnsupported = errors.New("operation not supported by this client")

// EventType is a watch event type (Watcher.Event.EventType).
type EventType int32

// The event types.
const (
	EventNone                   EventType = -1
	EventCreated                EventType = 1
	EventDeleted                EventType = 2
	EventDataChanged            EventType = 3
	EventChildrenChanged        EventType = 4
	EventDataWatchRemoved       EventType = 5
	EventChildWatchRemoved      EventType = 6
	EventPersistentWatchRemoved EventType = 7
)

func (t EventType) String() string {
	switch t {
	case EventNone:
		return "None"
	case EventCreated:
		return "NodeCreated"
	case EventDeleted:
		return "NodeDeleted"
	case EventDataChanged:
		return "NodeDataChanged"
	case EventChildrenChanged:
		return "NodeChildrenChanged"
	}
	return fmt.Sprintf("EventType(%d)", int32(t))
}

// Event is a watch event. A watch that ends because its session ended yields
// one Event with Type EventNone and End set.
type Event struct {
	Type EventType
	Path string
	End  State // StateExpired or StateClosed when the watch ended without firing
}

func (e Event) String() string {
	if e.End != 0 {
		return fmt.Sprintf("%v %s (end: %v)", e.Type, e.Path, e.End)
	}
	return fmt.Sprintf("%v %s", e.Type, e.Path)
}

// State is a session state as the suite observes it.
type State int

// The session states.
const (
	StateConnected State = iota + 1
	StateDisconnected
	StateExpired
	StateClosed
	StateAuthFailed
)

func (s State) String() string {
	switch s {
	case StateConnected:
		return "Connected"
	case StateDisconnected:
		return "Disconnected"
	case StateExpired:
		return "Expired"
	case StateClosed:
		return "Closed"
	case StateAuthFailed:
		return "AuthFailed"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Watch yields the events of one watch registration.
type Watch interface {
	// Next returns the next event; for a one-shot watch, the single event.
	Next(ctx context.Context) (Event, error)
	// TryNext returns an event already delivered to the watch, without
	// waiting.
	TryNext() (Event, bool)
}

// WatcherKind selects watches for CheckWatches and RemoveWatches
// (Watcher.WatcherType).
type WatcherKind int32

// The watcher kinds.
const (
	WatcherChildren WatcherKind = 1
	WatcherData     WatcherKind = 2
	WatcherAny      WatcherKind = 3
)

// Op is one operation of a multi.
type Op struct {
	Kind    OpKind
	Path    string
	Data    []byte
	Mode    Mode
	ACL     []ACL
	Version int32
}

// OpKind says which operation an Op is.
type OpKind int

// The multi operation kinds.
const (
	OpCreate OpKind = iota + 1
	OpDelete
	OpSetData
	OpCheck
)

// OpResult is the result of one operation of a multi.
type OpResult struct {
	Code Code
	Path string // for a create
	Stat *Stat  // for a setData (and create, if the client returns it)
}

// ReadResult is the result of one read of a multiRead.
type ReadResult struct {
	Code     Code
	Data     []byte
	Stat     Stat
	Children []string
}

// Session parameters for Dial.
type sessionConfig struct {
	timeout time.Duration
	auth    []authPair
	resume  *resumeSession // attach to this existing session instead of creating one
}

type resumeSession struct {
	id     int64
	passwd []byte
}

type authPair struct {
	scheme string
	auth   []byte
}

// Client is what the checks use of a ZooKeeper client. Drivers adapt real
// clients to it; an operation a client does not have returns errUnsupported.
type Client interface {
	SessionID() int64
	// SessionPassword returns the session password (nil if the client
	// does not expose it; such drivers lack featSessionResume).
	SessionPassword() []byte
	Create(ctx context.Context, path string, data []byte, mode Mode, acl []ACL, ttl time.Duration) (string, error)
	Delete(ctx context.Context, path string, version int32) error
	Exists(ctx context.Context, path string) (bool, Stat, error)
	Get(ctx context.Context, path string) ([]byte, Stat, error)
	Set(ctx context.Context, path string, data []byte, version int32) (Stat, error)
	Children(ctx context.Context, path string) ([]string, Stat, error)
	GetACL(ctx context.Context, path string) ([]ACL, Stat, error)
	SetACL(ctx context.Context, path string, acl []ACL, version int32) (Stat, error)
	Sync(ctx context.Context, path string) error
	Multi(ctx context.Context, ops ...Op) ([]OpResult, error)
	AddAuth(ctx context.Context, scheme string, auth []byte) error

	ExistsW(ctx context.Context, path string) (bool, Stat, Watch, error)
	GetW(ctx context.Context, path string) ([]byte, Stat, Watch, error)
	ChildrenW(ctx context.Context, path string) ([]string, Stat, Watch, error)
	// AddWatch adds a persistent (recursive=false) or persistent-recursive watch.
	AddWatch(ctx context.Context, path string, recursive bool) (Watch, error)
	// CheckWatches and RemoveWatches ask the server about / remove this
	// session's watches of a kind on path (checkWatches, removeWatches).
	CheckWatches(ctx context.Context, path string, kind WatcherKind) error
	RemoveWatches(ctx context.Context, path string, kind WatcherKind) error

	GetEphemerals(ctx context.Context, prefix string) ([]string, error)
	AllChildrenNumber(ctx context.Context, path string) (int, error)
	WhoAmI(ctx context.Context) ([]string, error)

	// StateCount returns how many session states were observed so far;
	// WaitState waits for state s at index from or later and returns the
	// index after it.
	StateCount() int
	WaitState(ctx context.Context, from int, s State) (int, error)

	Close()
}

// Driver dials one kind of client.
type Driver interface {
	Name() string
	Dial(ctx context.Context, servers string, cfg sessionConfig) (Client, error)
	// Lacks says why the client cannot run a check needing f ("" if it can).
	Lacks(f feature) string
}

// feature is something a check needs from a client or from the server.
type feature int

const (
	featPersistentWatch feature = iota + 1 // AddWatch
	featEphemerals                         // GetEphemerals
	featAllChildren                        // GetAllChildrenNumber
	featWhoAmI                             // whoAmI
	featCreateStat                         // Create returns the Stat (create2)
	featServerPaths                        // invalid paths reach the server
	featEventLog                           // one ordered log of every watch event
	featMulti                              // multi
	featSessionResume                      // attach a second connection to a session
	featAuthFailedState                    // AuthFailed ends the session
	featRemoveWatches                      // checkWatches and removeWatches
	featMultiRead                          // multiRead
	featTTL                                // TTL nodes (a server option in ZooKeeper)
	featReconfig                           // reconfig
)

func (f feature) String() string {
	switch f {
	case featPersistentWatch:
		return "addWatch (persistent watches)"
	case featEphemerals:
		return "getEphemerals"
	case featAllChildren:
		return "getAllChildrenNumber"
	case featWhoAmI:
		return "whoAmI"
	case featCreateStat:
		return "create2 stat"
	case featServerPaths:
		return "sending unvalidated paths"
	case featEventLog:
		return "a connection-wide event order"
	case featMulti:
		return "multi"
	case featReconfig:
		return "reconfig"
	case featTTL:
		return "TTL nodes"
	case featMultiRead:
		return "multiRead"
	case featRemoveWatches:
		return "checkWatches/removeWatches"
	case featAuthFailedState:
		return "a terminal AuthFailed state"
	case featSessionResume:
		return "resuming a session by id and password"
	}
	return fmt.Sprintf("feature(%d)", int(f))
}
