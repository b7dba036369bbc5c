package shared

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

func getLong(ctx context.Context, tx *Tx, path string) (int64, error) {
	b, _, err := tx.Get(ctx, path)
	if err != nil {
		return 0, err
	}
	return longOf(b)
}

// Workers on their own sessions move units between two accounts at once,
// each move a transaction reading both balances and writing both.
// Expectation: no move is lost or applied twice: the balances end exactly
// at the number of moves each way, and their sum never changes.
func TestAtomicallyTransfers(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	a, b := root+"/accounts/a", root+"/accounts/b"
	c := zktest.Dial(t)
	if err := Atomically(ctx, c, func(ctx context.Context, tx *Tx) error {
		if err := tx.Put(ctx, a, longBytes(100)); err != nil {
			return err
		}
		return tx.Put(ctx, b, longBytes(100))
	}); err != nil {
		t.Fatal(err)
	}
	const workers, moves = 4, 8
	var wg sync.WaitGroup
	for i := range workers {
		from, to := a, b
		if i%2 == 1 {
			from, to = b, a
		}
		wc := zktest.Dial(t)
		wg.Go(func() {
			for range moves {
				amount := int64(1 + i) // workers 0, 2 move 1 and 3 from a; 1, 3 move 2 and 4 from b
				err := Atomically(ctx, wc, func(ctx context.Context, tx *Tx) error {
					x, err := getLong(ctx, tx, from)
					if err != nil {
						return err
					}
					y, err := getLong(ctx, tx, to)
					if err != nil {
						return err
					}
					if x+y != 200 {
						return nil // an inconsistent read; this attempt cannot commit
					}
					if err := tx.Put(ctx, from, longBytes(x-amount)); err != nil {
						return err
					}
					return tx.Put(ctx, to, longBytes(y+amount))
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	rc := synced(t, root+"/accounts")
	var got [2]int64
	for i, p := range []string{a, b} {
		d, _, err := rc.Get(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if got[i], err = longOf(d); err != nil {
			t.Fatal(err)
		}
	}
	// From a: (1+3)*moves; from b: (2+4)*moves.
	wantA := int64(100 - 4*moves + 6*moves)
	if got[0] != wantA || got[1] != 200-wantA {
		t.Fatalf("balances %v, want [%d %d]", got, wantA, 200-wantA)
	}
}

// A transaction that found a node missing does not commit once another
// client created it: it runs again and sees the node. One that read a
// node does not commit once another client changed it.
func TestAtomicallyRetriesOnConflict(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c, other := zktest.Dial(t), zktest.Dial(t)
	flag, out := root+"/deep/flag", root+"/out"
	runs := 0
	err := Atomically(ctx, c, func(ctx context.Context, tx *Tx) error {
		runs++
		_, exists, err := tx.Get(ctx, flag)
		if err != nil {
			return err
		}
		if runs == 1 {
			// Another client creates the node after this run read it missing.
			if err := zktest.CreateAll(ctx, other, flag, []byte("up")); err != nil {
				return err
			}
		}
		return tx.Put(ctx, out, []byte(map[bool]string{true: "flag seen", false: "no flag"}[exists]))
	})
	if err != nil {
		t.Fatal(err)
	}
	if d, _, err := c.Get(ctx, out); err != nil || string(d) != "flag seen" || runs != 2 {
		t.Fatalf("out %q (%v) after %d runs; want \"flag seen\" after 2", d, err, runs)
	}
	if ok, _, err := c.Exists(ctx, root+"/deep/flag"); err != nil || !ok {
		t.Fatalf("the other client's node: exists %v, %v", ok, err)
	}

	runs = 0
	err = Atomically(ctx, c, func(ctx context.Context, tx *Tx) error {
		runs++
		d, _, err := tx.Get(ctx, flag)
		if err != nil {
			return err
		}
		if runs == 1 {
			if _, err := other.Set(ctx, flag, []byte("down"), client.AnyVersion); err != nil {
				return err
			}
		}
		return tx.Put(ctx, out, d)
	})
	if err != nil {
		t.Fatal(err)
	}
	if d, _, err := c.Get(ctx, out); err != nil || string(d) != "down" || runs != 2 {
		t.Fatalf("out %q (%v) after %d runs; want down after 2", d, err, runs)
	}
}

// Put creates missing parents, Delete removes, a transaction sees its own
// writes, and an error from fn writes nothing.
func TestAtomicallyWritesAndAborts(t *testing.T) {
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	c := zktest.Dial(t)
	if err := Atomically(ctx, c, func(ctx context.Context, tx *Tx) error {
		if err := tx.Put(ctx, root+"/x/y/z", []byte("1")); err != nil {
			return err
		}
		if d, ok, err := tx.Get(ctx, root+"/x/y/z"); err != nil || !ok || string(d) != "1" {
			t.Errorf("own write reads %q, %v, %v", d, ok, err)
		}
		return tx.Put(ctx, root+"/x/w", []byte("2"))
	}); err != nil {
		t.Fatal(err)
	}
	if d, _, err := c.Get(ctx, root+"/x/y/z"); err != nil || string(d) != "1" {
		t.Fatalf("created node: %q, %v", d, err)
	}
	boom := errors.New("boom")
	if err := Atomically(ctx, c, func(ctx context.Context, tx *Tx) error {
		if err := tx.Delete(ctx, root+"/x/w"); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("aborted transaction: %v, want fn's error", err)
	}
	if ok, _, err := c.Exists(ctx, root+"/x/w"); err != nil || !ok {
		t.Fatalf("after an aborted Delete the node exists=%v (%v)", ok, err)
	}
	if err := Atomically(ctx, c, func(ctx context.Context, tx *Tx) error {
		if err := tx.Delete(ctx, root+"/x/y/z"); err != nil {
			return err
		}
		return tx.Delete(ctx, root+"/x/y")
	}); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := c.Exists(ctx, root+"/x/y"); err != nil || ok {
		t.Fatalf("deleted parent exists=%v (%v)", ok, err)
	}
}
