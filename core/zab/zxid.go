package zab

import "fmt"

// Zxid is a ZooKeeper transaction id: the epoch of the leader that proposed
// the transaction in the high 32 bits and a counter, contiguous from 1 within
// that epoch, in the low 32 bits. Zxid 0 means "nothing".
type Zxid uint64

// MakeZxid returns the zxid with the given epoch and counter.
func MakeZxid(epoch, counter uint32) Zxid { return Zxid(uint64(epoch)<<32 | uint64(counter)) }

// Epoch returns the epoch half of z.
func (z Zxid) Epoch() uint32 { return uint32(z >> 32) }

// Counter returns the counter half of z.
func (z Zxid) Counter() uint32 { return uint32(z) }

// String formats z as epoch:counter in hexadecimal, like ZooKeeper's logs.
func (z Zxid) String() string { return fmt.Sprintf("%x:%x", z.Epoch(), z.Counter()) }

// follows reports whether next may directly follow prev in a history: the
// next counter of the same epoch, or the first counter of a later epoch.
// prev may be 0 (empty history) or a snapshot point.
func follows(prev, next Zxid) bool {
	if next.Epoch() == prev.Epoch() {
		return next.Counter() == prev.Counter()+1
	}
	return next.Epoch() > prev.Epoch() && next.Counter() == 1
}

// Entry is one replicated transaction: its zxid and the opaque bytes the
// state machine applies.
type Entry struct {
	Zxid Zxid
	Data []byte
}
