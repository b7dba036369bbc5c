package contend

import (
	"slices"
	"testing"
)

func TestSortOrdersOnSequenceSuffixOnly(t *testing.T) {
	names := []string{
		"_c_ffffffff-0000-4000-8000-000000000000-lock-0000000003",
		"_c_00000000-0000-4000-8000-000000000000-lock-0000000007",
		"lock-0000000001", // unprotected (older Curator)
		"leases",          // not a contender
		"_c_11111111-0000-4000-8000-000000000000-__WRIT__0000000002",
		"_c_22222222-0000-4000-8000-000000000000-__READ__0000000004",
	}
	got := Sort(names, "lock-")
	want := []string{names[2], names[0], names[1]}
	if !slices.Equal(got, want) {
		t.Fatalf("Sort lock- = %v, want %v", got, want)
	}
	got = Sort(names, "__READ__", "__WRIT__")
	want = []string{names[4], names[5]}
	if !slices.Equal(got, want) {
		t.Fatalf("Sort rw = %v, want %v", got, want)
	}
}

// TestFirstGrantsNAndWatchesThePredecessorOnlyForOne: First(1) makes each
// waiter watch the contender just before it (no herd effect); First(n)
// grants the first n and makes the others wait for any change.
func TestFirstGrantsNAndWatchesThePredecessorOnlyForOne(t *testing.T) {
	q := []string{"a", "b", "c", "d"}
	for i, want := range []Decision{{Acquired: true}, {Watch: "a"}, {Watch: "b"}, {Watch: "c"}} {
		if got := First(1)(q, i); got != want {
			t.Errorf("First(1) at %d = %+v, want %+v", i, got, want)
		}
	}
	for i, want := range []Decision{{Acquired: true}, {Acquired: true}, {}, {}} {
		if got := First(2)(q, i); got != want {
			t.Errorf("First(2) at %d = %+v, want %+v", i, got, want)
		}
	}
}
