package server

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/storage"
	"github.com/zabkit/zabkit/wire"
)

// Exports for the external test package server_test, whose cluster tests
// run on package ensemble (which imports this package, so they cannot be
// internal tests) but still look inside a server or share this package's
// test helpers.

// DialClient opens a session (10s timeout) to servers, closed at cleanup.
func DialClient(t *testing.T, servers string, opts ...client.Option) *client.Conn {
	t.Helper()
	return dialClient(t, servers, opts...)
}

// WaitFor polls cond until it holds or d has passed (then fails the test).
func WaitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	waitFor(t, d, what, cond)
}

// MustCreate creates a persistent node, retrying across connection loss.
func MustCreate(ctx context.Context, t *testing.T, c *client.Conn, path string) {
	t.Helper()
	mustCreate(ctx, t, c, path)
}

// HasNode reports whether server s holds path in its local tree (no
// session, no request: the replica's state as it is).
func HasNode(s *Server, path string) bool { return hasNode(s, path) }

// NodeData returns the data of path in server s's local tree.
func NodeData(s *Server, path string) (data []byte, ok bool) {
	s.treeMu.RLock()
	defer s.treeMu.RUnlock()
	data, _, ok = s.tree.Node(path)
	return data, ok
}

// LoggedZxid is the zxid of the last entry in s's log as its zab state
// reports it; it runs ahead of State().LastZxid (applied) while a
// proposal waits for its commit.
func LoggedZxid(s *Server) int64 { return int64(s.status.Load().LastZxid) }

// LogRecorder keeps every log record with its attributes; see logRecorder.
type LogRecorder = logRecorder

// NewLogRecorder returns an empty LogRecorder.
func NewLogRecorder() *LogRecorder { return newLogRecorder() }

// Find returns the records whose fields include every key=value of want.
func (h *logRecorder) Find(want map[string]string) []map[string]string { return h.find(want) }

// RawConn is a hand-driven client connection (rawConn).
type RawConn = rawConn

// RawDial opens a raw connection to addr, closed at cleanup.
func RawDial(t *testing.T, addr string) *RawConn { return rawDial(t, addr) }

// NewRawSession opens a raw connection to addr with a new session.
func NewRawSession(t *testing.T, addr string) (*RawConn, wire.ConnectResponse) {
	return newSession(t, addr)
}

// FourLetter sends a four-letter word to addr and returns the answer.
func FourLetter(t *testing.T, addr, cmd string) string { return fourLetter(t, addr, cmd) }

// Send writes one frame of recs; a failure fails the test.
func (r *rawConn) Send(recs ...wire.Record) { r.t.Helper(); r.send(recs...) }

// Connect sends a ConnectRequest and returns the response, or an error
// if the server closed the connection instead.
func (r *rawConn) Connect(req wire.ConnectRequest) (wire.ConnectResponse, error) {
	return r.connect(req)
}

// Reply reads frames until the reply to xid, skipping watch events.
func (r *rawConn) Reply(xid int32) (wire.ReplyHeader, []byte, error) { return r.reply(xid) }

// Call sends one request and returns the reply's code and body.
func (r *rawConn) Call(xid int32, op wire.Op, req wire.Record) (wire.Code, []byte) {
	r.t.Helper()
	return rawCall(r, xid, op, req)
}

// ClosedByServer reports whether the server closed the connection.
func (r *rawConn) ClosedByServer() bool { return r.closedByServer() }

// Conn is the underlying connection, for bytes no record encodes.
func (r *rawConn) Conn() net.Conn { return r.nc }

// EventLog is an ordered record of what the servers of a test did
// (eventLog).
type EventLog = eventLog

// Add records an event.
func (l *eventLog) Add(format string, a ...any) { l.add(format, a...) }

// Index returns the position of the first event equal to ev, or -1.
func (l *eventLog) Index(ev string) int { return l.index(ev) }

// Len is the number of events recorded so far.
func (l *eventLog) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.evs)
}

// IndexFrom returns the position of the first event from position from
// on that starts with prefix, or -1.
func (l *eventLog) IndexFrom(from int, prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := from; i < len(l.evs); i++ {
		if strings.HasPrefix(l.evs[i], prefix) {
			return i
		}
	}
	return -1
}

// SyncGateStore wraps a server's store; its Sync, once armed, blocks until
// the test opens it (syncGateStore).
type SyncGateStore = syncGateStore

// NewSyncGateStore wraps inner, the store of server id; each Sync is
// recorded in ev once it returns.
func NewSyncGateStore(id uint64, ev *EventLog, inner storage.Storage) *SyncGateStore {
	return newSyncGateStore(id, ev, inner)
}

// Arm makes every later Sync block until Open.
func (g *syncGateStore) Arm() { g.arm() }

// Open releases the blocked Syncs and disarms the gate.
func (g *syncGateStore) Open() { g.open() }

// WaitBlocked returns the zxid covered by the next blocked Sync.
func (g *syncGateStore) WaitBlocked(t *testing.T) int64 { t.Helper(); return g.waitBlocked(t) }

// GatedStore wraps a server's store; its next snapshot, once armed, stops
// in the middle of being written until Open (gatedStore).
type GatedStore = gatedStore

// NewGatedStore wraps inner.
func NewGatedStore(inner storage.Storage) *GatedStore { return newGatedStore(inner) }

// Open releases the stopped snapshot (and every later one).
func (g *gatedStore) Open() { g.open() }

// ArmAndWrite arms the store and writes through c until the armed
// snapshot has started.
func (g *gatedStore) ArmAndWrite(ctx context.Context, t *testing.T, c *client.Conn) {
	t.Helper()
	g.armAndWrite(ctx, t, c)
}

// Saved receives the armed snapshot's SaveSnapshot result.
func (g *gatedStore) Saved() <-chan error { return g.saved }
