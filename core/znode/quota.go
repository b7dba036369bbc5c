package znode

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Quota bookkeeping, as ZooKeeper's DataTree keeps it: a subtree P has a
// quota once /zookeeper/quota/P/zookeeper_limits exists; from then on every
// create, delete and setData below P updates the count and byte totals in
// /zookeeper/quota/P/zookeeper_stats (directly: no version, mzxid or
// watch event, as in ZooKeeper). Quotas are not enforced (ZooKeeper's
// default, zookeeper.enforceQuota=false).
const (
	quotaLimitNode = "zookeeper_limits"
	quotaStatNode  = "zookeeper_stats"
)

// quotaTrie is ZooKeeper's PathTrie: paths with a quota, as a trie of
// path components.
type quotaTrie struct {
	root trieNode
}

type trieNode struct {
	parent   *trieNode
	name     string
	children map[string]*trieNode
	quota    bool
}

// trieSplit splits a path into components, dropping blank ones, as
// PathTrie.split.
func trieSplit(path string) []string {
	var out []string
	for _, c := range strings.Split(path, "/") {
		if strings.TrimLeft(c, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ") != "" {
			out = append(out, c)
		}
	}
	return out
}

func (q *quotaTrie) add(path string) {
	n := &q.root
	for _, c := range trieSplit(path) {
		child := n.children[c]
		if child == nil {
			child = &trieNode{parent: n, name: c}
			if n.children == nil {
				n.children = map[string]*trieNode{}
			}
			n.children[c] = child
		}
		n = child
	}
	n.quota = true
}

// remove drops the trie node of path with everything below it, as
// PathTrie.deletePath (a quota on a subtree of path goes too).
func (q *quotaTrie) remove(path string) {
	n := &q.root
	for _, c := range trieSplit(path) {
		n = n.children[c]
		if n == nil {
			return
		}
	}
	if n.parent != nil {
		delete(n.parent.children, n.name)
	}
}

// maxPrefix returns the deepest path with a quota that contains path, or
// "" if there is none (ZooKeeper's getMaxPrefixWithQuota).
func (q *quotaTrie) maxPrefix(path string) string {
	if len(q.root.children) == 0 {
		return ""
	}
	n := &q.root
	var deepest *trieNode
	for _, c := range trieSplit(path) {
		n = n.children[c]
		if n == nil {
			break
		}
		if n.quota {
			deepest = n
		}
	}
	if deepest == nil {
		return ""
	}
	var parts []string
	for m := deepest; m != &q.root; m = m.parent {
		parts = append(parts, m.name)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

// statsTrack is ZooKeeper's StatsTrack: "count=N,bytes=M", with extra
// keys (hard limits) kept and written after an extra "=".
type statsTrack map[string]int64

func parseStatsTrack(b []byte) (statsTrack, bool) {
	st := statsTrack{}
	s := string(b)
	if !utf8.ValidString(s) {
		return nil, false
	}
	if s == "" {
		return st, true
	}
	for _, pair := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		kv := javaSplit(pair, "=")
		if len(kv) < 2 {
			return nil, false
		}
		v := int64(-1)
		if kv[1] != "" {
			var err error
			v, err = strconv.ParseInt(kv[1], 10, 64)
			if err != nil {
				return nil, false
			}
		}
		st[kv[0]] = v
	}
	return st, true
}

func (st statsTrack) get(k string) int64 {
	if v, ok := st[k]; ok {
		return v
	}
	return -1
}

func (st statsTrack) bytes() []byte {
	var b strings.Builder
	b.WriteString("count=" + strconv.FormatInt(st.get("count"), 10))
	b.WriteString(",bytes=" + strconv.FormatInt(st.get("bytes"), 10))
	var keys []string
	for k := range st {
		if k != "count" && k != "bytes" {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		b.WriteByte('=')
		slices.Sort(keys)
		for _, k := range keys {
			b.WriteString(";" + k + "=" + strconv.FormatInt(st[k], 10))
		}
	}
	return []byte(b.String())
}

// quotaCreated is DataTree.createNode's quota part, after the node at path
// (with ppath/name) was added.
func (t *Tree) quotaCreated(path, ppath, name string, dataLen int) {
	if strings.HasPrefix(ppath, QuotaPath) {
		if real := ppath[len(QuotaPath):]; real != "" {
			switch name {
			case quotaLimitNode:
				t.quota.add(real)
			case quotaStatNode:
				t.quotaRecount(real)
			}
		}
	}
	if p := t.quota.maxPrefix(path); p != "" {
		t.quotaUpdate(p, int64(dataLen), 1)
	}
}

// quotaDeleted is DataTree.deleteNode's quota part.
func (t *Tree) quotaDeleted(path, ppath, name string, dataLen int) {
	if name == quotaLimitNode && strings.HasPrefix(ppath, QuotaPath) {
		if real := ppath[len(QuotaPath):]; real != "" {
			t.quota.remove(real)
		}
	}
	if p := t.quota.maxPrefix(path); p != "" {
		t.quotaUpdate(p, -int64(dataLen), -1)
	}
}

// quotaDataChanged is DataTree.setData's quota part.
func (t *Tree) quotaDataChanged(path string, diff int) {
	if p := t.quota.maxPrefix(path); p != "" {
		t.quotaUpdate(p, int64(diff), 0)
	}
}

func quotaStatPath(real string) string { return QuotaPath + real + "/" + quotaStatNode }

// quotaUpdate adds to the totals in the stat node of the quota at prefix
// (DataTree.updateQuotaStat). A stat node whose data does not parse is
// left alone (ZooKeeper would fail the txn with an exception).
func (t *Tree) quotaUpdate(prefix string, bytesDiff, countDiff int64) {
	sp := quotaStatPath(prefix)
	n := t.lookup(sp)
	if n == nil {
		return
	}
	st, ok := parseStatsTrack(n.data)
	if !ok {
		return
	}
	st["count"] = st.get("count") + countDiff
	st["bytes"] = st.get("bytes") + bytesDiff
	t.setRawData(sp, n, st.bytes())
}

// quotaRecount sets the stat node of the quota at real to the count and
// bytes of the subtree (DataTree.updateQuotaForPath).
func (t *Tree) quotaRecount(real string) {
	var count, bytes int64
	if n := t.lookup(real); n != nil {
		walk(real, n, func(_ string, m *node) bool {
			count++
			bytes += int64(len(m.data))
			return true
		})
	}
	sp := quotaStatPath(real)
	if sn := t.lookup(sp); sn != nil {
		t.setRawData(sp, sn, statsTrack{"count": count, "bytes": bytes}.bytes())
	}
}

// setRawData replaces a node's data without touching its Stat, keeping
// the digest right.
func (t *Tree) setRawData(path string, n *node, data []byte) {
	t.preserve(n)
	t.nodeDigest -= t.nodeHash(path, n)
	n.data = data
	t.nodeDigest += t.nodeHash(path, n)
}

// paths returns every path with a quota, in byte order (for snapshots:
// the trie is not derivable from the nodes alone, because removing a quota
// also drops the quotas of its subtrees, as ZooKeeper's PathTrie does).
func (q *quotaTrie) paths() []string {
	var out []string
	var rec func(n *trieNode, prefix string)
	rec = func(n *trieNode, prefix string) {
		if n.quota && n != &q.root {
			out = append(out, prefix)
		}
		for name, c := range n.children {
			rec(c, prefix+"/"+name)
		}
	}
	rec(&q.root, "")
	slices.Sort(out)
	return out
}
