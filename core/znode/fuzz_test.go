package znode

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"
	"unicode/utf16"

	"github.com/zabkit/zabkit/wire"
)

// javaValidatePath is a literal transcription of PathUtils.validatePath
// over UTF-16 code units, after decoding the bytes as Java's UTF-8 decoder
// does (invalid sequences become U+FFFD). ValidatePath must agree with it.
func javaValidatePath(b string) bool {
	chars := utf16.Encode([]rune(b)) // []rune(b) maps invalid bytes to U+FFFD
	if len(chars) == 0 || chars[0] != '/' {
		return false
	}
	if len(chars) == 1 {
		return true
	}
	if chars[len(chars)-1] == '/' {
		return false
	}
	lastc := uint16('/')
	for i := 1; i < len(chars); lastc, i = chars[i], i+1 {
		c := chars[i]
		switch {
		case c == 0:
			return false
		case c == '/' && lastc == '/':
			return false
		case c == '.' && lastc == '.':
			if chars[i-2] == '/' && (i+1 == len(chars) || chars[i+1] == '/') {
				return false
			}
		case c == '.':
			if chars[i-1] == '/' && (i+1 == len(chars) || chars[i+1] == '/') {
				return false
			}
		case c > 0 && c <= 0x1f, c >= 0x7f && c <= 0x9f, c >= 0xd800 && c <= 0xf8ff, c >= 0xfff0:
			return false
		}
	}
	return true
}

func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"/", "", "a", "/a", "/a/", "//", "/a//b", "/.", "/..", "/...", "/a/./b", "/a/../b", "/.a", "/a.", "/a\x00", "/\x7f", "/\u0085", "/é", "/\ue000", "/\uf8ff", "/\uf900", "/\ufff0", "/\U0001F600", "/\xff", "/a/b/c", "/\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := ValidatePath(p) == nil
		if want := javaValidatePath(p); got != want {
			t.Fatalf("ValidatePath(%q) valid=%v, ZooKeeper's rules say %v", p, got, want)
		}
	})
}

// randomTree builds a tree with a few hundred random changes.
func randomTree(t testing.TB, seed uint64, n int) *Tree {
	r := rand.New(rand.NewPCG(seed, seed+1))
	tr := New(Config{ExtendedTypes: true})
	g := &gen{r: r}
	now := int64(1_700_000_000_000)
	for i := 1; i <= n; i++ {
		txn, err := tr.Prep(g.request(now), int64(i), now+int64(i))
		if err != nil && !isCode(err) {
			t.Fatal(err)
		}
		if _, err := tr.Apply(txn); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

func FuzzReadSnapshot(f *testing.F) {
	var buf bytes.Buffer
	if err := randomTree(f, 1, 300).WriteSnapshot(&buf); err != nil {
		f.Fatal(err)
	}
	snap := buf.Bytes()
	f.Add(snap)
	f.Add(snap[:len(snap)/2])
	f.Add([]byte(snapMagic))
	var empty bytes.Buffer
	if err := New(Config{ExtendedTypes: true}).WriteSnapshot(&empty); err != nil {
		f.Fatal(err)
	}
	f.Add(empty.Bytes())
	v1, err := os.ReadFile("testdata/snapshot-v1.bin")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v1)
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := ReadSnapshot(bytes.NewReader(b), Config{ExtendedTypes: true})
		if err != nil {
			return
		}
		// Whatever loads must be a consistent tree that snapshots back to
		// the same bytes (a v1 snapshot: to a current one that does).
		verify(t, tr)
		var out bytes.Buffer
		if err := tr.WriteSnapshot(&out); err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(b, []byte(snapMagicV1)) {
			b = bytes.Clone(out.Bytes())
			if tr, err = ReadSnapshot(bytes.NewReader(b), Config{ExtendedTypes: true}); err != nil {
				t.Fatalf("a loaded v1 snapshot re-encodes to one that does not load: %v", err)
			}
			verify(t, tr)
			out.Reset()
			if err := tr.WriteSnapshot(&out); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(out.Bytes(), b) {
			t.Fatalf("loaded snapshot re-encodes differently")
		}
	})
}

// FuzzApplyTxn decodes arbitrary bytes as a txn and applies whatever
// decodes to a small tree: no panic, and the tree stays consistent.
func FuzzApplyTxn(f *testing.F) {
	tr := randomTree(f, 2, 200)
	g := &gen{r: rand.New(rand.NewPCG(3, 4))}
	for i := 0; i < 60; i++ {
		txn, err := tr.Prep(g.request(0), int64(1000+i), 5)
		if err != nil && !isCode(err) {
			f.Fatal(err)
		}
		f.Add(MarshalTxn(txn))
	}
	var snap bytes.Buffer
	if err := tr.WriteSnapshot(&snap); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		txn, err := UnmarshalTxn(b)
		if err != nil {
			return
		}
		tree, err := ReadSnapshot(bytes.NewReader(snap.Bytes()), Config{ExtendedTypes: true})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = tree.Apply(txn)
		verifyLoose(t, tree)
	})
}

// verifyLoose is verify without the rule that ephemerals have no
// children: Apply of an arbitrary (not prepared) txn may create one, as
// ZooKeeper's processTxn would.
func verifyLoose(t *testing.T, tr *Tree) {
	t.Helper()
	var count int64
	var digest uint64
	walk("/", tr.root, func(p string, n *node) bool {
		count++
		digest += tr.nodeHash(p, n)
		return true
	})
	if count != tr.count || digest != tr.nodeDigest {
		t.Fatalf("count %d/%d digest %#x/%#x", count, tr.count, digest, tr.nodeDigest)
	}
}

func FuzzUnmarshalTxn(f *testing.F) {
	f.Add(MarshalTxn(Txn{Header: wire.TxnHeader{Type: wire.OpCloseSession}}))
	f.Add(MarshalTxn(Txn{Header: wire.TxnHeader{Type: wire.OpCreate}, Record: &wire.CreateTxn{Path: "/a", ACL: OpenACLUnsafe}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		txn, err := UnmarshalTxn(b)
		if err != nil {
			return
		}
		again, err := UnmarshalTxn(MarshalTxn(txn))
		if err != nil {
			t.Fatalf("re-decoding %+v: %v", txn, err)
		}
		_ = again
	})
}
