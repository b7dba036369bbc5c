package znode

import (
	"encoding/binary"
	"hash/crc64"
	"slices"
)

var crcTable = crc64.MakeTable(crc64.ECMA)

// mix64 is the splitmix64 finalizer: it spreads a CRC over all 64 bits so
// that summing node hashes does not cancel structure.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func hashString(s string) uint64 {
	return mix64(crc64.Update(0, crcTable, []byte(s)))
}

// emptyDataMark is hashed after the data of a node whose data is empty
// (not null), so the digest tells the two apart. Nodes with null or
// non-empty data hash as they did before the distinction was kept, so
// snapshots written then (which hold no empty data) still verify.
var emptyDataMark = []byte{0xe0}

// nodeHash is the digest contribution of one node: its path, data (null
// and empty data differ), stored Stat fields and ACL content. The tree
// digest is the sum (mod 2^64) of these, so it is updated in O(1) per
// change, as ZooKeeper's NodeHashMap digest.
func (t *Tree) nodeHash(path string, n *node) uint64 {
	var buf [8*6 + 4*3 + 8 + 8]byte
	b := buf[:0]
	b = binary.BigEndian.AppendUint64(b, uint64(n.czxid))
	b = binary.BigEndian.AppendUint64(b, uint64(n.mzxid))
	b = binary.BigEndian.AppendUint64(b, uint64(n.pzxid))
	b = binary.BigEndian.AppendUint64(b, uint64(n.ctime))
	b = binary.BigEndian.AppendUint64(b, uint64(n.mtime))
	b = binary.BigEndian.AppendUint64(b, uint64(n.owner))
	b = binary.BigEndian.AppendUint32(b, uint32(n.version))
	b = binary.BigEndian.AppendUint32(b, uint32(n.cversion))
	b = binary.BigEndian.AppendUint32(b, uint32(n.aversion))
	b = binary.BigEndian.AppendUint64(b, t.acls.hashOf(n.acl))
	b = binary.BigEndian.AppendUint64(b, uint64(len(n.data)))
	h := crc64.Update(0, crcTable, []byte(path))
	h = crc64.Update(h, crcTable, b)
	h = crc64.Update(h, crcTable, n.data)
	if n.data != nil && len(n.data) == 0 {
		h = crc64.Update(h, crcTable, emptyDataMark)
	}
	return mix64(h ^ uint64(len(path)))
}

// Digest returns a 64-bit digest of the tree's replicated state: every
// node (path, data, Stat, ACL) and every session with its timeout. Two
// replicas that applied the same txns from the same state have equal
// digests; the node part is maintained incrementally, so Digest costs
// O(number of sessions). Watches and prepared-but-unapplied changes are
// not part of it.
func (t *Tree) Digest() uint64 {
	ss := make([]sessionTimeout, 0, len(t.sessions))
	for id, to := range t.sessions {
		ss = append(ss, sessionTimeout{id: id, timeout: to})
	}
	slices.SortFunc(ss, func(a, b sessionTimeout) int { return cmpOrdered(a.id, b.id) })
	return digestOf(t.nodeDigest, ss)
}

// digestOf combines the node digest with the sessions, sorted by id.
func digestOf(nodeDigest uint64, sessions []sessionTimeout) uint64 {
	b := make([]byte, 0, 12*len(sessions))
	for _, s := range sessions {
		b = binary.BigEndian.AppendUint64(b, uint64(s.id))
		b = binary.BigEndian.AppendUint32(b, uint32(s.timeout))
	}
	sh := mix64(crc64.Update(uint64(len(sessions)), crcTable, b))
	return mix64(nodeDigest ^ sh)
}
