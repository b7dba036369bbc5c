// Package group is group membership with payloads (Curator's GroupMember
// and its node layout): each member keeps an ephemeral node path/id whose
// data is its payload, and reads the group from a cache of path's
// children (recipes/cache).
//
//	m, err := group.Join(ctx, conn, "/app/members", "w1", []byte("10.0.0.7:80"))
//	defer m.Close(context.Background()) // leaves the group
//	for id, payload := range m.Members() { ... }
//	for ev := range m.Listen(ctx) { ... } // members joining, leaving, changing payload
//
// A member that dies without closing leaves the group when the servers
// expire its session (after its session timeout); the others see its node
// deleted. A Java GroupMember and a Go Member on the same path are in the
// same group.
//
// # Connection loss and session expiry
//
// The member's node is a persistent.Node (see that package): while the
// Conn is disconnected the node stays with the session; a node deleted by
// another client is created again. When the session expires the others see
// the member leave; with client.WithSessionRenewal(true) the member's node
// is created again on the new session (so the others see it come back) and
// the cache reads the group again and reports what changed meanwhile
// (EventStale, then the differences and EventSynced). Without renewal the
// Conn ends with the session, and so does the member: Err matches
// ErrStopped and client.ErrSessionExpired, and Members answers from the
// last copy.
package group
