package server

// Exports for the external test package server_test, whose cluster tests
// run on package ensemble (which imports this package, so they cannot be
// internal tests) but still look inside a server or share this package's
// test helpers.

// HasNode reports whether server s holds path in its local tree (no
// session, no request: the replica's state as it is).
func HasNode(s *Server, path string) bool { return hasNode(s, path) }

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
