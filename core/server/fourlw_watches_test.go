package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/core/server"
)

// TestFourLetterWatchListings sets known watches from two sessions and
// checks wchs, wchc and wchp list exactly them in ZooKeeper 3.8's formats.
func TestFourLetterWatchListings(t *testing.T) {
	e := single(t)
	addr := e.Servers()
	a, b := dialClient(t, addr), dialClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := a.Create(ctx, "/n", nil, client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := a.ExistsW(ctx, "/missing"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := a.GetW(ctx, "/n"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := b.ChildrenW(ctx, "/n"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := b.ExistsW(ctx, "/missing"); err != nil {
		t.Fatal(err)
	}
	// Replies to a session come after its watch is registered, so the
	// listings below see all four.
	sa, sb := uint64(a.SessionID()), uint64(b.SessionID())
	lo, hi := sa, sb
	paths := "\t/missing\n\t/n\n" // each session watches both
	if lo > hi {
		lo, hi = hi, lo
	}
	want := map[string]string{
		"wchs": "2 connections watching 2 paths\nTotal watches:4\n",
		"wchc": fmt.Sprintf("0x%x\n%s0x%x\n%s\n", lo, paths, hi, paths),
		"wchp": fmt.Sprintf("/missing\n\t0x%x\n\t0x%x\n/n\n\t0x%x\n\t0x%x\n\n", lo, hi, lo, hi),
	}
	for _, cmd := range []string{"wchs", "wchc", "wchp"} {
		if got := server.FourLetter(t, addr, cmd); got != want[cmd] {
			t.Errorf("%s = %q, want %q", cmd, got, want[cmd])
		}
	}
	// Firing a one-shot watch removes it from the listings.
	if _, _, err := b.Create(ctx, "/missing", nil, client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx, "/"); err != nil {
		t.Fatal(err)
	}
	wantP := fmt.Sprintf("/n\n\t0x%x\n\t0x%x\n\n", lo, hi)
	if got := server.FourLetter(t, addr, "wchp"); got != wantP {
		t.Errorf("wchp after /missing fired = %q, want %q", got, wantP)
	}
}
