package conformance

import (
	"context"
	"testing"
)

// Multi: all-or-nothing, one zxid for all, per-op results.

var multiChecks = []check{
	{name: "multi-success", needs: []feature{featMulti}, run: checkMultiSuccess},
	{name: "multi-failure-atomic", needs: []feature{featMulti}, run: checkMultiFailure},
	{name: "multi-read", needs: []feature{featMultiRead}, run: checkMultiRead},
	{name: "multi-check-version", needs: []feature{featMulti}, run: checkMultiCheck},
}

func checkMultiSuccess(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	e.create(c, e.p("old"), "o", ModePersistent)
	q := e.create(c, e.p("q"), "", ModePersistent)
	res, err := c.Multi(ctx,
		Op{Kind: OpCreate, Path: e.p("a"), Data: []byte("A"), ACL: OpenACL},
		Op{Kind: OpCreate, Path: e.p("a", "b"), ACL: OpenACL},
		Op{Kind: OpCreate, Path: q + "/s-", Mode: ModePersistentSequential, ACL: OpenACL},
		Op{Kind: OpSetData, Path: e.p("old"), Data: []byte("new"), Version: 0},
		Op{Kind: OpCheck, Path: e.p("a"), Version: 0},
		Op{Kind: OpDelete, Path: e.p("old"), Version: 1},
	)
	e.must(err, "multi")
	if len(res) != 6 {
		t.Fatalf("multi returned %d results, want 6", len(res))
	}
	for i, r := range res {
		if r.Code != CodeOK {
			t.Errorf("result %d code %d, want 0", i, r.Code)
		}
	}
	if res[0].Path != e.p("a") || res[1].Path != e.p("a", "b") || res[2].Path != q+"/s-0000000000" {
		t.Errorf("create results: %q %q %q", res[0].Path, res[1].Path, res[2].Path)
	}
	// Later ops see earlier ones: the setData result is version 1, and the
	// delete of version 1 succeeded.
	if res[3].Stat == nil || res[3].Stat.Version != 1 {
		t.Errorf("setData result stat = %+v, want version 1", res[3].Stat)
	}
	if ok, _, _ := c.Exists(ctx, e.p("old")); ok {
		t.Errorf("%s still exists after the multi deleted it", e.p("old"))
	}
	// Every op of a multi has the multi's zxid.
	a, b := e.stat(c, e.p("a")), e.stat(c, e.p("a", "b"))
	if a.Czxid != b.Czxid || res[3].Stat.Mzxid != a.Czxid {
		t.Errorf("multi zxids differ: a %#x, a/b %#x, setData %#x", a.Czxid, b.Czxid, res[3].Stat.Mzxid)
	}
	// a/b was created after a inside the multi: a's pzxid is the multi's zxid.
	if a.Pzxid != a.Czxid || a.NumChildren != 1 || a.Cversion != 1 {
		t.Errorf("stat of a = %+v, want pzxid = czxid, one child, cversion 1", a)
	}
	// An empty multi succeeds with no results.
	res, err = c.Multi(ctx)
	if err != nil || len(res) != 0 {
		t.Errorf("empty multi = %v, %v", res, err)
	}
}

func checkMultiFailure(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	e.create(c, e.p("exists"), "x", ModePersistent)
	before := e.stat(c, e.root)

	res, err := c.Multi(ctx,
		Op{Kind: OpCreate, Path: e.p("new"), ACL: OpenACL},
		Op{Kind: OpSetData, Path: e.p("exists"), Data: []byte("changed"), Version: -1},
		Op{Kind: OpCreate, Path: e.p("exists"), ACL: OpenACL}, // fails: NodeExists
		Op{Kind: OpDelete, Path: e.p("exists"), Version: -1},
	)
	e.code(err, CodeNodeExists, "multi with a failing op returns the first failure")
	// Ops before the failure report OK (rolled back), the failing op its
	// code, ops after it RuntimeInconsistency.
	want := []Code{CodeOK, CodeOK, CodeNodeExists, CodeRuntimeInconsistency}
	if len(res) != len(want) {
		t.Fatalf("failed multi returned %d results (%+v), want %d", len(res), res, len(want))
	}
	for i, w := range want {
		if res[i].Code != w {
			t.Errorf("failed multi result %d: code %d, want %d", i, res[i].Code, w)
		}
	}
	// Nothing happened.
	if ok, _, _ := c.Exists(ctx, e.p("new")); ok {
		t.Errorf("a create of a failed multi took effect")
	}
	data, s, err := c.Get(ctx, e.p("exists"))
	e.must(err, "get")
	if string(data) != "x" || s.Version != 0 {
		t.Errorf("a setData of a failed multi took effect: %q version %d", data, s.Version)
	}
	if after := e.stat(c, e.root); after.Cversion != before.Cversion || after.NumChildren != before.NumChildren {
		t.Errorf("parent changed by a failed multi: %+v → %+v", before, after)
	}
}

func checkMultiCheck(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	p := e.create(c, e.p("n"), "", ModePersistent)
	_, err := c.Set(ctx, p, []byte("1"), -1)
	e.must(err, "set")

	res, err := c.Multi(ctx,
		Op{Kind: OpCheck, Path: p, Version: 0},
		Op{Kind: OpCreate, Path: e.p("guarded"), ACL: OpenACL},
	)
	e.code(err, CodeBadVersion, "check with a stale version")
	if len(res) == 2 && (res[0].Code != CodeBadVersion || res[1].Code != CodeRuntimeInconsistency) {
		t.Errorf("results = %+v, want BadVersion then RuntimeInconsistency", res)
	}
	res, err = c.Multi(ctx, Op{Kind: OpCheck, Path: e.p("missing"), Version: -1})
	e.code(err, CodeNoNode, "check of a missing node")
	if len(res) == 1 && res[0].Code != CodeNoNode {
		t.Errorf("result = %+v, want NoNode", res)
	}
	if _, err := c.Multi(ctx, Op{Kind: OpCheck, Path: p, Version: 1}, Op{Kind: OpCreate, Path: e.p("guarded"), ACL: OpenACL}); err != nil {
		t.Errorf("multi with a matching check: %v", err)
	}
	if ok, _, _ := c.Exists(ctx, e.p("guarded")); !ok {
		t.Errorf("guarded create did not happen")
	}
}

// multiReader is implemented by drivers with multiRead (featMultiRead).
type multiReader interface {
	MultiRead(ctx context.Context, paths []string, children []bool) ([]ReadResult, error)
}

// checkMultiRead: unlike multi, multiRead is not atomic; each read
// succeeds or fails on its own and the request as a whole succeeds.
func checkMultiRead(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	a := e.create(c, e.p("a"), "A", ModePersistent)
	e.create(c, a+"/x", "", ModePersistent)
	wo := e.p("write-only")
	_, err := c.Create(ctx, wo, nil, ModePersistent, []ACL{{PermWrite, "world", "anyone"}}, 0)
	e.must(err, "create")
	res, err := c.(multiReader).MultiRead(ctx,
		[]string{a, e.p("missing"), a, wo},
		[]bool{false, false, true, false})
	e.must(err, "multiRead")
	if len(res) != 4 {
		t.Fatalf("multiRead returned %d results, want 4", len(res))
	}
	if res[0].Code != CodeOK || string(res[0].Data) != "A" || res[0].Stat != e.stat(c, a) {
		t.Errorf("getData result = %+v", res[0])
	}
	if res[1].Code != CodeNoNode {
		t.Errorf("getData of a missing node: code %d, want NoNode", res[1].Code)
	}
	if res[2].Code != CodeOK || len(res[2].Children) != 1 || res[2].Children[0] != "x" {
		t.Errorf("getChildren result = %+v", res[2])
	}
	if res[3].Code != CodeNoAuth {
		t.Errorf("getData without READ: code %d, want NoAuth", res[3].Code)
	}
}
