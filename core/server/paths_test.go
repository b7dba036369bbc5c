package server_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zabkit/zabkit/core/server"
	"github.com/zabkit/zabkit/wire"
)

// pathOps are the ops TestBadPathsAnswerLikeZooKeeper sends, in the
// order of a pathCase's codes; "createSeq" is a create with the
// persistent-sequential flag (a relative name gets its suffix first).
var pathOps = []string{"create", "delete", "exists", "getData", "setData", "getChildren", "getChildren2",
	"getACL", "setACL", "sync", "check", "createSeq"}

// pathCase is a bad path ("~" stands for a fresh parent that exists) and
// the codes Apache ZooKeeper 3.8.0 answers for it, one letter per op of
// pathOps: B BadArguments, N NoNode, K OK, "-" not sent (it would create
// a node outside the test's parent).
type pathCase struct {
	path  string
	codes string
}

// badPaths: ZooKeeper validates paths fully (PathUtils.validatePath) only
// on setData, setACL, check and, once the parent is found, create; delete
// and exists reject only a NUL or a path without a slash; getData,
// getChildren and getACL answer NoNode, and "" is the root for reads; sync
// does not look at its path. Recorded against ZooKeeper 3.8.0.
var badPaths = []pathCase{
	{"", "BBKKBKKKBKBB"},
	{"a", "BBNNBNNNBKBB"},
	{"a/b", "NNNNBNNNBKBN"},
	{"//", "BNNNBNNNBKBB"},
	{"/.", "BNNNBNNNBKB-"},
	{"/..", "BNNNBNNNBKB-"},
	{"/./", "NNNNBNNNBKBN"},
	{"/../", "NNNNBNNNBKBN"},
	{"~/", "BNNNBNNNBKBK"}, // sequential: ~/0000000000, a valid name
	{"~//", "NNNNBNNNBKBN"},
	{"~//b", "NNNNBNNNBKBN"},
	{"~/.", "BNNNBNNNBKBK"}, // sequential: ~/.0000000001
	{"~/..", "BNNNBNNNBKBK"},
	{"~/./", "NNNNBNNNBKBN"},
	{"~/./a", "NNNNBNNNBKBN"},
	{"~/../a", "NNNNBNNNBKBN"},
	{"~/x/", "NNNNBNNNBKBN"},
	{"~/x/.", "NNNNBNNNBKBN"},
	{"~/a\x00b", "BBBNBNNNBKBB"},
	{"~/a\x01", "BNNNBNNNBKBB"},
	{"~/a\x1f", "BNNNBNNNBKBB"},
	{"~/a\x7f", "BNNNBNNNBKBB"},
	{"~/a\u0085", "BNNNBNNNBKBB"},
	{"~/a\uf000", "BNNNBNNNBKBB"},
	{"~/a\ufff5", "BNNNBNNNBKBB"},
	{"~/a\U0001F600", "BNNNBNNNBKBB"},
	{"~/a\xff", "BNNNBNNNBKBB"},
}

func pathRequest(op, path string) (wire.Op, wire.Record) {
	open := []wire.ACL{{Perms: wire.PermAll, ID: wire.ID{Scheme: "world", ID: "anyone"}}}
	switch op {
	case "create":
		return wire.OpCreate, &wire.CreateRequest{Path: path, ACL: open}
	case "createSeq":
		return wire.OpCreate, &wire.CreateRequest{Path: path, ACL: open, Flags: int32(wire.ModePersistentSequential)}
	case "delete":
		return wire.OpDelete, &wire.DeleteRequest{Path: path, Version: -1}
	case "exists":
		return wire.OpExists, &wire.ExistsRequest{Path: path}
	case "getData":
		return wire.OpGetData, &wire.GetDataRequest{Path: path}
	case "setData":
		return wire.OpSetData, &wire.SetDataRequest{Path: path, Version: -1}
	case "getChildren":
		return wire.OpGetChildren, &wire.GetChildrenRequest{Path: path}
	case "getChildren2":
		return wire.OpGetChildren2, &wire.GetChildren2Request{Path: path}
	case "getACL":
		return wire.OpGetACL, &wire.GetACLRequest{Path: path}
	case "setACL":
		return wire.OpSetACL, &wire.SetACLRequest{Path: path, ACL: open, Version: -1}
	case "sync":
		return wire.OpSync, &wire.SyncRequest{Path: path}
	case "check":
		return wire.OpCheck, &wire.CheckVersionRequest{Path: path, Version: -1}
	}
	panic("unknown op " + op)
}

// checkBadPaths sends every badPaths request on one session at addr and
// returns the codes (keyed "op path"); it fails the test if the server
// closes the connection, and checks that the connection still serves
// afterwards. It removes what it created.
func checkBadPaths(t *testing.T, addr string) map[string]wire.Code {
	t.Helper()
	r, _ := server.NewRawSession(t, addr)
	root := fmt.Sprintf("/zabkit-paths-%d", time.Now().UnixNano())
	xid := int32(0)
	call := func(op wire.Op, rec wire.Record) (wire.Code, []byte) {
		t.Helper()
		xid++
		r.Send(&wire.RequestHeader{Xid: xid, Op: op}, rec)
		h, body, err := r.Reply(xid)
		if err != nil {
			t.Fatalf("%v: connection lost: %v", rec, err)
		}
		return h.Err, body
	}
	op, rec := pathRequest("create", root)
	if code, _ := call(op, rec); code != wire.CodeOK {
		t.Fatalf("create %s: %v", root, code)
	}
	var created []string
	got := map[string]wire.Code{}
	for _, c := range badPaths {
		p := strings.ReplaceAll(c.path, "~", root)
		for i, name := range pathOps {
			if c.codes[i] == '-' {
				continue
			}
			op, rec := pathRequest(name, p)
			code, body := call(op, rec)
			got[name+" "+c.path] = code
			if code == wire.CodeOK && name == "createSeq" {
				var cr wire.CreateResponse
				if err := wire.Unmarshal(body, &cr); err != nil {
					t.Fatal(err)
				}
				created = append(created, cr.Path)
			}
		}
	}
	// The connection survived every bad path and still serves.
	for _, p := range append(created, root) {
		op, rec := pathRequest("delete", p)
		if code, _ := call(op, rec); code != wire.CodeOK {
			t.Errorf("delete %q after the bad paths: %v", p, code)
		}
	}
	return got
}

// TestBadPathsAnswerLikeZooKeeper sends malformed paths for every path op
// as raw frames to a follower of a 3-server cluster: each gets
// ZooKeeper's code (never a closed connection), and the connection stays
// usable. With ZABKIT_ZK_SERVERS set, the same frames go to Apache
// ZooKeeper and the codes are compared.
func TestBadPathsAnswerLikeZooKeeper(t *testing.T) {
	e := startEnsemble(t)
	follower := e.Server((waitServing(t, e) + 1) % 3)
	got := checkBadPaths(t, follower.ClientAddr())
	letter := map[byte]wire.Code{'B': wire.CodeBadArguments, 'N': wire.CodeNoNode, 'K': wire.CodeOK}
	for _, c := range badPaths {
		for i, name := range pathOps {
			if c.codes[i] == '-' {
				continue
			}
			if want, g := letter[c.codes[i]], got[name+" "+c.path]; g != want {
				t.Errorf("%s %q: %v, want %v", name, c.path, g, want)
			}
		}
	}

	servers := os.Getenv("ZABKIT_ZK_SERVERS") // as internal/conformance's TestZooKeeper
	if servers == "" {
		return
	}
	zk := checkBadPaths(t, strings.Split(servers, ",")[0])
	for k, g := range got {
		if zk[k] != g {
			t.Errorf("%q: zabkit %v, Apache ZooKeeper %v", k, g, zk[k])
		}
	}
}
