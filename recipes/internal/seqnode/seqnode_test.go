package seqnode

import (
	"slices"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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

func TestValidDir(t *testing.T) {
	for _, d := range []string{"", "a", "/a/", "/a//b"} {
		if ValidDir(d) == nil {
			t.Errorf("ValidDir(%q) accepted", d)
		}
	}
	for _, d := range []string{"/", "/a", "/a/b"} {
		if err := ValidDir(d); err != nil {
			t.Errorf("ValidDir(%q): %v", d, err)
		}
	}
}
