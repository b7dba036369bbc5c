package znode

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/zabkit/zabkit/wire"
)

var (
	propSeed = flag.Uint64("seed", 0, "seed of the randomized tree tests (0: time-based)")
	propOps  = flag.Int("ops", 3000, "requests per randomized tree test run")
)

func seed(t *testing.T) uint64 {
	s := *propSeed
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -seed %d)", s, s)
	return s
}

// gen produces random write requests over a small path space so that
// they collide: creates of every mode, deletes, setData, setACL, multis,
// session creation and closing.
type gen struct {
	r        *rand.Rand
	sessions []int64
	next     int64
}

var genNames = []string{"a", "b", "c", "d"}

func (g *gen) path() string {
	depth := 1 + g.r.IntN(3)
	p := ""
	for i := 0; i < depth; i++ {
		p += "/" + genNames[g.r.IntN(len(genNames))]
	}
	return p
}

func (g *gen) acl() []wire.ACL {
	switch g.r.IntN(6) {
	case 0:
		return []wire.ACL{digestACL(wire.PermAll, "alice:pw")}
	case 1:
		return []wire.ACL{idACL(wire.PermRead|wire.PermCreate|wire.PermDelete, "world", "anyone")}
	case 2:
		return []wire.ACL{idACL(wire.PermAll, "auth", "")}
	case 3:
		return []wire.ACL{idACL(wire.PermAll, "ip", "127.0.0.0/8"), idACL(wire.PermRead, "world", "anyone")}
	}
	return OpenACLUnsafe
}

func (g *gen) version() int32 { return int32(g.r.IntN(4)) - 1 }

var quotaPaths = []string{
	"/zookeeper/quota/a", "/zookeeper/quota/a/zookeeper_limits", "/zookeeper/quota/a/zookeeper_stats",
	"/zookeeper/quota/a/b", "/zookeeper/quota/a/b/zookeeper_limits", "/zookeeper/quota/a/b/zookeeper_stats",
}

func (g *gen) writeOp() (wire.Op, wire.Record) {
	if g.r.IntN(25) == 0 {
		p := quotaPaths[g.r.IntN(len(quotaPaths))]
		if g.r.IntN(3) == 0 {
			return wire.OpDelete, &wire.DeleteRequest{Path: p, Version: -1}
		}
		return wire.OpCreate, &wire.CreateRequest{Path: p, Data: []byte("count=0,bytes=0"), ACL: OpenACLUnsafe}
	}
	if g.r.IntN(30) == 0 {
		return wire.OpDeleteContainer, &wire.DeleteRequest{Path: g.path(), Version: -1}
	}
	switch g.r.IntN(10) {
	case 0, 1, 2:
		flags := wire.CreateMode(g.r.IntN(5))
		op := wire.OpCreate
		if g.r.IntN(4) == 0 {
			op = wire.OpCreate2
		}
		if flags == wire.ModeContainer {
			op = wire.OpCreateContainer
		}
		return op, &wire.CreateRequest{Path: g.path(), Data: []byte(fmt.Sprint(g.r.IntN(100))), ACL: g.acl(), Flags: int32(flags)}
	case 3:
		return wire.OpCreateTTL, &wire.CreateTTLRequest{Path: g.path(), ACL: OpenACLUnsafe, Flags: int32(wire.ModePersistentWithTTL + wire.CreateMode(g.r.IntN(2))), TTL: 1 + g.r.Int64N(1000)}
	case 4, 5:
		return wire.OpDelete, &wire.DeleteRequest{Path: g.path(), Version: g.version()}
	case 6, 7:
		return wire.OpSetData, &wire.SetDataRequest{Path: g.path(), Data: []byte(fmt.Sprint(g.r.IntN(100))), Version: g.version()}
	case 8:
		return wire.OpSetACL, &wire.SetACLRequest{Path: g.path(), ACL: g.acl(), Version: g.version()}
	}
	return wire.OpCheck, &wire.CheckVersionRequest{Path: g.path(), Version: g.version()}
}

func (g *gen) request(now int64) Request {
	if len(g.sessions) == 0 || g.r.IntN(40) == 0 {
		g.next++
		id := g.next<<8 | 1
		g.sessions = append(g.sessions, id)
		return Request{Session: id, Op: wire.OpCreateSession, Record: &wire.CreateSessionTxn{TimeOut: 4000}}
	}
	sess := g.sessions[g.r.IntN(len(g.sessions))]
	auth := []wire.ID{IPAuth("127.0.0.1")}
	if g.r.IntN(2) == 0 {
		auth = append(auth, DigestAuth("alice:pw", "")...)
	}
	if g.r.IntN(60) == 0 {
		for i, s := range g.sessions {
			if s == sess {
				g.sessions = append(g.sessions[:i], g.sessions[i+1:]...)
				break
			}
		}
		return Request{Session: sess, Op: wire.OpCloseSession}
	}
	if g.r.IntN(8) == 0 {
		m := &wire.MultiRequest{}
		for i := g.r.IntN(4); i >= 0; i-- {
			op, rec := g.writeOp()
			if op == wire.OpSetACL || op == wire.OpDeleteContainer {
				continue
			}
			m.Ops = append(m.Ops, wire.MultiOp{Type: op, Request: rec})
		}
		return Request{Session: sess, Op: wire.OpMulti, Record: m, Auth: auth}
	}
	op, rec := g.writeOp()
	return Request{Session: sess, Op: op, Record: rec, Auth: auth}
}

// verify recomputes from scratch what the tree maintains incrementally
// (node count, digest, ACL reference counts, the ephemeral, container and
// TTL indexes) and fails on any difference.
func verify(t *testing.T, tr *Tree) {
	t.Helper()
	var count int64
	var digest uint64
	refs := map[aclRef]int64{}
	eph := map[int64]map[string]struct{}{}
	containers, ttls := map[string]struct{}{}, map[string]struct{}{}
	walk("/", tr.root, func(p string, n *node) bool {
		count++
		digest += tr.nodeHash(p, n)
		if n.acl != openACLRef {
			refs[n.acl]++
		}
		if n.children != nil && len(n.children) == 0 {
			t.Fatalf("%s: empty children map kept", p)
		}
		switch kindOf(n.owner, tr.cfg.ExtendedTypes) {
		case ownerSession:
			if len(n.children) > 0 {
				t.Fatalf("ephemeral %s has children", p)
			}
			if eph[n.owner] == nil {
				eph[n.owner] = map[string]struct{}{}
			}
			eph[n.owner][p] = struct{}{}
		case ownerContainer:
			containers[p] = struct{}{}
		case ownerTTL:
			ttls[p] = struct{}{}
		}
		return true
	})
	if count != tr.count {
		t.Fatalf("count %d, tree says %d", count, tr.count)
	}
	if digest != tr.nodeDigest {
		t.Fatalf("digest %#x, incremental %#x", digest, tr.nodeDigest)
	}
	if len(refs) != len(tr.acls.byRef) {
		t.Fatalf("%d ACL lists in use, cache holds %d", len(refs), len(tr.acls.byRef))
	}
	for r, c := range refs {
		if e := tr.acls.byRef[r]; e == nil || e.count != c {
			t.Fatalf("ACL %d used %d times, cache entry %+v", r, c, e)
		}
	}
	if !reflect.DeepEqual(eph, tr.ephemerals) && !(len(eph) == 0 && len(tr.ephemerals) == 0) {
		t.Fatalf("ephemeral index %v, nodes say %v", tr.ephemerals, eph)
	}
	if !reflect.DeepEqual(containers, tr.containers) || !reflect.DeepEqual(ttls, tr.ttls) {
		t.Fatalf("container/TTL index mismatch")
	}
}

func snapshotRoundTrip(t *testing.T, tr *Tree) *Tree {
	t.Helper()
	var buf bytes.Buffer
	if err := tr.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSnapshot(bytes.NewReader(buf.Bytes()), tr.Config())
	if err != nil {
		t.Fatal(err)
	}
	if back.Digest() != tr.Digest() || back.LastZxid() != tr.LastZxid() {
		t.Fatalf("restored digest %#x zxid %d, want %#x zxid %d", back.Digest(), back.LastZxid(), tr.Digest(), tr.LastZxid())
	}
	var again bytes.Buffer
	if err := back.WriteSnapshot(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Fatal("snapshot of the restored tree differs from the original snapshot")
	}
	verify(t, back)
	return back
}

// TestReplicasAgree is the determinism property: a leader prepares random
// requests with a pipeline of prepared-but-unapplied txns; a follower
// applies the same txns after a round trip through MarshalTxn; a third
// tree prepares and applies each request at once. All three must produce
// identical txns and results and end with equal digests; a snapshot of
// the follower, restored, keeps applying and ends equal too.
func TestReplicasAgree(t *testing.T) {
	s := seed(t)
	r := rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
	n := *propOps
	if testing.Short() {
		n /= 10
	}
	cfg := Config{ExtendedTypes: true}
	leader, follower, serial := New(cfg), New(cfg), New(cfg)
	g := &gen{r: r}
	var zxid int64
	now := int64(1_700_000_000_000)
	var queue []Txn
	outcomes := map[string]int{}
	flush := func(k int) {
		for len(queue) > k {
			txn := queue[0]
			queue = queue[1:]
			lres, err := leader.Apply(txn)
			if err != nil {
				t.Fatalf("zxid %d: leader apply: %v", txn.Header.Zxid, err)
			}
			ftxn, err := UnmarshalTxn(MarshalTxn(txn))
			if err != nil {
				t.Fatalf("zxid %d: txn round trip: %v", txn.Header.Zxid, err)
			}
			fres, err := follower.Apply(ftxn)
			if err != nil {
				t.Fatalf("zxid %d: follower apply: %v", txn.Header.Zxid, err)
			}
			lres.Events, fres.Events = nil, nil
			if !reflect.DeepEqual(lres, fres) {
				t.Fatalf("zxid %d: leader result %+v, follower %+v", txn.Header.Zxid, lres, fres)
			}
			if leader.Digest() != follower.Digest() {
				t.Fatalf("zxid %d: digests differ", txn.Header.Zxid)
			}
		}
	}
	for i := 0; i < n; i++ {
		req := g.request(now)
		zxid++
		now += int64(r.IntN(50))
		txn, err := leader.Prep(req, zxid, now)
		if err != nil && !isCode(err) {
			t.Fatalf("request %d %v: %v", i, req.Op, err)
		}
		outcomes[req.Op.String()+":"+codeOf(err).String()]++
		stxn, serr := serial.Prep(req, zxid, now)
		if !reflect.DeepEqual(txn, stxn) || (err == nil) != (serr == nil) {
			t.Fatalf("request %d (%v): pipelined prep gave %+v (%v), serial prep %+v (%v)", i, req.Op, txn, err, stxn, serr)
		}
		if _, err := serial.Apply(stxn); err != nil {
			t.Fatal(err)
		}
		queue = append(queue, txn)
		flush(r.IntN(6))
		if r.IntN(500) == 0 {
			flush(0)
			follower = snapshotRoundTrip(t, follower)
			verify(t, leader)
		}
	}
	flush(0)
	verify(t, leader)
	verify(t, follower)
	if leader.PendingCount() != 0 {
		t.Fatalf("%d pending changes left after applying everything", leader.PendingCount())
	}
	if leader.Digest() != follower.Digest() || leader.Digest() != serial.Digest() {
		t.Fatalf("final digests differ: leader %#x follower %#x serial %#x", leader.Digest(), follower.Digest(), serial.Digest())
	}
	snapshotRoundTrip(t, leader)
	t.Logf("%d requests, %d nodes, %d sessions; outcomes %v", n, leader.NodeCount(), len(leader.Sessions()), outcomes)
}

func codeOf(err error) wire.Code {
	if c, ok := err.(wire.Code); ok {
		return c
	}
	return wire.CodeOK
}

func isCode(err error) bool {
	_, ok := err.(wire.Code)
	return ok
}
