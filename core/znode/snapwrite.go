package znode

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/zabkit/zabkit/wire"
)

// ErrSnapshotClosed reports an Encode of a Snapshot that was closed
// before or while it ran.
var ErrSnapshotClosed = errors.New("znode: snapshot closed")

// snapChunkNodes is how many nodes Encode reads per hold of the lock.
const snapChunkNodes = 1024

// Snapshot is the replicated state of a Tree frozen at one point (see
// BeginSnapshot). Its methods are for one goroutine at a time; Close,
// which takes part in the tree's locking, is the exception described on
// it.
type Snapshot struct {
	t     *Tree
	gen   uint32
	pre   map[*node]*preImage // nil for a live view (Tree.WriteSnapshot)
	chunk int                 // nodes per lock hold

	closed     bool // guarded by the tree's lock
	root       *node
	flags      uint8
	lastZxid   int64
	count      int64
	nodeDigest uint64
	aclNext    aclRef
	acls       []aclList
	sessions   []sessionTimeout
	sorted     bool // acls and sessions sorted
	quota      []string
}

type aclList struct {
	ref aclRef
	acl []wire.ACL // never modified by the cache
}

type sessionTimeout struct {
	id      int64
	timeout int32
}

// BeginSnapshot freezes the tree's replicated state as it is now and
// returns it; Encode then writes exactly the snapshot WriteSnapshot would
// have written at this point, while Apply goes on. Call it with the
// tree's write lock held, like Apply. It costs O(1) in the number of
// nodes: it copies the session table, the ACL cache index and the quota
// paths. Until Close, Apply saves a node's old fields the first time it
// changes that node (see cow.go), so keep a Snapshot open only as long as
// needed. Several snapshots may be open at once.
func (t *Tree) BeginSnapshot() *Snapshot {
	t.snapGen++
	s := t.freeze()
	s.gen = t.snapGen
	s.pre = map[*node]*preImage{}
	t.snaps = append(t.snaps, s)
	return s
}

func (t *Tree) freeze() *Snapshot {
	s := &Snapshot{t: t, chunk: snapChunkNodes, root: t.root, lastZxid: t.lastZxid, count: t.count,
		nodeDigest: t.nodeDigest, aclNext: t.acls.next, quota: t.quota.paths()}
	if t.cfg.ExtendedTypes {
		s.flags |= 1
	}
	s.acls = make([]aclList, 0, len(t.acls.byRef))
	for r, e := range t.acls.byRef {
		s.acls = append(s.acls, aclList{ref: r, acl: e.acl})
	}
	s.sessions = make([]sessionTimeout, 0, len(t.sessions))
	for id, to := range t.sessions {
		s.sessions = append(s.sessions, sessionTimeout{id: id, timeout: to})
	}
	return s
}

// sortTables puts the frozen tables in snapshot order (outside any lock).
func (s *Snapshot) sortTables() {
	if s.sorted {
		return
	}
	s.sorted = true
	slices.SortFunc(s.acls, func(a, b aclList) int { return cmpOrdered(a.ref, b.ref) })
	slices.SortFunc(s.sessions, func(a, b sessionTimeout) int { return cmpOrdered(a.id, b.id) })
}

func cmpOrdered[T aclRef | int64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Zxid returns the last zxid applied before the freeze.
func (s *Snapshot) Zxid() int64 { return s.lastZxid }

// NodeCount returns the number of znodes at the freeze.
func (s *Snapshot) NodeCount() int64 { return s.count }

// Digest returns what Tree.Digest returned at the freeze.
func (s *Snapshot) Digest() uint64 {
	s.sortTables()
	return digestOf(s.nodeDigest, s.sessions)
}

// Close stops the tree from saving old node versions for s and drops
// those it saved; Encode fails with ErrSnapshotClosed afterwards. Call it
// with the tree's write lock held, like Apply: then it may run while
// Encode, holding the read side in turns, is under way, which makes
// Encode return ErrSnapshotClosed (a way to cancel it). It is idempotent.
func (s *Snapshot) Close() {
	if s.closed {
		return
	}
	s.closed = true
	if s.pre == nil {
		return
	}
	s.t.snaps = slices.DeleteFunc(s.t.snaps, func(x *Snapshot) bool { return x == s })
	s.pre = nil
}

// WriteSnapshot writes the whole replicated state of the tree to w: nodes,
// ACL cache, sessions and the last applied zxid, in the format ReadSnapshot
// reads. Watches and prepared changes are not included. The tree must not
// change meanwhile (hold the server's read lock for the whole call); to
// let Apply go on while a snapshot is written, use BeginSnapshot and
// Snapshot.Encode.
func (t *Tree) WriteSnapshot(w io.Writer) error {
	return t.freeze().Encode(context.Background(), w, nil)
}

// Encode writes the snapshot to w in ReadSnapshot's format: byte for byte
// what Tree.WriteSnapshot would have written at the freeze, whatever was
// applied since. It reads the tree in batches of nodes, each under mu (the
// read side of the lock under which Apply and Close run, for example
// (*sync.RWMutex).RLocker()), and calls w.Write only with mu released, so
// writes to the tree wait at most one batch, never for w. A batch reads
// up to 1,024 nodes and lists their children; it ends early after
// listing more than 64, which are sorted outside the lock (a node with a
// million children still makes one batch of a million map reads). A nil
// mu means
// the caller keeps the tree from changing for the whole call. ctx is
// checked between batches. Encode may run several times while s is open.
func (s *Snapshot) Encode(ctx context.Context, w io.Writer, mu sync.Locker) error {
	if err := s.encode(ctx, w, mu); err != nil {
		return fmt.Errorf("znode: write snapshot: %w", err)
	}
	return nil
}

// kid is one child in the frozen view.
type kid struct {
	name string
	n    *node
}

// frame is one level of the pre-order walk: the frozen children of the
// node at path, in byte order once sorted, and the next one to visit.
type frame struct {
	path   string
	kids   []kid
	i      int
	sorted bool
}

// snapEntry is one node read under the lock and encoded after it.
type snapEntry struct {
	path string
	n    node
}

// Frames with at most this many children are sorted under the lock; a
// larger one ends the batch and is sorted after the lock is released.
const sortUnderLock = 64

func (s *Snapshot) encode(ctx context.Context, w io.Writer, mu sync.Locker) error {
	s.sortTables()
	crc := crc32.New(castagnoli)
	out := func(b []byte) error {
		crc.Write(b)
		_, err := w.Write(b)
		return err
	}
	buf := s.appendHeader(make([]byte, 0, 64<<10))
	if err := out(buf); err != nil {
		return err
	}
	var (
		stack   []frame
		entries []snapEntry
		emitted int64
		started bool
	)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if n := len(stack); n > 0 && !stack[n-1].sorted {
			sortKids(stack[n-1].kids)
			stack[n-1].sorted = true
		}
		if mu != nil {
			mu.Lock()
		}
		if s.closed {
			if mu != nil {
				mu.Unlock()
			}
			return ErrSnapshotClosed
		}
		entries = entries[:0]
		if !started {
			started = true
			entries = append(entries, snapEntry{path: "/", n: s.fields(s.root)})
			stack = s.push(stack, "/", s.root)
		}
		stack, entries = s.gather(stack, entries)
		if mu != nil {
			mu.Unlock()
		}
		buf = buf[:0]
		for i := range entries {
			buf = appendEntry(buf, &entries[i])
		}
		emitted += int64(len(entries))
		if len(buf) > 0 {
			if err := out(buf); err != nil {
				return err
			}
		}
		if len(stack) == 0 {
			break
		}
	}
	if emitted != s.count {
		return fmt.Errorf("found %d nodes in the frozen tree, expected %d", emitted, s.count)
	}
	buf = binary.BigEndian.AppendUint32(buf[:0], uint32(len(s.quota)))
	for _, p := range s.quota {
		buf = appendStr(buf, p)
	}
	buf = binary.BigEndian.AppendUint64(buf, digestOf(s.nodeDigest, s.sessions))
	crc.Write(buf)
	buf = binary.BigEndian.AppendUint32(buf, crc.Sum32())
	_, err := w.Write(buf)
	return err
}

// gather walks on, under the lock, until the batch is full, the walk is
// done, or a frame too large to sort under the lock was pushed.
func (s *Snapshot) gather(stack []frame, entries []snapEntry) ([]frame, []snapEntry) {
	for len(stack) > 0 && !stack[len(stack)-1].sorted {
		if len(stack[len(stack)-1].kids) > sortUnderLock {
			return stack, entries
		}
		sortKids(stack[len(stack)-1].kids)
		stack[len(stack)-1].sorted = true
	}
	for len(entries) < s.chunk && len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.i == len(f.kids) {
			stack = stack[:len(stack)-1]
			continue
		}
		k := f.kids[f.i]
		f.kids[f.i] = kid{}
		f.i++
		path := join(f.path, k.name)
		entries = append(entries, snapEntry{path: path, n: s.fields(k.n)})
		stack = s.push(stack, path, k.n)
		if top := &stack[len(stack)-1]; !top.sorted {
			if len(top.kids) > sortUnderLock {
				return stack, entries
			}
			sortKids(top.kids)
			top.sorted = true
		}
	}
	return stack, entries
}

// push adds a frame for n's frozen children, if it has any.
func (s *Snapshot) push(stack []frame, path string, n *node) []frame {
	if ks := s.kids(n); len(ks) > 0 {
		stack = append(stack, frame{path: path, kids: ks})
	}
	return stack
}

// image returns n's pre-image in s, or nil if n is unchanged since the
// freeze. n must have existed at the freeze.
func (s *Snapshot) image(n *node) *preImage {
	if s.pre == nil || n.gen < s.gen {
		return nil
	}
	return s.pre[n]
}

// fields returns n's fields at the freeze.
func (s *Snapshot) fields(n *node) node {
	if p := s.image(n); p != nil {
		return p.n
	}
	c := *n
	c.children = nil
	return c
}

// kids returns n's children at the freeze, unsorted.
func (s *Snapshot) kids(n *node) []kid {
	p := s.image(n)
	if p == nil {
		if len(n.children) == 0 {
			return nil
		}
		ks := make([]kid, 0, len(n.children))
		for name, c := range n.children {
			ks = append(ks, kid{name: name, n: c})
		}
		return ks
	}
	ks := make([]kid, 0, len(n.children)+len(p.removed))
	for name, c := range n.children {
		if _, ok := p.added[name]; ok {
			continue
		}
		if _, ok := p.removed[name]; ok {
			continue
		}
		ks = append(ks, kid{name: name, n: c})
	}
	for name, c := range p.removed {
		ks = append(ks, kid{name: name, n: c})
	}
	return ks
}

func sortKids(ks []kid) {
	slices.SortFunc(ks, func(a, b kid) int { return strings.Compare(a.name, b.name) })
}

func appendStr(b []byte, v string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

// appendData appends a node's data as dat (see snapshot.go): null data
// is the length snapNullData, empty data the length 0.
func appendData(b, v []byte) []byte {
	if v == nil {
		return binary.BigEndian.AppendUint32(b, snapNullData)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

// appendHeader appends everything before the nodes (see the format in
// snapshot.go).
func (s *Snapshot) appendHeader(b []byte) []byte {
	b = append(b, snapMagic...)
	b = append(b, s.flags)
	b = binary.BigEndian.AppendUint64(b, uint64(s.lastZxid))
	b = binary.BigEndian.AppendUint32(b, uint32(s.aclNext))
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.acls)))
	for _, l := range s.acls {
		b = binary.BigEndian.AppendUint32(b, uint32(l.ref))
		b = binary.BigEndian.AppendUint32(b, uint32(len(l.acl)))
		for _, a := range l.acl {
			b = binary.BigEndian.AppendUint32(b, uint32(a.Perms))
			b = appendStr(b, a.ID.Scheme)
			b = appendStr(b, a.ID.ID)
		}
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.sessions)))
	for _, st := range s.sessions {
		b = binary.BigEndian.AppendUint64(b, uint64(st.id))
		b = binary.BigEndian.AppendUint32(b, uint32(st.timeout))
	}
	return binary.BigEndian.AppendUint64(b, uint64(s.count))
}

func appendEntry(b []byte, e *snapEntry) []byte {
	n := &e.n
	b = appendStr(b, e.path)
	b = appendData(b, n.data)
	b = binary.BigEndian.AppendUint32(b, uint32(n.acl))
	for _, v := range [...]int64{n.czxid, n.mzxid, n.pzxid, n.ctime, n.mtime, n.owner} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	b = binary.BigEndian.AppendUint32(b, uint32(n.version))
	b = binary.BigEndian.AppendUint32(b, uint32(n.cversion))
	return binary.BigEndian.AppendUint32(b, uint32(n.aversion))
}
