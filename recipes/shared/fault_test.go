package shared

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// Fault: a client incrementing an AtomicLong and watching a Count is cut
// off from the majority (every zktest.Partition kind) long enough for its
// session to expire, while a client on the majority keeps writing; the
// cut-off client renews its session (client.WithSessionRenewal).
// Expectation: the majority's changes succeed during the cut; the
// change the cut-off client started during the cut either succeeds or
// fails with ErrUnknownOutcome or a session error, never applied twice
// (the final value is the successes plus at most that one unknown); after
// healing the cut-off client increments again, and its Watch delivers the
// value the majority wrote while it was away.
func TestFaultSharedPartitioned(t *testing.T) {
	zktest.Partitions(t, func(t *testing.T, p *zktest.Partition) {
		ctx := zktest.Ctx(t)
		root := zktest.Root(t)
		path, countPath := root+"/long", root+"/count"
		ca := p.Dial(t, client.WithSessionRenewal(true))
		cb := zktest.Dial(t)
		a, b := NewAtomicLong(ca, path), NewAtomicLong(cb, path)
		wctx, stop := context.WithCancel(ctx)
		defer stop()
		watch := NewCount(ca, countPath, 0).Watch(wctx)
		if v := zktest.Wait(t, watch, 30*time.Second, "the first count"); v.Value != 0 {
			t.Fatalf("first count %d, want the seed 0", v.Value)
		}
		successes, unknown := int64(0), int64(0)
		for range 3 {
			if _, err := a.Increment(ctx); err != nil {
				t.Fatal(err)
			}
			successes++
		}

		// An ephemeral of the cut-off session tells the majority when the
		// servers expired it.
		marker := root + "/alive"
		if _, _, err := ca.Create(ctx, marker, nil, client.ModeEphemeral, nil); err != nil {
			t.Fatal(err)
		}
		p.Cut(t)
		inflight := make(chan error, 1)
		go func() {
			_, err := a.Increment(ctx)
			inflight <- err
		}()
		for done := 0; done < 5; {
			// The majority's client may have been on the partitioned
			// server ("server" kind): a write in flight there has an
			// unknown outcome, and the client moves to another server.
			switch _, err := b.Increment(ctx); {
			case err == nil:
				successes++
				done++
			case errors.Is(err, ErrUnknownOutcome):
				unknown++
			default:
				t.Fatalf("Increment on the majority during the cut: %v", err)
			}
		}
		if _, err := NewCount(cb, countPath, 0).Set(ctx, 42); err != nil {
			t.Fatal(err)
		}
		for {
			ok, _, ev, err := cb.ExistsW(ctx, marker)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break // the cut-off session expired on the servers
			}
			zktest.Wait(t, ev, 60*time.Second, "the cut-off session to expire")
		}
		p.Heal(t)

		switch err := zktest.Wait(t, inflight, 60*time.Second, "the change started during the cut"); {
		case err == nil:
			successes++
		case errors.Is(err, ErrUnknownOutcome):
			unknown++
		case client.IsSessionLost(err), errors.Is(err, client.ErrConnectionLoss):
			// failed before its write was sent: not applied
		default:
			t.Fatalf("change during the cut: %v", err)
		}
		for attempt := 0; ; attempt++ {
			_, err := a.Increment(ctx)
			if err == nil {
				successes++
				break
			}
			if attempt == 10 || !(client.IsSessionLost(err) || client.IsRetryable(err) || errors.Is(err, ErrUnknownOutcome)) {
				t.Fatalf("Increment after healing: %v", err)
			}
			if errors.Is(err, ErrUnknownOutcome) {
				unknown++
			}
		}
		for v := range watch {
			if v.Value == 42 {
				break
			}
		}
		if wctx.Err() != nil {
			t.Fatal("the cut-off client's Watch ended without the value written during the cut")
		}
		n, err := NewAtomicLong(synced(t, path), path).Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n < successes || n > successes+unknown {
			t.Fatalf("value %d after %d successful increments and %d of unknown outcome", n, successes, unknown)
		}
		t.Logf("value %d: %d successes, %d unknown", n, successes, unknown)
	})
}

// Fault: the session expires. Expectation: with session renewal a Watch
// goes on and delivers what was written while the session was gone, and
// the AtomicLong works on the new session; without renewal the Watch
// ends, and the values (persistent nodes) are intact for other sessions.
func TestFaultSharedSessionExpired(t *testing.T) {
	for _, renew := range []bool{true, false} {
		name := map[bool]string{true: "renewal", false: "no renewal"}[renew]
		t.Run(name, func(t *testing.T) {
			ctx := zktest.Ctx(t)
			root := zktest.Root(t)
			ca := zktest.Dial(t, client.WithSessionRenewal(renew))
			cb := zktest.Dial(t)
			a := NewAtomicLong(ca, root+"/long")
			if _, err := a.Add(ctx, 5); err != nil {
				t.Fatal(err)
			}
			wctx, stop := context.WithCancel(ctx)
			defer stop()
			watch := NewValue(ca, root+"/v", []byte("seed")).Watch(wctx)
			zktest.Wait(t, watch, 30*time.Second, "the first value")

			expire(t, ca)
			if _, err := NewValue(cb, root+"/v", nil).Set(ctx, []byte("while expired")); err != nil {
				t.Fatal(err)
			}
			if !renew {
				for v := range watch {
					t.Logf("value after expiry: %q", v.Value)
				}
				if wctx.Err() != nil {
					t.Fatal("Watch did not end with the Conn")
				}
				if n, err := NewAtomicLong(synced(t, root+"/long"), root+"/long").Get(ctx); err != nil || n != 5 {
					t.Fatalf("value read by another session: %d, %v; want 5", n, err)
				}
				return
			}
			for v := range watch {
				if string(v.Value) == "while expired" {
					break
				}
			}
			if wctx.Err() != nil {
				t.Fatal("Watch ended without the value written while the session was gone")
			}
			r, err := a.Increment(ctx)
			for attempt := 0; err != nil && client.IsSessionLost(err) && attempt < 10; attempt++ {
				r, err = a.Increment(ctx) // issued while the old session was ending
			}
			if err != nil || r.Pre != 5 || r.Post != 6 {
				t.Fatalf("Increment on the new session: %+v, %v", r, err)
			}
		})
	}
}

// expire ends c's current session on the servers and waits until c has
// seen it end (c may go on with a new one).
func expire(t *testing.T, c *client.Conn) {
	t.Helper()
	ctx := zktest.Ctx(t)
	s := c.Session()
	if zktest.External() == "" {
		if err := zktest.InProcess(t).ExpireSession(ctx, s.ID()); err != nil {
			t.Fatal(err)
		}
	} else {
		other, err := client.Dial(ctx, zktest.Servers(t), client.WithSession(s.ID(), c.SessionPassword()))
		if err != nil {
			t.Fatal(err)
		}
		if err := other.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	zktest.Wait(t, s.Done(), 30*time.Second, "the session to end")
}

// Fault: a client moving units between two balances with Atomically is
// cut off from the majority (every zktest.Partition kind) until its
// session expired, while a client on the majority keeps moving units the
// other way. Expectation: the sum of the balances never changes (no
// transaction is half applied); the cut-off client's transaction in flight
// commits, or fails with ErrUnknownOutcome or a session error, and the
// final balance is what the committed moves make, give or take the moves
// of unknown outcome.
func TestFaultAtomicallyPartitioned(t *testing.T) {
	zktest.Partitions(t, func(t *testing.T, p *zktest.Partition) {
		ctx := zktest.Ctx(t)
		root := zktest.Root(t)
		a, b := root+"/a", root+"/b"
		ca := p.Dial(t, client.WithSessionRenewal(true))
		cb := zktest.Dial(t)
		move := func(c *client.Conn, from, to string) error {
			return Atomically(ctx, c, func(ctx context.Context, tx *Tx) error {
				x, err := getLong(ctx, tx, from)
				if err != nil {
					return err
				}
				y, err := getLong(ctx, tx, to)
				if err != nil {
					return err
				}
				if err := tx.Put(ctx, from, longBytes(x-1)); err != nil {
					return err
				}
				return tx.Put(ctx, to, longBytes(y+1))
			})
		}
		if err := Atomically(ctx, cb, func(ctx context.Context, tx *Tx) error {
			if err := tx.Put(ctx, a, longBytes(100)); err != nil {
				return err
			}
			return tx.Put(ctx, b, longBytes(100))
		}); err != nil {
			t.Fatal(err)
		}
		aToB, bToA, unknown := 0, 0, 0
		for range 3 {
			if err := move(ca, a, b); err != nil {
				t.Fatal(err)
			}
			aToB++
		}
		marker := root + "/alive"
		if _, _, err := ca.Create(ctx, marker, nil, client.ModeEphemeral, nil); err != nil {
			t.Fatal(err)
		}
		p.Cut(t)
		inflight := make(chan error, 1)
		go func() { inflight <- move(ca, a, b) }()
		for done := 0; done < 4; {
			switch err := move(cb, b, a); {
			case err == nil:
				bToA++
				done++
			case errors.Is(err, ErrUnknownOutcome):
				unknown++ // the majority's client was on the partitioned server
			default:
				t.Fatalf("move on the majority during the cut: %v", err)
			}
		}
		for {
			ok, _, ev, err := cb.ExistsW(ctx, marker)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			zktest.Wait(t, ev, 60*time.Second, "the cut-off session to expire")
		}
		p.Heal(t)
		switch err := zktest.Wait(t, inflight, 60*time.Second, "the move started during the cut"); {
		case err == nil:
			aToB++
		case errors.Is(err, ErrUnknownOutcome):
			unknown++
		case client.IsSessionLost(err):
		default:
			t.Fatalf("move during the cut: %v", err)
		}
		rc := synced(t, root)
		var bal [2]int64
		for i, path := range []string{a, b} {
			d, _, err := rc.Get(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if bal[i], err = longOf(d); err != nil {
				t.Fatal(err)
			}
		}
		if bal[0]+bal[1] != 200 {
			t.Fatalf("balances %v: the sum changed, a transaction was half applied", bal)
		}
		// Each unknown move went one way or the other by one unit, or not at all.
		want := int64(100 - aToB + bToA)
		if d := bal[0] - want; d < -int64(unknown) || d > int64(unknown) {
			t.Fatalf("balance a %d, want %d ± %d (%d moves a→b, %d b→a committed)", bal[0], want, unknown, aToB, bToA)
		}
		t.Logf("balances %v: %d moves a→b, %d b→a, %d unknown", bal, aToB, bToA, unknown)
	})
}
