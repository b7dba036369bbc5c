package queue

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Curator's node names and item framing (DistributedQueue, ItemSerializer).
const (
	itemPrefix   = "queue-" // DistributedQueue's item names: queue-<encoding><sequence>
	simplePrefix = "qn-"    // SimpleDistributedQueue's item names: qn-<sequence>

	framingVersion = 0x00010001 // first four bytes of every DistributedQueue node
	opItem         = 0x01       // an item follows: 4-byte big-endian length, bytes
	opEOF          = 0x02       // no more items

	seqDigits = 10 // ZooKeeper's sequential suffix
)

// encodeItems frames items as Curator's ItemSerializer does: the version,
// then per item its opcode, length and bytes, then the end opcode.
func encodeItems(items [][]byte) []byte {
	n := 4 + 1
	for _, it := range items {
		n += 1 + 4 + len(it)
	}
	b := make([]byte, 4, n)
	binary.BigEndian.PutUint32(b, framingVersion)
	for _, it := range items {
		b = append(b, opItem)
		b = binary.BigEndian.AppendUint32(b, uint32(len(it)))
		b = append(b, it...)
	}
	return append(b, opEOF)
}

// decodeItems parses a node framed by encodeItems (or by Curator). It
// never panics and never allocates more than b holds; an error wraps
// ErrCorruptItem. Bytes after the end opcode are ignored, as Curator does.
func decodeItems(b []byte) ([][]byte, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: %d bytes, no version", ErrCorruptItem, len(b))
	}
	if v := binary.BigEndian.Uint32(b); v != framingVersion {
		return nil, fmt.Errorf("%w: version %#x, want %#x", ErrCorruptItem, v, framingVersion)
	}
	b = b[4:]
	var items [][]byte
	for {
		if len(b) == 0 {
			return nil, fmt.Errorf("%w: no end opcode", ErrCorruptItem)
		}
		op := b[0]
		b = b[1:]
		switch op {
		case opEOF:
			return items, nil
		case opItem:
		default:
			return nil, fmt.Errorf("%w: opcode %d", ErrCorruptItem, op)
		}
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: truncated item length", ErrCorruptItem)
		}
		size := binary.BigEndian.Uint32(b)
		b = b[4:]
		if size > uint32(len(b)) {
			return nil, fmt.Errorf("%w: item of %d bytes, %d left", ErrCorruptItem, int32(size), len(b))
		}
		items = append(items, append([]byte{}, b[:size]...))
		b = b[size:]
	}
}

// priorityName is the part of a priority item's name after "queue-":
// Curator's priorityToString, "0" for a negative priority and "1"
// otherwise, then the priority's 32 bits in 8 upper-case hex digits, so
// that names sort by priority.
func priorityName(p int32) string {
	sign := "1"
	if p < 0 {
		sign = "0"
	}
	return fmt.Sprintf("%s%08X", sign, uint32(p))
}

// delayName is the part of a delayed item's name after "queue-":
// Curator's epochToString, "|" + the due time in Unix milliseconds as at
// least 8 upper-case hex digits + "|".
func delayName(until time.Time) string {
	return fmt.Sprintf("|%08X|", until.UnixMilli())
}

// dueTime parses the due time of a delayed item's name as Curator's
// getEpoch does: the hex between the last two '|'; a name without one is
// due at once (the zero time).
func dueTime(name string) time.Time {
	j := strings.LastIndexByte(name, '|')
	if j <= 0 {
		return time.Time{}
	}
	i := strings.LastIndexByte(name[:j], '|')
	if i <= 0 || j <= i+1 {
		return time.Time{}
	}
	ms, err := strconv.ParseInt(name[i+1:j], 16, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// requeueName is the name, without its sequence, under which an item that
// failed is put back: its own name minus the sequence, so a priority or
// delayed item keeps its priority or due time. (Curator requeues under the
// plain "queue-"; both sort after the item's peers of equal rank.)
func requeueName(name string) string {
	if len(name) >= len(itemPrefix)+seqDigits {
		return name[:len(name)-seqDigits]
	}
	return itemPrefix
}

// sortItems keeps the names of queue items (prefix "queue-") and orders
// them for consumption: by name, which is by priority, then sequence, for
// priority items; by due time, then name, when byDue is set.
func sortItems(names []string, byDue bool) []string {
	out := names[:0:0]
	for _, n := range names {
		if strings.HasPrefix(n, itemPrefix) {
			out = append(out, n)
		}
	}
	if !byDue {
		sort.Strings(out)
		return out
	}
	sort.Slice(out, func(i, j int) bool {
		di, dj := dueTime(out[i]), dueTime(out[j])
		if !di.Equal(dj) {
			return di.Before(dj)
		}
		return out[i] < out[j]
	})
	return out
}
