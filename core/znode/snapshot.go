package znode

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"github.com/zabkit/zabkit/wire"
)

// ErrBadSnapshot reports a snapshot ReadSnapshot cannot load: not a
// snapshot, truncated, corrupt (checksum or digest mismatch), or
// internally inconsistent.
var ErrBadSnapshot = errors.New("znode: bad snapshot")

// Snapshot format (all integers big-endian):
//
//	magic      "ZKSNAP02"
//	flags      u8 (bit 0: Config.ExtendedTypes)
//	lastZxid   i64
//	aclNext    u32
//	nACL       u32, then per list: ref u32, n u32, n × (perms i32, scheme str, id str)
//	nSessions  u32, then per session: id i64, timeout i32
//	nNodes     u64, then per node in pre-order (children in byte order):
//	           path str, data dat, acl u32, czxid mzxid pzxid ctime mtime owner i64,
//	           version cversion aversion i32
//	nQuota     u32, then per path with a quota: path str
//	digest     u64   (Tree.Digest of the written tree)
//	crc        u32   (CRC-32C of everything before it)
//
// str is a u32 length and the bytes. dat is a node's data as jute writes
// a buffer: null data is the length 0xffffffff (-1) and no bytes, empty
// data the length 0, other data its length and bytes.
//
// Snapshots written before null and empty data were told apart start
// with "ZKSNAP01" and are still read: the layout is the same, but their
// dat is a plain u32 length, and a zero length is read as null, the only
// zero-length data those trees held (they stored empty data as null).
// The reserved nodes (/, /zookeeper, /zookeeper/quota, /zookeeper/config)
// are the exception: with zero-length data they are read as empty, as New
// makes them, so a server restarted from such a snapshot holds the same
// tree as one that replayed the same txns from scratch. The digest stored
// in such a snapshot is checked before that, and matches, since the digest
// of a node with null data did not change.
const snapMagic = "ZKSNAP02"

// snapMagicV1 starts a snapshot written before null and empty data were
// told apart (see above).
const snapMagicV1 = "ZKSNAP01"

// snapNullData is the dat length of null data.
const snapNullData = 0xffffffff

// Bounds that keep a corrupt snapshot from making ReadSnapshot allocate
// without limit: lengths above these are errors before any allocation.
const (
	maxSnapString = 1 << 20 // paths, ACL schemes and ids
	maxSnapData   = 1 << 26 // node data (jute.maxbuffer is 1 MiB by default)
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type snapReader struct {
	r   *bufio.Reader
	crc hash.Hash32
	buf [8]byte
	err error
}

func (s *snapReader) read(b []byte) {
	if s.err != nil {
		return
	}
	if _, err := io.ReadFull(s.r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		s.err = err
		return
	}
	s.crc.Write(b)
}
func (s *snapReader) u8() uint8 { s.read(s.buf[:1]); return s.buf[0] }
func (s *snapReader) u32() uint32 {
	s.read(s.buf[:4])
	if s.err != nil {
		return 0
	}
	return binary.BigEndian.Uint32(s.buf[:4])
}
func (s *snapReader) u64() uint64 {
	s.read(s.buf[:8])
	if s.err != nil {
		return 0
	}
	return binary.BigEndian.Uint64(s.buf[:8])
}
func (s *snapReader) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf(format, args...)
	}
}
func (s *snapReader) bytes(limit int, what string) []byte {
	n := s.u32()
	if s.err != nil {
		return nil
	}
	if uint64(n) > uint64(limit) {
		s.fail("%s length %d exceeds %d", what, n, limit)
		return nil
	}
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	s.read(b)
	return b
}
func (s *snapReader) str(what string) string { return string(s.bytes(maxSnapString, what)) }

// data reads a node's data (dat in the format above): nil for null data,
// a non-nil empty slice for empty data. In a v1 snapshot a zero length is
// null.
func (s *snapReader) data(v1 bool) []byte {
	n := s.u32()
	switch {
	case s.err != nil:
		return nil
	case n == snapNullData && !v1:
		return nil
	case n > maxSnapData:
		s.fail("data length %d exceeds %d", n, maxSnapData)
		return nil
	case n == 0 && v1:
		return nil
	case n == 0:
		return []byte{}
	}
	b := make([]byte, n)
	s.read(b)
	return b
}

// ReadSnapshot reads a snapshot written by WriteSnapshot into a new tree
// with the given configuration (which must match the writer's). Any
// malformed input is an error matching ErrBadSnapshot; it never panics and
// never allocates more than the bounds above per item.
func ReadSnapshot(r io.Reader, cfg Config) (*Tree, error) {
	t, err := readSnapshot(r, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSnapshot, err)
	}
	return t, nil
}

func readSnapshot(r io.Reader, cfg Config) (*Tree, error) {
	s := &snapReader{r: bufio.NewReaderSize(r, 64<<10), crc: crc32.New(castagnoli)}
	var magic [len(snapMagic)]byte
	s.read(magic[:])
	if s.err != nil {
		return nil, s.err
	}
	v1 := string(magic[:]) == snapMagicV1
	if string(magic[:]) != snapMagic && !v1 {
		return nil, errors.New("not a znode snapshot")
	}
	flags := s.u8()
	if s.err == nil && (flags&1 != 0) != cfg.ExtendedTypes {
		return nil, fmt.Errorf("snapshot written with ExtendedTypes=%v", flags&1 != 0)
	}
	t := newEmpty(cfg)
	t.lastZxid = int64(s.u64())
	t.acls.next = aclRef(s.u32())
	nACL := s.u32()
	for i := uint32(0); i < nACL && s.err == nil; i++ {
		ref := aclRef(s.u32())
		n := s.u32()
		if s.err != nil {
			break
		}
		if ref == openACLRef || ref >= t.acls.next || t.acls.byRef[ref] != nil {
			s.fail("bad ACL reference %d", ref)
			break
		}
		if n == 0 || n > 1<<16 {
			s.fail("ACL list %d has %d entries", ref, n)
			break
		}
		var acl []wire.ACL
		for j := uint32(0); j < n && s.err == nil; j++ {
			perms := int32(s.u32())
			scheme := s.str("ACL scheme")
			id := s.str("ACL id")
			acl = append(acl, wire.ACL{Perms: perms, ID: wire.ID{Scheme: scheme, ID: id}})
		}
		if s.err != nil {
			break
		}
		key := aclKey(acl)
		if _, dup := t.acls.byKey[key]; dup || isOpenACL(acl) {
			s.fail("duplicate ACL list %d", ref)
			break
		}
		t.acls.byRef[ref] = &aclEntry{acl: acl, key: key, hash: hashString(key)}
		t.acls.byKey[key] = ref
	}
	nSess := s.u32()
	for i := uint32(0); i < nSess && s.err == nil; i++ {
		id := int64(s.u64())
		to := int32(s.u32())
		if _, dup := t.sessions[id]; dup && s.err == nil {
			s.fail("duplicate session %#x", id)
		}
		t.sessions[id] = to
	}
	nNodes := s.u64()
	for i := uint64(0); i < nNodes && s.err == nil; i++ {
		path := s.str("path")
		data := s.data(v1)
		n := &node{data: data, acl: aclRef(s.u32())}
		n.czxid, n.mzxid, n.pzxid = int64(s.u64()), int64(s.u64()), int64(s.u64())
		n.ctime, n.mtime, n.owner = int64(s.u64()), int64(s.u64()), int64(s.u64())
		n.version, n.cversion, n.aversion = int32(s.u32()), int32(s.u32()), int32(s.u32())
		if s.err != nil {
			break
		}
		if n.acl != openACLRef {
			e := t.acls.byRef[n.acl]
			if e == nil {
				s.fail("node %q uses unknown ACL %d", path, n.acl)
				break
			}
			e.count++
		}
		if i == 0 {
			if path != "/" {
				s.fail("first node is %q, not the root", path)
				break
			}
			t.root = n
			t.count = 1
			t.nodeDigest = t.nodeHash("/", n)
			continue
		}
		ppath, name, ok := splitPath(path)
		if !ok || !validPath(path) {
			s.fail("invalid path %q", path)
			break
		}
		parent := t.lookup(ppath)
		if parent == nil {
			s.fail("node %q comes before its parent", path)
			break
		}
		if _, dup := parent.children[name]; dup {
			s.fail("duplicate node %q", path)
			break
		}
		if kindOf(n.owner, cfg.ExtendedTypes) == ownerInvalid {
			s.fail("node %q has invalid ephemeralOwner %#x", path, n.owner)
			break
		}
		t.addChild(parent, ppath, name, n)
	}
	if s.err == nil && t.root == nil {
		s.fail("snapshot has no root")
	}
	if s.err != nil {
		return nil, s.err
	}
	for ref, e := range t.acls.byRef {
		if e.count == 0 {
			delete(t.acls.byRef, ref)
			delete(t.acls.byKey, e.key)
		}
	}
	nQuota := s.u32()
	var last string
	for i := uint32(0); i < nQuota && s.err == nil; i++ {
		p := s.str("quota path")
		if s.err == nil && (!validPath(p) || p == "/" || p <= last) {
			s.fail("bad quota path %q", p)
		}
		t.quota.add(p)
		last = p
	}
	if s.err != nil {
		return nil, s.err
	}
	digest := s.u64()
	sum := s.crc.Sum32()
	crc := s.u32()
	if s.err != nil {
		return nil, s.err
	}
	if crc != sum {
		return nil, fmt.Errorf("checksum mismatch: stored %#x, computed %#x", crc, sum)
	}
	if got := t.Digest(); got != digest {
		return nil, fmt.Errorf("digest mismatch: stored %#x, computed %#x", digest, got)
	}
	if v1 {
		// The reserved nodes' data is empty, as New makes it (see the
		// format above).
		for _, p := range reservedPaths {
			if n := t.lookup(p); n != nil && n.data == nil {
				t.nodeDigest -= t.nodeHash(p, n)
				n.data = []byte{}
				t.nodeDigest += t.nodeHash(p, n)
			}
		}
	}
	return t, nil
}
