package conformance

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// Operations, their error codes and the Stat fields they leave behind.

var opChecks = []check{
	{name: "create-get-stat", run: checkCreateStat},
	{name: "create2-returns-stat", needs: []feature{featCreateStat}, run: checkCreate2},
	{name: "create-errors", run: checkCreateErrors},
	{name: "set-stat-and-errors", run: checkSetData},
	{name: "delete-stat-and-errors", run: checkDelete},
	{name: "children", run: checkChildren},
	{name: "exists-and-reads-on-missing", run: checkMissing},
	{name: "sequential-naming", run: checkSequential},
	{name: "sync", run: checkSync},
	{name: "invalid-paths", needs: []feature{featServerPaths}, run: checkInvalidPaths},
	{name: "system-nodes", run: checkSystemNodes},
	{name: "reconfig-disabled", needs: []feature{featReconfig}, run: checkReconfigDisabled},
}

func checkCreateStat(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	parentBefore := e.stat(c, e.root)

	p := e.p("n")
	got, err := c.Create(ctx, p, []byte("hello"), ModePersistent, OpenACL, 0)
	e.must(err, "create %s", p)
	if got != p {
		t.Errorf("create returned %q, want %q", got, p)
	}
	data, s, err := c.Get(ctx, p)
	e.must(err, "get %s", p)
	if string(data) != "hello" {
		t.Errorf("get data = %q, want %q", data, "hello")
	}
	if s.Czxid <= parentBefore.Czxid || s.Mzxid != s.Czxid || s.Pzxid != s.Czxid {
		t.Errorf("new node zxids: czxid=%#x mzxid=%#x pzxid=%#x; want czxid > parent's %#x and mzxid = pzxid = czxid",
			s.Czxid, s.Mzxid, s.Pzxid, parentBefore.Czxid)
	}
	if s.Ctime == 0 || s.Mtime != s.Ctime {
		t.Errorf("new node times: ctime=%d mtime=%d; want ctime > 0 and mtime = ctime", s.Ctime, s.Mtime)
	}
	want := Stat{Czxid: s.Czxid, Mzxid: s.Czxid, Pzxid: s.Czxid, Ctime: s.Ctime, Mtime: s.Ctime, DataLength: 5}
	if s != want {
		t.Errorf("new node stat = %+v, want %+v", s, want)
	}

	parent := e.stat(c, e.root)
	if parent.Cversion != parentBefore.Cversion+1 || parent.NumChildren != parentBefore.NumChildren+1 ||
		parent.Pzxid != s.Czxid {
		t.Errorf("parent after create: cversion %d→%d numChildren %d→%d pzxid %#x; want +1, +1 and pzxid = child's czxid %#x",
			parentBefore.Cversion, parent.Cversion, parentBefore.NumChildren, parent.NumChildren, parent.Pzxid, s.Czxid)
	}
	if parent.Version != parentBefore.Version || parent.Mzxid != parentBefore.Mzxid {
		t.Errorf("parent data version/mzxid changed by a child create: %+v → %+v", parentBefore, parent)
	}

	// Empty data has zero length (null and empty data differ otherwise:
	// see checks_data.go).
	e.create(c, e.p("empty"), "", ModePersistent)
	if s := e.stat(c, e.p("empty")); s.DataLength != 0 {
		t.Errorf("empty node dataLength = %d", s.DataLength)
	}

	// An ephemeral node is owned by the creating session.
	eph := e.create(c, e.p("eph"), "x", ModeEphemeral)
	if s := e.stat(c, eph); s.EphemeralOwner != c.SessionID() {
		t.Errorf("ephemeral owner = %#x, want session %#x", s.EphemeralOwner, c.SessionID())
	}

	// Container and TTL nodes encode their type in ephemeralOwner inside the
	// server (EphemeralType.java), but clients see 0 (DataNode.copyStat).
	cont, err := c.Create(ctx, e.p("container"), nil, ModeContainer, OpenACL, 0)
	e.must(err, "create container")
	if s := e.stat(c, cont); s.EphemeralOwner != 0 {
		t.Errorf("container ephemeralOwner = %#x, want 0 as clients see it", uint64(s.EphemeralOwner))
	}
	if why := e.lacks(featTTL); why != "" {
		t.Logf("not checking TTL nodes: %s", why)
	} else {
		ttl, err := c.Create(ctx, e.p("ttl"), nil, ModeTTL, OpenACL, ttlForever)
		e.must(err, "create ttl")
		if s := e.stat(c, ttl); s.EphemeralOwner != 0 {
			t.Errorf("ttl ephemeralOwner = %#x, want 0 as clients see it", uint64(s.EphemeralOwner))
		}
	}

	// Large data round-trips (well below jute.maxbuffer).
	big := bytes.Repeat([]byte("0123456789abcdef"), 32*1024) // 512 KiB
	_, err = c.Create(ctx, e.p("big"), big, ModePersistent, OpenACL, 0)
	e.must(err, "create 512KiB node")
	data, s, err = c.Get(ctx, e.p("big"))
	e.must(err, "get big")
	if !bytes.Equal(data, big) || s.DataLength != int32(len(big)) {
		t.Errorf("big node: got %d bytes (dataLength %d), want %d", len(data), s.DataLength, len(big))
	}
}

// creator2 is implemented by drivers whose create returns the Stat
// (create2, createContainer and createTTL replies carry it).
type creator2 interface {
	Create2(ctx context.Context, path string, data []byte, mode Mode, acl []ACL, ttl time.Duration) (string, Stat, error)
}

func checkCreate2(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	cc := c.(creator2)
	for _, tc := range []struct {
		name string
		mode Mode
		ttl  time.Duration
	}{
		{"persistent", ModePersistent, 0},
		{"ephemeral", ModeEphemeral, 0},
		{"sequential-", ModePersistentSequential, 0},
		{"container", ModeContainer, 0},
		{"ttl", ModeTTL, ttlForever},
	} {
		if tc.mode == ModeTTL && e.lacks(featTTL) != "" {
			continue
		}
		p, s, err := cc.Create2(ctx, e.p(tc.name), []byte("abc"), tc.mode, OpenACL, tc.ttl)
		e.must(err, "create %s", tc.name)
		if got := e.stat(c, p); got != s {
			t.Errorf("%s: create returned stat %+v, exists says %+v", tc.name, s, got)
		}
	}
}

func checkCreateErrors(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	p := e.create(c, e.p("a"), "", ModePersistent)

	_, err := c.Create(ctx, p, nil, ModePersistent, OpenACL, 0)
	e.code(err, CodeNodeExists, "create existing node")
	_, err = c.Create(ctx, e.p("missing", "child"), nil, ModePersistent, OpenACL, 0)
	e.code(err, CodeNoNode, "create under missing parent")
	eph := e.create(c, e.p("eph"), "", ModeEphemeral)
	_, err = c.Create(ctx, eph+"/child", nil, ModePersistent, OpenACL, 0)
	e.code(err, CodeNoChildrenForEphemeral, "create under an ephemeral")
	_, err = c.Create(ctx, e.p("noacl"), nil, ModePersistent, nil, 0)
	e.code(err, CodeInvalidACL, "create with an empty ACL")
	if e.lacks(featTTL) == "" {
		_, err = c.Create(ctx, e.p("ttl0"), nil, ModeTTL, OpenACL, 0)
		e.code(err, CodeBadArguments, "create TTL node with ttl 0")
	}

	// A failed create changes nothing.
	s := e.stat(c, e.root)
	if s.NumChildren != 2 {
		t.Errorf("root has %d children after failed creates, want 2", s.NumChildren)
	}
}

func checkSetData(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	p := e.create(c, e.p("n"), "v0", ModePersistent)
	before := e.stat(c, p)

	s1, err := c.Set(ctx, p, []byte("value-1"), 0)
	e.must(err, "set version 0")
	if s1.Version != 1 || s1.Mzxid <= before.Mzxid || s1.Czxid != before.Czxid || s1.Ctime != before.Ctime ||
		s1.Mtime < before.Mtime || s1.DataLength != 7 || s1.Pzxid != before.Pzxid || s1.Cversion != 0 || s1.Aversion != 0 {
		t.Errorf("stat after set: %+v (before %+v); want version 1, mzxid up, czxid/ctime/pzxid kept, dataLength 7", s1, before)
	}
	if _, s, err := c.Get(ctx, p); err != nil || s != s1 {
		t.Errorf("get after set: stat %+v err %v, want the stat set returned %+v", s, err, s1)
	}

	// Same data again still counts as a change; -1 matches any version.
	s2, err := c.Set(ctx, p, []byte("value-1"), -1)
	e.must(err, "set version -1")
	if s2.Version != 2 || s2.Mzxid <= s1.Mzxid {
		t.Errorf("set of identical data: version %d mzxid %#x, want 2 and > %#x", s2.Version, s2.Mzxid, s1.Mzxid)
	}
	_, err = c.Set(ctx, p, []byte("x"), 1)
	e.code(err, CodeBadVersion, "set with stale version")
	_, err = c.Set(ctx, e.p("missing"), []byte("x"), -1)
	e.code(err, CodeNoNode, "set on missing node")

	// Clearing data.
	s3, err := c.Set(ctx, p, nil, 2)
	e.must(err, "set empty data")
	if s3.DataLength != 0 {
		t.Errorf("dataLength after clearing = %d", s3.DataLength)
	}
	data, _, err := c.Get(ctx, p)
	e.must(err, "get")
	if len(data) != 0 {
		t.Errorf("data after clearing = %q", data)
	}
}

func checkDelete(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	p := e.create(c, e.p("n"), "", ModePersistent)
	e.create(c, e.p("n", "kid"), "", ModePersistent)
	parent := e.stat(c, p)

	e.code(c.Delete(ctx, p, -1), CodeNotEmpty, "delete node with a child")
	e.code(c.Delete(ctx, e.p("n", "kid"), 5), CodeBadVersion, "delete with wrong version")
	e.code(c.Delete(ctx, e.p("missing"), -1), CodeNoNode, "delete missing node")
	e.must(c.Delete(ctx, e.p("n", "kid"), 0), "delete with matching version")

	after := e.stat(c, p)
	if after.Cversion != parent.Cversion+1 || after.NumChildren != 0 || after.Pzxid <= parent.Pzxid {
		t.Errorf("parent after child delete: %+v (before %+v); want cversion+1, numChildren 0, pzxid up", after, parent)
	}
	if after.Mzxid != parent.Mzxid || after.Version != parent.Version {
		t.Errorf("child delete changed the parent's data stat: %+v → %+v", parent, after)
	}
	// The delete's zxid orders before anything later.
	later := e.create(c, e.p("later"), "", ModePersistent)
	if ls := e.stat(c, later); ls.Czxid <= after.Pzxid {
		t.Errorf("later create czxid %#x not after the delete's pzxid %#x", ls.Czxid, after.Pzxid)
	}
	e.must(c.Delete(ctx, p, -1), "delete now-empty node")
	if ok, _, err := c.Exists(ctx, p); err != nil || ok {
		t.Errorf("exists after delete = %v, %v", ok, err)
	}
}

func checkChildren(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	want := []string{"a", "b", "c-1", "z"}
	for _, k := range want {
		e.create(c, e.p(k), "", ModePersistent)
	}
	e.create(c, e.p("a", "grandchild"), "", ModePersistent)
	kids, s, err := c.Children(ctx, e.root)
	e.must(err, "children")
	if fmt.Sprint(sorted(kids)) != fmt.Sprint(want) {
		t.Errorf("children = %v, want %v (any order)", kids, want)
	}
	if s.NumChildren != int32(len(want)) {
		t.Errorf("children stat numChildren = %d, want %d", s.NumChildren, len(want))
	}
	kids, _, err = c.Children(ctx, e.p("z"))
	e.must(err, "children of leaf")
	if len(kids) != 0 {
		t.Errorf("children of a leaf = %v", kids)
	}
}

func checkMissing(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	p := e.p("missing")
	ok, s, err := c.Exists(ctx, p)
	if err != nil || ok || s != (Stat{}) {
		t.Errorf("exists on missing node = %v, %+v, %v; want false, zero stat, no error", ok, s, err)
	}
	_, _, err = c.Get(ctx, p)
	e.code(err, CodeNoNode, "get missing")
	_, _, err = c.Children(ctx, p)
	e.code(err, CodeNoNode, "children of missing")
	_, _, err = c.GetACL(ctx, p)
	e.code(err, CodeNoNode, "getACL of missing")
	_, err = c.SetACL(ctx, p, OpenACL, -1)
	e.code(err, CodeNoNode, "setACL of missing")
}

func checkSequential(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	parent := e.create(c, e.p("q"), "", ModePersistent)

	// The suffix is the number of children ever created under the parent, 10
	// digits. ZooKeeper keeps that count as the parent's internal cversion and
	// shows clients cversion = 2*creates - numChildren (creates plus deletes,
	// DataNode.copyStat), so the suffix is (cversion + numChildren) / 2.
	for i := 0; i < 3; i++ {
		s := e.stat(c, parent)
		got, err := c.Create(ctx, parent+"/job-", nil, ModePersistentSequential, OpenACL, 0)
		e.must(err, "create sequential")
		if want := fmt.Sprintf("%s/job-%010d", parent, (s.Cversion+s.NumChildren)/2); got != want {
			t.Errorf("sequential create %d = %q, want %q", i, got, want)
		}
	}
	// A delete bumps the visible cversion but not the sequence counter.
	before := e.stat(c, parent)
	e.must(c.Delete(ctx, parent+"/job-0000000002", -1), "delete")
	if after := e.stat(c, parent); after.Cversion != before.Cversion+1 {
		t.Errorf("cversion after a child delete = %d, want %d", after.Cversion, before.Cversion+1)
	}
	got := e.create(c, parent+"/other-", "", ModeEphemeralSequential)
	if want := parent + "/other-0000000003"; got != want {
		t.Errorf("sequential after a delete = %q, want %q", got, want)
	}
	if s := e.stat(c, parent); (s.Cversion+s.NumChildren)/2 != 4 {
		t.Errorf("parent stat %+v: (cversion+numChildren)/2 = %d, want 4 creates", s, (s.Cversion+s.NumChildren)/2)
	}
	// An empty prefix (path ending in /) names the node by the counter alone.
	got = e.create(c, parent+"/", "", ModePersistentSequential)
	if want := parent + "/0000000004"; got != want {
		t.Errorf("sequential with empty prefix = %q, want %q", got, want)
	}
	// Sequential TTL nodes are numbered the same way.
	if e.lacks(featTTL) == "" {
		got, err := c.Create(ctx, parent+"/ttl-", nil, ModeTTLSequential, OpenACL, ttlForever)
		e.must(err, "create TTL sequential")
		if want := parent + "/ttl-0000000005"; got != want {
			t.Errorf("TTL sequential = %q, want %q", got, want)
		}
	}
	// Sequential creation under the same name never collides.
	if _, err := c.Create(ctx, parent+"/job-", nil, ModePersistentSequential, OpenACL, 0); err != nil {
		t.Errorf("second sequential create with a used prefix: %v", err)
	}
}

func checkSync(t *testing.T, e *env) {
	writer := e.dial()
	reader := e.dial()
	ctx := e.ctx()
	p := e.create(writer, e.p("n"), "v1", ModePersistent)
	_, err := writer.Set(ctx, p, []byte("v2"), -1)
	e.must(err, "set")
	// After sync, a read on any server sees every write committed before it.
	e.must(reader.Sync(ctx, p), "sync")
	data, _, err := reader.Get(ctx, p)
	e.must(err, "get after sync")
	if string(data) != "v2" {
		t.Errorf("read after sync = %q, want v2", data)
	}
	e.must(reader.Sync(ctx, e.p("missing")), "sync on a missing path")
}

func checkInvalidPaths(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	for _, p := range []string{"", "noslash", e.root + "/", e.root + "//x", e.root + "/./x", e.root + "/../x", e.root + "/x\x00y"} {
		_, err := c.Create(ctx, p, nil, ModePersistent, OpenACL, 0)
		e.code(err, CodeBadArguments, "create %q", p)
	}
}

func checkSystemNodes(t *testing.T, e *env) {
	c := e.dial()
	ctx := e.ctx()
	// The root and /zookeeper always exist; /zookeeper holds quota (and config).
	if ok, _, err := c.Exists(ctx, "/"); err != nil || !ok {
		t.Errorf("exists / = %v, %v", ok, err)
	}
	kids, _, err := c.Children(ctx, "/zookeeper")
	e.must(err, "children /zookeeper")
	found := false
	for _, k := range kids {
		found = found || k == "quota"
	}
	if !found {
		t.Errorf("children of /zookeeper = %v, want quota among them", kids)
	}
	// Neither the root nor /zookeeper can be deleted; the root exists.
	e.code(c.Delete(ctx, "/", -1), CodeBadArguments, "delete /")
	e.code(c.Delete(ctx, "/zookeeper", -1), CodeBadArguments, "delete /zookeeper")
	_, err = c.Create(ctx, "/", nil, ModePersistent, OpenACL, 0)
	e.code(err, CodeNodeExists, "create /")
}

// reconfigurer is implemented by drivers that can send reconfig.
type reconfigurer interface {
	Reconfig(ctx context.Context) error
}

// checkReconfigDisabled: dynamic reconfiguration is off unless a server
// sets reconfigEnabled=true (off in scripts/zk-ensemble.sh and in zabkit),
// and a reconfig request is refused with ReconfigDisabled.
func checkReconfigDisabled(t *testing.T, e *env) {
	c := e.dial()
	err := c.(reconfigurer).Reconfig(e.ctx())
	e.code(err, CodeReconfigDisabled, "reconfig")
}
