package znode

import "github.com/zabkit/zabkit/wire"

// The requests of the error table (see errtable_test.go). Paths start with
// "~", the case's own base node, unless they test the root or /zookeeper.

type step struct {
	op      wire.Op
	path    string
	data    string
	acl     []wire.ACL
	flags   wire.CreateMode
	ttl     int64
	version int32
	watch   bool
	wtype   wire.WatcherType
	mode    wire.AddWatchMode
	creds   string
	ops     []step
	sess    int // the acting session (0 or 1)
}

// as makes session i perform the step.
func as(i int, s step) step {
	s.sess = i
	return s
}

func closeSession() step { return step{op: wire.OpCloseSession} }

var open = OpenACLUnsafe

func create(path string, flags wire.CreateMode) step {
	return step{op: wire.OpCreate, path: path, flags: flags, acl: open}
}
func createACL(path string, acl ...wire.ACL) step {
	return step{op: wire.OpCreate, path: path, acl: acl}
}
func create2(path string, flags wire.CreateMode) step {
	return step{op: wire.OpCreate2, path: path, flags: flags, acl: open}
}
func createTTL(path string, flags wire.CreateMode, ttl int64) step {
	return step{op: wire.OpCreateTTL, path: path, flags: flags, ttl: ttl, acl: open}
}
func container(path string) step {
	return step{op: wire.OpCreateContainer, path: path, flags: wire.ModeContainer, acl: open}
}
func createData(path, data string) step {
	return step{op: wire.OpCreate, path: path, data: data, acl: open}
}
func del(path string, version int32) step {
	return step{op: wire.OpDelete, path: path, version: version}
}
func set(path, data string, version int32) step {
	return step{op: wire.OpSetData, path: path, data: data, version: version}
}
func setACL(path string, version int32, acl ...wire.ACL) step {
	return step{op: wire.OpSetACL, path: path, version: version, acl: acl}
}
func check(path string, version int32) step {
	return step{op: wire.OpCheck, path: path, version: version}
}
func multi(ops ...step) step        { return step{op: wire.OpMulti, ops: ops} }
func get(path string) step          { return step{op: wire.OpGetData, path: path} }
func getW(path string) step         { return step{op: wire.OpGetData, path: path, watch: true} }
func exists(path string) step       { return step{op: wire.OpExists, path: path} }
func existsW(path string) step      { return step{op: wire.OpExists, path: path, watch: true} }
func children(path string) step     { return step{op: wire.OpGetChildren2, path: path} }
func childrenW(path string) step    { return step{op: wire.OpGetChildren2, path: path, watch: true} }
func getACL(path string) step       { return step{op: wire.OpGetACL, path: path} }
func allChildren(path string) step  { return step{op: wire.OpGetAllChildrenNumber, path: path} }
func ephemerals(prefix string) step { return step{op: wire.OpGetEphemerals, path: prefix} }
func auth(creds string) step        { return step{op: wire.OpAuth, creds: creds} }
func addWatch(path string, m wire.AddWatchMode) step {
	return step{op: wire.OpAddWatch, path: path, mode: m}
}
func removeWatches(path string, t wire.WatcherType) step {
	return step{op: wire.OpRemoveWatches, path: path, wtype: t}
}
func checkWatches(path string, t wire.WatcherType) step {
	return step{op: wire.OpCheckWatches, path: path, wtype: t}
}

func digestACL(perms int32, creds string) wire.ACL {
	return wire.ACL{Perms: perms, ID: wire.ID{Scheme: "digest", ID: DigestID(creds)}}
}
func idACL(perms int32, scheme, id string) wire.ACL {
	return wire.ACL{Perms: perms, ID: wire.ID{Scheme: scheme, ID: id}}
}

type errCase struct {
	name  string
	steps []step
}

var errCases = []errCase{
	{"path/no-slash", []step{create("a", 0), set("a", "", -1), del("a", -1), get("a")}},
	{"path/empty", []step{create("", 0), del("", -1), set("", "", -1), get("")}},
	{"path/trailing-slash", []step{create("~/", 0), create("~/a", 0), create("~/a/", 0), set("~/a/", "", -1), del("~/a/", -1), get("~/a/")}},
	{"path/trailing-slash-sequential", []step{create("~/", wire.ModePersistentSequential), children("~")}},
	{"path/empty-segment", []step{create("~//a", 0), create("~/a", 0), create("~/a//b", 0), set("~//a", "", -1)}},
	{"path/dot-segments", []step{create("~/.", 0), create("~/..", 0), create("~/a/../b", 0), create("~/...", 0), create("~/.a", 0), create("~/a.", 0), set("~/.", "", -1)}},
	{"path/nul", []step{create("~/a\x00b", 0), set("~/a\x00b", "", -1), del("~/a\x00b", -1), exists("~/a\x00b"), get("~/a\x00b")}},
	{"path/control-chars", []step{create("~/a\x01", 0), create("~/a\x1f", 0), create("~/a\x7f", 0), create("~/a\u0085", 0), create("~/tab\t", 0)}},
	{"path/unicode", []step{create("~/é", 0), create("~/\u00a0", 0), create("~/\ue000", 0), create("~/\uf8ff", 0), create("~/\uf900", 0), create("~/\ufff0", 0), create("~/\U0001F600", 0), create("~/\xff", 0), children("~")}},
	{"path/root", []step{create("/", 0), del("/", -1), set("/", "", 5), get("/")}},
	{"reserved/zookeeper", []step{create("/zookeeper", 0), del("/zookeeper", -1), del("/zookeeper/quota", -1), del("/zookeeper/config", -1), set("/zookeeper/config", "x", -1), getACL("/zookeeper/config"), children("/zookeeper")}},
	{"reserved/zookeeper-child", []step{create("/zookeeper/znt-x", 0), children("/zookeeper"), del("/zookeeper/znt-x", -1)}},
	{"create/exists", []step{create("~/a", 0), create("~/a", 0), create("~/a", wire.ModeEphemeral), create2("~/a", 0)}},
	{"create/no-parent", []step{create("~/x/y", 0), create("~/x/y", wire.ModeEphemeral), create("~/x/", wire.ModePersistentSequential), container("~/x/y"), createTTL("~/x/y", wire.ModePersistentWithTTL, 100)}},
	{"create/bad-flags", []step{create("~/a", 7), create("~/a", -1), create("~/a", 100), create2("~/a", 7)}},
	{"create/ephemeral-parent", []step{create("~/e", wire.ModeEphemeral), create("~/e/c", 0), create("~/e/c", wire.ModeEphemeral), create("~/e/", wire.ModePersistentSequential), container("~/e/c"), createTTL("~/e/c", wire.ModePersistentWithTTL, 100), create("~/es", wire.ModeEphemeralSequential), children("~")}},
	{"create/create2-stat", []step{create2("~/a", 0), create2("~/a/b", wire.ModeEphemeral), create2("~/a/c", wire.ModePersistentSequential), exists("~/a")}},
	{"create/sequential-names", []step{create("~/s-", wire.ModePersistentSequential), create("~/s-", wire.ModeEphemeralSequential), create("~/p", 0), del("~/p", -1), create("~/s-", wire.ModePersistentSequential), del("~/s-0000000000", -1), create("~/s-", wire.ModePersistentSequential), children("~"), create("~/s-0000000005", 0)}},
	{"create/container", []step{container("~/c"), exists("~/c"), create("~/c/x", 0), children("~/c"), container("~/c"), create("~/c2", wire.ModeContainer), exists("~/c2")}},
	{"create/container-flags", []step{{op: wire.OpCreateContainer, path: "~/c0", acl: open, flags: 0}, exists("~/c0"), {op: wire.OpCreateContainer, path: "~/c1", acl: open, flags: wire.ModeEphemeral}, exists("~/c1")}},
	{"create/ttl", []step{
		createTTL("~/t", wire.ModePersistentWithTTL, 1000), exists("~/t"),
		createTTL("~/ts-", wire.ModePersistentSequentialWithTTL, 1000),
		createTTL("~/t0", wire.ModePersistentWithTTL, 0),
		createTTL("~/tn", wire.ModePersistentWithTTL, -1),
		createTTL("~/tmax", wire.ModePersistentWithTTL, wire.MaxTTL),
		createTTL("~/tbig", wire.ModePersistentWithTTL, wire.MaxTTL+1),
		createTTL("~/tp", wire.ModePersistent, 100),
		createTTL("~/tp0", wire.ModePersistent, 0),
		createTTL("~/te", wire.ModeEphemeral, 100),
		create("~/tc", wire.ModePersistentWithTTL),
		create("~/tc", wire.ModePersistentSequentialWithTTL),
		create("~/t/child", 0),
	}},
	{"delete/errors", []step{del("~/none", -1), create("~/a", 0), create("~/a/b", 0), del("~/a", -1), del("~/a/b", 5), del("~/a/b", 0), del("~/a", 0), del("~/a", -1)}},
	{"delete/bad-path", []step{del("~/a/", -1), del("~//a", -1), del("~/.", -1)}},
	{"setdata/versions", []step{set("~/none", "x", -1), create("~/a", 0), set("~/a", "1", 0), set("~/a", "2", 0), set("~/a", "2", 1), set("~/a", "3", -1), set("~/a", "4", -2), get("~/a"), set("~/bad/", "", -1)}},
	{"setacl/errors", []step{
		setACL("~/none", -1, open...), create("~/a", 0),
		setACL("~/a", 1, open...), setACL("~/a", 0, idACL(wire.PermAll, "world", "anyone")),
		setACL("~/a", 0, idACL(wire.PermRead, "world", "anyone")), setACL("~/a", -1, idACL(wire.PermRead, "world", "anyone")), getACL("~/a"),
		setACL("~/a", -1), setACL("~/none", -1), setACL("~/a/", -1, open...), setACL("~/a", -1, idACL(wire.PermAll, "auth", "")),
		setACL("~/a", -1, idACL(wire.PermAll, "bogus", "x")),
	}},
	// A standalone check that succeeds makes ZooKeeper 3.8 drop the
	// connection (FinalRequestProcessor has no reply for it), so only
	// failing ones are recorded.
	{"check/standalone", []step{check("~/none", -1), create("~/a", 0), check("~/a", 3), check("~/a/", -1)}},
	{"acl/invalid", []step{
		createACL("~/a"),
		createACL("~/a", idACL(wire.PermAll, "world", "bob")),
		createACL("~/a", idACL(wire.PermAll, "super", "")),
		createACL("~/a", idACL(wire.PermAll, "auth", "")),
		createACL("~/a", idACL(wire.PermAll, "sasl", "bob")),
		createACL("~/a", idACL(wire.PermAll, "x509", "CN=bob")),
		createACL("~/a", idACL(wire.PermAll, "digest", "bob")),
		createACL("~/a", idACL(wire.PermAll, "digest", "bob:")),
		createACL("~/a", idACL(wire.PermAll, "digest", "bob:x:y")),
		createACL("~/a", idACL(wire.PermAll, "digest", "bob::x")),
		createACL("~/a", idACL(wire.PermAll, "ip", "1.2.3")),
		createACL("~/a", idACL(wire.PermAll, "ip", "1.2.3.256")),
		createACL("~/a", idACL(wire.PermAll, "ip", "1.2.3.4/33")),
		createACL("~/a", idACL(wire.PermAll, "ip", "1.2.3.4/-1")),
		createACL("~/a", idACL(wire.PermAll, "ip", "1.2.3.4/x")),
		createACL("~/a", idACL(wire.PermAll, "ip", "::1")),
		createACL("~/b1", idACL(wire.PermAll, "digest", ":x")),
		createACL("~/b2", idACL(wire.PermAll, "digest", "bob:x:")),
		createACL("~/b3", idACL(wire.PermAll, "ip", "1.2.3.4/24")),
		createACL("~/b4", idACL(wire.PermAll, "ip", "+1.02.3.-0/+8")),
		createACL("~/b5", idACL(wire.PermAll, "world", "anyone"), idACL(wire.PermAll, "world", "anyone")),
		getACL("~/b5"),
		createACL("~/none/a", idACL(wire.PermAll, "world", "bob")),
	}},
	{"acl/auth-scheme", []step{
		auth("alice:secret"),
		createACL("~/a", idACL(wire.PermAll, "auth", "")), getACL("~/a"),
		createACL("~/b", idACL(wire.PermRead, "auth", "whatever"), idACL(wire.PermAll, "ip", "127.0.0.1")), getACL("~/b"),
		auth("bob:pw"),
		createACL("~/c", idACL(wire.PermAll, "auth", "")), getACL("~/c"),
	}},
	{"acl/digest", []step{
		createACL("~/d", digestACL(wire.PermAll, "alice:secret")),
		get("~/d"), exists("~/d"), children("~/d"), getACL("~/d"), allChildren("~/d"),
		set("~/d", "x", -1), create("~/d/c", 0), setACL("~/d", -1, open...), del("~/d", -1),
		auth("alice:wrong"), get("~/d"),
		auth("alice:secret"), get("~/d"), set("~/d", "x", -1), create("~/d/c", 0), getACL("~/d"), del("~/d/c", -1), del("~/d", -1),
	}},
	{"acl/perms", []step{
		createACL("~/r", idACL(wire.PermRead, "world", "anyone")),
		get("~/r"), set("~/r", "x", -1), create("~/r/c", 0), setACL("~/r", -1, open...), getACL("~/r"),
		createACL("~/w", idACL(wire.PermWrite, "world", "anyone")),
		get("~/w"), set("~/w", "x", -1), exists("~/w"), getACL("~/w"), children("~/w"), check("~/w", -1), multi(check("~/w", -1)),
		createACL("~/c", idACL(wire.PermCreate, "world", "anyone")),
		create("~/c/x", 0), del("~/c/x", -1),
		createACL("~/dl", idACL(wire.PermDelete|wire.PermRead, "world", "anyone")),
		create("~/dl/x", 0),
		createACL("~/a", idACL(wire.PermAdmin, "world", "anyone")),
		getACL("~/a"), setACL("~/a", -1, idACL(wire.PermRead, "world", "anyone")), get("~/a"),
		createACL("~/none0", idACL(0, "world", "anyone")), get("~/none0"), exists("~/none0"), del("~/none0", -1),
	}},
	{"acl/getacl-redaction", []step{
		createACL("~/m", idACL(wire.PermRead, "world", "anyone"), digestACL(wire.PermAll, "alice:secret")),
		getACL("~/m"), auth("alice:secret"), getACL("~/m"),
	}},
	{"acl/ip", []step{
		createACL("~/l", idACL(wire.PermAll, "ip", "127.0.0.1")), get("~/l"),
		createACL("~/n8", idACL(wire.PermAll, "ip", "127.0.0.0/8")), get("~/n8"),
		createACL("~/n0", idACL(wire.PermAll, "ip", "10.0.0.0/0")), get("~/n0"),
		createACL("~/o", idACL(wire.PermAll, "ip", "10.0.0.1")), get("~/o"), set("~/o", "", -1),
		createACL("~/o24", idACL(wire.PermAll, "ip", "127.0.1.0/24")), get("~/o24"),
		createACL("~/o31", idACL(wire.PermAll, "ip", "127.0.0.0/31")), get("~/o31"),
		createACL("~/o32", idACL(wire.PermAll, "ip", "127.0.0.0/32")), get("~/o32"),
	}},
	{"acl/super", []step{
		createACL("~/d", digestACL(wire.PermRead, "alice:secret")),
		set("~/d", "x", -1), auth(superCreds), set("~/d", "x", -1), get("~/d"), create("~/d/c", 0), setACL("~/d", -1, open...), getACL("~/d"), del("~/d/c", -1),
	}},
	{"multi/all-or-nothing", []step{
		create("~/a", 0),
		multi(create("~/b", 0), create("~/a", 0), set("~/a", "x", -1)),
		exists("~/b"), get("~/a"),
		multi(create("~/b", 0), create("~/b/c", 0), set("~/b", "x", 0), check("~/b", 1), del("~/b/c", -1), create2("~/b/d", wire.ModeEphemeral)),
		children("~/b"), get("~/b"),
		multi(del("~/b/d", -1), del("~/b", -1), create("~/b", 0), check("~/b", 0)),
		children("~"),
	}},
	{"multi/errors", []step{
		create("~/a", 0),
		multi(check("~/a", 1)),
		multi(check("~/a", 0), set("~/a", "x", 5), create("~/z", 0)),
		multi(create("~/a/e", wire.ModeEphemeral), create("~/a/e/x", 0)),
		multi(del("~/a", -1), create("~/a/b", 0)),
		multi(create("~/n", 0), del("~/n", -1), del("~/n", -1)),
		multi(create("bad", 0), create("~/q", 0)),
		multi(create("~/q", 0), create("~/q/", 0)),
		multi(create("~/q", 7)),
		multi(createTTL("~/t", wire.ModePersistentWithTTL, 10), container("~/c"), create("~/s", wire.ModePersistentSequential)),
		multi(createACL("~/x", idACL(wire.PermAll, "world", "bob"))),
		multi(createTTL("~/m1", wire.ModePersistent, 100), createTTL("~/m2", wire.ModeContainer, 100), create("~/m3", wire.ModeContainer), create("~/m4", wire.ModePersistentWithTTL)),
		multi(createTTL("~/m1", wire.ModePersistent, 100), createTTL("~/m2", wire.ModeContainer, 100), create("~/m3", wire.ModeContainer)),
		exists("~/m2"), exists("~/m3"),
		multi(del("/zookeeper", -1)),
		multi(),
		children("~"),
	}},
	{"multi/acl", []step{
		createACL("~/r", idACL(wire.PermRead, "world", "anyone")),
		multi(check("~/r", 0), create("~/r/x", 0)),
		multi(set("~/r", "x", -1)),
		multi(create("~/ok", 0), del("~/r", -1)),
		children("~"),
	}},
	{"reconfig", []step{{op: wire.OpReconfig}}},
	{"reads/errors", []step{
		get("~/none"), exists("~/none"), children("~/none"), getACL("~/none"), allChildren("~/none"),
		get("bad"), exists("bad"), children("bad"), getACL("bad"), allChildren("bad"),
		get("~/none/"), get(""), exists(""),
		create("~/a", 0), create("~/a/b", 0), create("~/a/b/c", 0), create("~/a/d", 0),
		allChildren("~"), allChildren("~/a"), allChildren("~/a/b/c"), get("~/a/"), exists("~/a/"),
	}},
	{"ephemerals", []step{
		create("~/p", 0), create("~/p/e1", wire.ModeEphemeral), create("~/p/e2", wire.ModeEphemeralSequential), create("~/q", wire.ModeEphemeral),
		ephemerals("~/p"), ephemerals("~/p/e"), ephemerals("~/q"), ephemerals("~/x"),
		exists("~/q"), del("~/p/e1", -1), ephemerals("~"),
	}},
	{"quota", []step{
		createData("~/q", "ab"), createData("~/q/a", "xyz"), create("~/other", 0),
		create("/zookeeper/quota/znt", 0), create("/zookeeper/quota~", 0), create("/zookeeper/quota~/q", 0),
		createData("/zookeeper/quota~/q/zookeeper_limits", "count=5,bytes=100"),
		createData("/zookeeper/quota~/q/zookeeper_stats", "count=0,bytes=0"),
		get("/zookeeper/quota~/q/zookeeper_stats"),
		createData("~/q/b", "1234"), createData("~/q/b/c", ""), createData("~/other/x", "zzz"),
		get("/zookeeper/quota~/q/zookeeper_stats"),
		set("~/q/a", "x", -1), del("~/q/b/c", -1),
		get("/zookeeper/quota~/q/zookeeper_stats"),
		set("/zookeeper/quota~/q/zookeeper_stats", "count=1,bytes=1=;countHardLimit=7", -1),
		createData("~/q/c", "12"),
		get("/zookeeper/quota~/q/zookeeper_stats"),
		// Garbage in a stats node makes ZooKeeper 3.8 fail the next
		// create below the quota with an exception that stops the server;
		// the tree leaves such a stats node alone (TestQuotaGarbageStats).
		set("/zookeeper/quota~/q/zookeeper_stats", "count=0,bytes=0", -1),
		del("/zookeeper/quota~/q/zookeeper_limits", -1),
		createData("~/q/e", "1"),
		get("/zookeeper/quota~/q/zookeeper_stats"),
	}},
	{"sessions", []step{
		create("~/p", 0), create("~/q", 0),
		as(1, create("~/p/e1", wire.ModeEphemeral)),
		as(1, create("~/q/s-", wire.ModeEphemeralSequential)),
		create("~/p/e0", wire.ModeEphemeral),
		exists("~/p/e1"), exists("~/p/e0"),
		ephemerals("~"), as(1, ephemerals("~")), as(1, ephemerals("~/q")),
		create("~/p/e1/x", 0), as(1, create("~/p/e0/x", 0)),
		getW("~/p/e1"), childrenW("~/p"),
		as(1, existsW("~/p/e0")), as(1, addWatch("~/q", wire.AddWatchPersistentRecursive)),
		set("~/p/e1", "x", -1),
		as(1, set("~/q", "y", -1)),
		del("~/p/e0", -1),
		as(1, del("~/p/e1", 5)),
		// ZooKeeper deletes a closed session's ephemerals in HashSet order,
		// the tree in byte order: only one of them is watched by session 0.
		getW("~/p/e1"), childrenW("~/p"),
		as(1, closeSession()),
		children("~/p"), children("~/q"), ephemerals("~"),
	}},
	{"watches/one-shot", []step{
		create("~/a", 0),
		getW("~/a"), set("~/a", "1", -1), set("~/a", "2", -1),
		existsW("~/b"), create("~/b", 0), create("~/b/x", 0),
		childrenW("~/b"), create("~/b/y", 0), create("~/b/z", 0),
		getW("~/b/y"), childrenW("~/b"), existsW("~/b/y"), del("~/b/y", -1),
		childrenW("~/b/z"), getW("~/b/z"), del("~/b/z", -1),
		childrenW("~/b"), multi(create("~/b/m", 0), set("~/b", "x", -1), del("~/b/m", -1)),
	}},
	{"watches/remove", []step{
		create("~/a", 0),
		removeWatches("~/a", wire.WatcherData), checkWatches("~/a", wire.WatcherAny),
		getW("~/a"), checkWatches("~/a", wire.WatcherData), checkWatches("~/a", wire.WatcherChildren),
		removeWatches("~/a", wire.WatcherChildren), removeWatches("~/a", wire.WatcherData), removeWatches("~/a", wire.WatcherData),
		childrenW("~/a"), removeWatches("~/a", wire.WatcherAny), removeWatches("~/a", wire.WatcherAny),
		existsW("~/nx"), checkWatches("~/nx", wire.WatcherData), removeWatches("~/nx", wire.WatcherAny),
		set("~/a", "x", -1), create("~/a/c", 0),
	}},
	{"watches/persistent", []step{
		create("~/a", 0),
		addWatch("~/a", wire.AddWatchPersistent),
		set("~/a", "1", -1), set("~/a", "2", -1), create("~/a/c", 0), create("~/a/c/d", 0), del("~/a/c/d", -1), del("~/a/c", -1),
		checkWatches("~/a", wire.WatcherData), checkWatches("~/a", wire.WatcherChildren),
		removeWatches("~/a", wire.WatcherData), set("~/a", "3", -1), create("~/a/e", 0),
		removeWatches("~/a", wire.WatcherChildren), create("~/a/f", 0), removeWatches("~/a", wire.WatcherAny),
	}},
	{"watches/recursive", []step{
		create("~/r", 0),
		addWatch("~/r", wire.AddWatchPersistentRecursive),
		create("~/r/a", 0), create("~/r/a/b", 0), set("~/r/a/b", "x", -1), set("~/r", "y", -1), del("~/r/a/b", -1),
		getW("~/r/a"), set("~/r/a", "z", -1), set("~/r/a", "w", -1),
		childrenW("~/r/a"), create("~/r/a/n", 0),
		checkWatches("~/r/a/n", wire.WatcherData), checkWatches("~/r/none", wire.WatcherChildren),
		removeWatches("~/r", wire.WatcherAny), create("~/r/q", 0),
	}},
	{"watches/mode-override", []step{
		create("~/a", 0),
		addWatch("~/a", wire.AddWatchPersistent), getW("~/a"), set("~/a", "1", -1), set("~/a", "2", -1), create("~/a/c", 0), create("~/a/d", 0),
	}},
}
