package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cenkalti/backoff/v4"
	"github.com/zabkit/zabkit/wire"
)

// fakeTree is a small in-memory znode tree served by a fakeServer: enough
// of create, exists, getChildren2 and delete for CreateProtected. A test
// hook decides, per create, whether the reply is sent (the create is
// always applied first) and may change the node.
type fakeTree struct {
	s     *fakeServer
	mu    sync.Mutex
	nodes map[string]fakeNode // by path; "/" always exists
	seq   int
	log   []string // "create /p", "container /p", "delete /p", "children /p"
	// onCreate runs after a create is applied, with the node's path; it
	// returns false to lose the reply (the connection is closed instead).
	onCreate func(path string, n *fakeNode) bool
}

type fakeNode struct {
	owner     int64
	container bool
	czxid     int64
}

func newFakeTree(s *fakeServer) *fakeTree {
	t := &fakeTree{s: s, nodes: map[string]fakeNode{"/": {}}}
	s.setHandler(t.handle)
	return t
}

func (t *fakeTree) handle(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch hdr.Op {
	case wire.OpCreate2, wire.OpCreateContainer:
		var req wire.CreateRequest
		_ = wire.Unmarshal(body, &req)
		mode := CreateMode(req.Flags)
		if _, ok := t.nodes[parentPath(req.Path)]; !ok {
			fc.reply(hdr.Xid, wire.CodeNoNode, nil)
			return
		}
		p := req.Path
		if mode.IsSequential() {
			t.seq++
			p += fmt.Sprintf("%010d", t.seq)
		}
		if _, ok := t.nodes[p]; ok {
			fc.reply(hdr.Xid, wire.CodeNodeExists, nil)
			return
		}
		n := fakeNode{container: hdr.Op == wire.OpCreateContainer, czxid: int64(100 + len(t.log))}
		if mode.IsEphemeral() {
			n.owner = t.s.sessionID
		}
		kind := "create"
		if n.container {
			kind = "container"
		}
		t.log = append(t.log, kind+" "+p)
		send := t.onCreate == nil || n.container || t.onCreate(p, &n)
		t.nodes[p] = n
		if !send {
			fc.nc.Close() // applied, reply lost
			return
		}
		fc.reply(hdr.Xid, wire.CodeOK, &wire.Create2Response{Path: p, Stat: wire.Stat{Czxid: n.czxid, EphemeralOwner: n.owner}})
	case wire.OpExists:
		var req wire.ExistsRequest
		_ = wire.Unmarshal(body, &req)
		n, ok := t.nodes[req.Path]
		if !ok {
			fc.reply(hdr.Xid, wire.CodeNoNode, nil)
			return
		}
		fc.reply(hdr.Xid, wire.CodeOK, &wire.ExistsResponse{Stat: wire.Stat{Czxid: n.czxid, EphemeralOwner: n.owner}})
	case wire.OpGetChildren2:
		var req wire.GetChildren2Request
		_ = wire.Unmarshal(body, &req)
		if _, ok := t.nodes[req.Path]; !ok {
			fc.reply(hdr.Xid, wire.CodeNoNode, nil)
			return
		}
		t.log = append(t.log, "children "+req.Path)
		fc.reply(hdr.Xid, wire.CodeOK, &wire.GetChildren2Response{Children: t.childrenLocked(req.Path)})
	case wire.OpDelete:
		var req wire.DeleteRequest
		_ = wire.Unmarshal(body, &req)
		if _, ok := t.nodes[req.Path]; !ok {
			fc.reply(hdr.Xid, wire.CodeNoNode, nil)
			return
		}
		t.log = append(t.log, "delete "+req.Path)
		delete(t.nodes, req.Path)
		fc.reply(hdr.Xid, wire.CodeOK, nil)
	default:
		defaultHandle(fc, hdr, body)
	}
}

func (t *fakeTree) childrenLocked(dir string) []string {
	var kids []string
	for p := range t.nodes {
		if p != "/" && parentPath(p) == dir {
			kids = append(kids, p[strings.LastIndexByte(p, '/')+1:])
		}
	}
	slices.Sort(kids)
	return kids
}

func (t *fakeTree) children(dir string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.childrenLocked(dir)
}

func (t *fakeTree) node(p string) (fakeNode, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, ok := t.nodes[p]
	return n, ok
}

// ops returns the logged operations of the given kinds.
func (t *fakeTree) ops(kinds ...string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, l := range t.log {
		if slices.Contains(kinds, l[:strings.IndexByte(l, ' ')]) {
			out = append(out, l)
		}
	}
	return out
}

func (t *fakeTree) mkdir(p string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.nodes[p] = fakeNode{}
}

var fastRetry = WithRetryBackOff(func() backoff.BackOff { return &constBackOff{} })

// TestCreateProtectedCleansUpAfterCtxEnd: the create reaches the server
// but its reply is lost, and the caller's ctx ends meanwhile. The node the
// server made must not be left behind: CreateProtected deletes it on a
// detached context before returning ctx's error.
func TestCreateProtectedCleansUpAfterCtxEnd(t *testing.T) {
	s := newFakeServer(t)
	tree := newFakeTree(s)
	tree.mkdir("/locks")
	ctx, cancel := context.WithCancel(bg(t))
	defer cancel()
	var made string
	tree.onCreate = func(p string, _ *fakeNode) bool {
		made = p
		cancel() // the caller gives up while the reply is in flight ...
		return false
	}
	c := dialFake(t, []*fakeServer{s})
	p, _, err := c.CreateProtected(ctx, "/locks/lock-", nil, ModeEphemeralSequential, nil, fastRetry)
	if !errors.Is(err, context.Canceled) || p != "" {
		t.Fatalf("CreateProtected = %q, %v; want context.Canceled", p, err)
	}
	if made == "" || !IsProtected(made[len("/locks/"):]) {
		t.Fatalf("the server saw no protected create (made %q)", made)
	}
	if kids := tree.children("/locks"); len(kids) != 0 {
		t.Fatalf("orphan left after a failed create: %v", kids)
	}
	if del := tree.ops("delete"); !slices.Equal(del, []string{"delete " + made}) {
		t.Fatalf("deletes = %v, want exactly the created node %s", del, made)
	}
}

// TestCreateProtectedCleanupSparesOthers: a definite failure sends no
// cleanup, and a cleanup deletes only this call's node of this session.
func TestCreateProtectedCleanupSparesOthers(t *testing.T) {
	s := newFakeServer(t)
	tree := newFakeTree(s)
	tree.mkdir("/locks")
	tree.mkdir("/locks/_c_00000000-0000-4000-8000-000000000000-lock-0000000099") // another contender's
	c := dialFake(t, []*fakeServer{s})

	// The parent is missing and no option creates it: a definite failure.
	_, _, err := c.CreateProtected(bg(t), "/none/lock-", nil, ModeEphemeralSequential, nil, fastRetry)
	if !errors.Is(err, ErrNoNode) {
		t.Fatalf("CreateProtected under a missing parent = %v, want ErrNoNode", err)
	}
	if got := tree.ops("children", "delete", "container"); len(got) != 0 {
		t.Fatalf("a definite failure sent %v", got)
	}

	ctx, cancel := context.WithCancel(bg(t))
	defer cancel()
	tree.onCreate = func(string, *fakeNode) bool { cancel(); return false }
	if _, _, err := c.CreateProtected(ctx, "/locks/lock-", nil, ModeEphemeralSequential, nil, fastRetry); !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateProtected = %v, want context.Canceled", err)
	}
	if kids := tree.children("/locks"); !slices.Equal(kids, []string{"_c_00000000-0000-4000-8000-000000000000-lock-0000000099"}) {
		t.Fatalf("children after cleanup = %v, want only the other contender's node", kids)
	}
}

// TestCreateProtectedParentContainers: with WithParentContainers the
// missing ancestors are created as containers, top down, then the node.
func TestCreateProtectedParentContainers(t *testing.T) {
	s := newFakeServer(t)
	tree := newFakeTree(s)
	tree.mkdir("/app")
	c := dialFake(t, []*fakeServer{s})
	p, st, err := c.CreateProtected(bg(t), "/app/locks/x/lock-", []byte("v"), ModeEphemeralSequential, nil,
		WithParentContainers(), fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	got := tree.ops("container", "create")
	want := []string{"container /app/locks", "container /app/locks/x", "create " + p}
	if !slices.Equal(got, want) {
		t.Fatalf("creates = %v, want %v", got, want)
	}
	if !strings.HasPrefix(p, "/app/locks/x/_c_") || StripProtected(p[len("/app/locks/x/"):]) != "lock-0000000001" {
		t.Fatalf("created %q", p)
	}
	if n, ok := tree.node(p); !ok || n.owner != c.SessionID() || st.EphemeralOwner != c.SessionID() {
		t.Fatalf("node %q: %+v %v, stat %+v", p, n, ok, st)
	}
	if n, _ := tree.node("/app"); n.container {
		t.Fatal("the existing /app was recreated")
	}
}

// TestCreateProtectedFindsOnlyOwnNode: after a lost reply a node with the
// call's GUID is taken as the created one only if this session owns it;
// otherwise CreateProtected creates again and leaves that node alone.
func TestCreateProtectedFindsOnlyOwnNode(t *testing.T) {
	for _, tc := range []struct {
		name    string
		owner   int64 // owner the lost create's node ends up with; 0: ours
		creates int
	}{
		{"own session", 0, 1},
		{"other session", 0x9999, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newFakeServer(t)
			tree := newFakeTree(s)
			tree.mkdir("/locks")
			first := ""
			tree.onCreate = func(p string, n *fakeNode) bool {
				if first != "" {
					return true
				}
				first = p
				if tc.owner != 0 {
					n.owner = tc.owner
				}
				return false
			}
			c := dialFake(t, []*fakeServer{s})
			p, st, err := c.CreateProtected(bg(t), "/locks/lock-", nil, ModeEphemeralSequential, nil, fastRetry)
			if err != nil {
				t.Fatal(err)
			}
			creates := tree.ops("create")
			if len(creates) != tc.creates {
				t.Fatalf("%d creates (%v), want %d", len(creates), creates, tc.creates)
			}
			if st.EphemeralOwner != c.SessionID() {
				t.Fatalf("returned %q owned by 0x%x, not this session 0x%x", p, st.EphemeralOwner, c.SessionID())
			}
			if (p == first) != (tc.owner == 0) {
				t.Fatalf("returned %q, first create made %q", p, first)
			}
			if _, ok := tree.node(first); !ok {
				t.Fatalf("node %s of the first create was deleted", first)
			}
			if del := tree.ops("delete"); len(del) != 0 {
				t.Fatalf("a successful create deleted %v", del)
			}
		})
	}
}
