package wire

import "strconv"

// EventType is the type of a watch event (Watcher.Event.EventType).
type EventType int32

// Event types, with ZooKeeper 3.8's values.
const (
	EventNone                   EventType = -1
	EventNodeCreated            EventType = 1
	EventNodeDeleted            EventType = 2
	EventNodeDataChanged        EventType = 3
	EventNodeChildrenChanged    EventType = 4
	EventDataWatchRemoved       EventType = 5
	EventChildWatchRemoved      EventType = 6
	EventPersistentWatchRemoved EventType = 7
)

// String returns ZooKeeper's name for the event type ("NodeCreated").
func (t EventType) String() string {
	switch t {
	case EventNone:
		return "None"
	case EventNodeCreated:
		return "NodeCreated"
	case EventNodeDeleted:
		return "NodeDeleted"
	case EventNodeDataChanged:
		return "NodeDataChanged"
	case EventNodeChildrenChanged:
		return "NodeChildrenChanged"
	case EventDataWatchRemoved:
		return "DataWatchRemoved"
	case EventChildWatchRemoved:
		return "ChildWatchRemoved"
	case EventPersistentWatchRemoved:
		return "PersistentWatchRemoved"
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// State is a keeper state (Watcher.Event.KeeperState), carried in
// WatcherEvent.State.
type State int32

// Keeper states, with ZooKeeper 3.8's values. StateUnknown and
// StateNoSyncConnected are deprecated in ZooKeeper and never sent by a 3.8
// server.
const (
	StateUnknown           State = -1
	StateDisconnected      State = 0
	StateNoSyncConnected   State = 1
	StateSyncConnected     State = 3
	StateAuthFailed        State = 4
	StateConnectedReadOnly State = 5
	StateSaslAuthenticated State = 6
	StateExpired           State = -112
	StateClosed            State = 7
)

// String returns ZooKeeper's name for the state ("SyncConnected").
func (s State) String() string {
	switch s {
	case StateUnknown:
		return "Unknown"
	case StateDisconnected:
		return "Disconnected"
	case StateNoSyncConnected:
		return "NoSyncConnected"
	case StateSyncConnected:
		return "SyncConnected"
	case StateAuthFailed:
		return "AuthFailed"
	case StateConnectedReadOnly:
		return "ConnectedReadOnly"
	case StateSaslAuthenticated:
		return "SaslAuthenticated"
	case StateExpired:
		return "Expired"
	case StateClosed:
		return "Closed"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// WatcherType selects watches in checkWatches and removeWatches requests
// (Watcher.WatcherType).
type WatcherType int32

// Watcher types, with ZooKeeper 3.8's values.
const (
	WatcherChildren WatcherType = 1
	WatcherData     WatcherType = 2
	WatcherAny      WatcherType = 3
)

// String returns ZooKeeper's name for the watcher type ("Children").
func (w WatcherType) String() string {
	switch w {
	case WatcherChildren:
		return "Children"
	case WatcherData:
		return "Data"
	case WatcherAny:
		return "Any"
	}
	return "WatcherType(" + strconv.Itoa(int(w)) + ")"
}

// AddWatchMode is the mode of an addWatch request (ZooDefs.AddWatchModes).
type AddWatchMode int32

// AddWatch modes, with ZooKeeper 3.8's values.
const (
	AddWatchPersistent          AddWatchMode = 0
	AddWatchPersistentRecursive AddWatchMode = 1
)

// String returns ZooKeeper's name for the mode ("PERSISTENT").
func (m AddWatchMode) String() string {
	switch m {
	case AddWatchPersistent:
		return "PERSISTENT"
	case AddWatchPersistentRecursive:
		return "PERSISTENT_RECURSIVE"
	}
	return "AddWatchMode(" + strconv.Itoa(int(m)) + ")"
}

// Permission bits of an ACL (ZooDefs.Perms).
const (
	PermRead   int32 = 1 << 0
	PermWrite  int32 = 1 << 1
	PermCreate int32 = 1 << 2
	PermDelete int32 = 1 << 3
	PermAdmin  int32 = 1 << 4
	PermAll    int32 = PermRead | PermWrite | PermCreate | PermDelete | PermAdmin
)
