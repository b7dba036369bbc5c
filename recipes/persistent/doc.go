// Package persistent keeps a znode present for as long as its owner runs:
// Curator's PersistentNode (Node) and PersistentTtlNode (TTLNode), with
// their node layouts.
//
//	n, err := persistent.New(conn, "/app/workers/w1", client.ModeEphemeral, []byte("10.0.0.7:80"))
//	if err := n.WaitForInitialCreate(ctx); err != nil { ... }
//	defer n.Close(context.Background()) // deletes the node
//
// # Node
//
// A Node creates its znode in a goroutine of its own, in any create mode
// (persistent, ephemeral, sequential, TTL with WithTTL), its missing
// parents as containers (Curator's creatingParentContainersIfNeeded), and
// with WithProtection under a protected name (parent/_c_<uuid>-name, plus
// the sequence suffix of a sequential mode: Curator's withProtection).
// WaitForInitialCreate is Curator's waitForInitialCreate. Then it watches
// the node and creates it again, with its current data, whenever it is
// missing: deleted by another client, or gone with an expired session.
// Once created, the node keeps its actual path: a sequential node is
// created again under the name it got first, in the non-sequential twin
// of its mode. Curator does the same for an unprotected node; a protected
// one it creates again under a new protected name. Readers of the layout
// should not rely on either.
//
// A node found at the path is taken over (its data set to the Node's, as
// Curator does) when the Node's mode is persistent, or when the node is
// ephemeral and owned by the Conn's current session (a create whose reply
// was lost). For an ephemeral mode, a node owned by any other session is
// never acted upon: not written, not deleted. The Node waits for it to
// go, then creates its own; Curator would take it over. SetData changes
// the data the node is kept with and writes it. Close stops the Node and
// deletes its node (an ephemeral one only if it belongs to the current
// session). A create still in flight when Close ends it may leave a node
// behind without a protected name to find it by: an ephemeral one goes
// with its session, a persistent one stays.
//
// # Connection loss and session expiry
//
// While the Conn is disconnected nothing is done: the node stays on the
// servers (an ephemeral one with its session, for the session timeout).
// The Node's watch is re-registered by the client on the next connection,
// so a node deleted meanwhile is reported then and created again; a
// request that failed with client.ErrConnectionLoss is retried after a
// backoff.
//
// When the session expires, the servers delete its ephemeral nodes. With
// client.WithSessionRenewal(true) the Conn opens a new session and the
// Node creates its ephemeral node again on it, at the same path; if the
// servers have not yet applied the old node's deletion, the Node waits
// for it (the old session's node is never written or deleted), so at any
// moment the node at the path belongs to one session only, and once the
// Node is done it is the current one's. A persistent node is untouched
// by an expiry (the Node checks it again on the new session). Without
// renewal the Conn ends with the session, and so does the Node: Done is
// closed and Err matches ErrStopped and client.ErrSessionExpired.
//
// # TTLNode
//
// A TTLNode is Curator's PersistentTtlNode: a container node at the path
// (kept by a Node, not deleted by Close) with a child named "touch"
// created in mode client.ModePersistentWithTTL and touched (its data set)
// every half TTL. When its owner stops (Close, a crash), the servers
// delete the child once its TTL has passed without a touch, then the
// empty container. Across connection loss and expiry the container is
// kept as by a Node and the touches go on once a session is there; a
// touch missed for longer than the TTL lets the servers delete the child
// and the container, which are then created again. TTL nodes need servers
// with extended types (zookeeper.extendedTypesEnabled=true; zabkit has
// them on by default).
package persistent
