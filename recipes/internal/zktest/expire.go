package zktest

import (
	"testing"

	"github.com/zabkit/zabkit/client"
)

// Expire ends c's session on the servers (its current one, or, between an
// expiry and the next session, the next one) the way ZooKeeper's own
// tests do: a second connection resumes the session with its id and
// password and closes it. On the in-process ensemble the leader expires
// the session instead, as if its timeout had passed
// (ensemble.ExpireSession). It returns once c has seen that session end
// (its Session's Done is closed): with WithSessionRenewal c then goes on
// with a new session, without it c is finished.
func Expire(t testing.TB, c *client.Conn) {
	t.Helper()
	ctx := Ctx(t)
	s, err := c.WaitSession(ctx)
	if err != nil {
		t.Fatalf("Expire: no session: %v", err)
	}
	if External() == "" {
		if err := ensembleOf(t).ExpireSession(ctx, s.ID()); err != nil {
			t.Fatalf("Expire: %v", err)
		}
	} else {
		other, err := client.Dial(ctx, Servers(t), client.WithSessionTimeout(SessionTimeout),
			client.WithSession(s.ID(), c.SessionPassword()))
		if err != nil {
			t.Fatalf("Expire: resume session: %v", err)
		}
		if err := other.Close(ctx); err != nil {
			t.Fatalf("Expire: close session: %v", err)
		}
	}
	select {
	case <-s.Done():
	case <-ctx.Done():
		t.Fatalf("Expire: the Conn did not see its session end")
	}
}
