package storage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// On-disk layout of a log segment (all integers big-endian):
//
//	header  magic "ZBKL" | version u32 (1) | prevZxid i64 | crc32c u32 of the 16 bytes before | 4 zero bytes
//	record  length u32 | crc32c u32 | zxid i64 | data[length]
//
// A record's CRC32C (Castagnoli) covers its length, zxid and data. prevZxid
// is the zxid of the last entry before the segment (the log's base for the
// first segment), so a missing segment breaks the chain and is detected.
// The rest of a segment is zero-filled preallocation: an all-zero record
// header marks the end of the data.
const (
	segMagic       = "ZBKL"
	segVersion     = 1
	segHeaderSize  = 24
	recHeaderSize  = 16
	scanBufferSize = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func recordCRC(hdr []byte, data []byte) uint32 {
	c := crc32.Update(0, castagnoli, hdr[0:4])
	c = crc32.Update(c, castagnoli, hdr[8:16])
	return crc32.Update(c, castagnoli, data)
}

// appendRecord appends the encoding of e to dst.
func appendRecord(dst []byte, e Entry) []byte {
	n := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(e.Data)))
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Zxid))
	dst = append(dst, e.Data...)
	binary.BigEndian.PutUint32(dst[n+4:], recordCRC(dst[n:n+recHeaderSize], e.Data))
	return dst
}

func encodeSegHeader(prev int64) []byte {
	b := make([]byte, segHeaderSize)
	copy(b, segMagic)
	binary.BigEndian.PutUint32(b[4:], segVersion)
	binary.BigEndian.PutUint64(b[8:], uint64(prev))
	binary.BigEndian.PutUint32(b[16:], crc32.Checksum(b[:16], castagnoli))
	return b
}

// errBadHeader: a segment header is missing or damaged.
var errBadHeader = errors.New("bad segment header")

func decodeSegHeader(b []byte) (prev int64, err error) {
	if len(b) < segHeaderSize || string(b[:4]) != segMagic {
		return 0, errBadHeader
	}
	if crc32.Checksum(b[:16], castagnoli) != binary.BigEndian.Uint32(b[16:]) {
		return 0, errBadHeader
	}
	if v := binary.BigEndian.Uint32(b[4:]); v != segVersion {
		return 0, fmt.Errorf("%w: version %d", errBadHeader, v)
	}
	prev = int64(binary.BigEndian.Uint64(b[8:]))
	if prev < 0 {
		return 0, errBadHeader
	}
	return prev, nil
}

// segScan is the result of reading a segment.
type segScan struct {
	prev  int64 // from the header
	first int64 // first entry's zxid, 0 if none
	last  int64 // last entry's zxid, prev if none
	count int
	end   int64 // offset just past the last valid record
	// torn is set when non-zero bytes follow end: a torn or corrupt tail
	// (as opposed to clean zero preallocation).
	torn bool
	// reason says why reading stopped at end when torn.
	reason string
}

// scanSegment reads the segment in r (size bytes) and calls fn with every
// valid record in order. It stops at the first invalid record; if a valid
// record with a higher zxid follows the damage, the damage is not a tail
// and it returns ErrCorrupt. maxEntry bounds a record's data length.
// fn's Entry.Data is freshly allocated.
// fn also gets the offset of the record.
func scanSegment(r io.ReaderAt, size int64, maxEntry int, fn func(e Entry, off int64) error) (segScan, error) {
	var s segScan
	hb := make([]byte, segHeaderSize)
	if size < segHeaderSize {
		return s, errBadHeader
	}
	if _, err := r.ReadAt(hb, 0); err != nil {
		return s, err
	}
	prev, err := decodeSegHeader(hb)
	if err != nil {
		return s, err
	}
	s.prev, s.last = prev, prev
	end, reason, hdr, err := iterRecords(r, segHeaderSize, size, maxEntry, prev, func(e Entry, next int64) error {
		if s.count == 0 {
			s.first = e.Zxid
		}
		s.count++
		s.last = e.Zxid
		if fn != nil {
			return fn(e, next-recHeaderSize-int64(len(e.Data)))
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	off := end
	s.reason = reason
	s.end = off
	if reason == "" {
		return s, nil
	}
	// Records cannot overlap the damaged one if its header is intact.
	from := off + 1
	if size-off >= recHeaderSize && !allZero(hdr[:]) {
		n := int64(binary.BigEndian.Uint32(hdr[0:4]))
		if n <= int64(maxEntry) && n <= size-off-recHeaderSize {
			from = off + recHeaderSize + n
		}
	}
	torn, found, err := scanTail(r, off, from, size, s.last, maxEntry)
	if err != nil {
		return s, err
	}
	if found >= 0 {
		return s, fmt.Errorf("%w: %s at offset %d, followed by a valid record at offset %d", ErrCorrupt, s.reason, off, found)
	}
	s.torn = torn
	return s, nil
}

// iterRecords decodes records in [off, end) and calls fn with each valid
// one and the offset just past it. It stops at end or at the first invalid
// record and returns that offset, why it stopped ("" at end) and the
// invalid record's header bytes (zero if fewer than a header remained).
func iterRecords(r io.ReaderAt, off, end int64, maxEntry int, last int64, fn func(e Entry, next int64) error) (int64, string, [recHeaderSize]byte, error) {
	var hdr [recHeaderSize]byte
	br := bufio.NewReaderSize(io.NewSectionReader(r, off, end-off), min(scanBufferSize, int(max(end-off, 16))))
	for {
		if off == end {
			return off, "", hdr, nil
		}
		if end-off < recHeaderSize {
			return off, "short record header", hdr, nil
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return off, "", hdr, err
		}
		if allZero(hdr[:]) {
			return off, "zero record header", hdr, nil
		}
		n := int64(binary.BigEndian.Uint32(hdr[0:4]))
		zxid := int64(binary.BigEndian.Uint64(hdr[8:16]))
		if n > int64(maxEntry) || n > end-off-recHeaderSize {
			return off, "bad record length", hdr, nil
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(br, data); err != nil {
			return off, "", hdr, err
		}
		if recordCRC(hdr[:], data) != binary.BigEndian.Uint32(hdr[4:8]) {
			return off, "record checksum mismatch", hdr, nil
		}
		if zxid <= last {
			return off, "zxid not increasing", hdr, nil
		}
		off += recHeaderSize + n
		last = zxid
		if err := fn(Entry{Zxid: zxid, Data: data}, off); err != nil {
			return off, "", hdr, err
		}
	}
}

// scanTail looks at [start, size) of a segment after its last valid record:
// torn reports whether any byte is non-zero, found is the offset >= from of
// a valid record with a zxid above last (-1 if none).
func scanTail(r io.ReaderAt, start, from, size, last int64, maxEntry int) (torn bool, found int64, err error) {
	buf := make([]byte, scanBufferSize)
	next := from // lowest candidate offset not tried yet
	var hdr [recHeaderSize]byte
	for base := start; base < size; base += int64(len(buf)) {
		chunk := buf
		if size-base < int64(len(chunk)) {
			chunk = chunk[:size-base]
		}
		if _, err := r.ReadAt(chunk, base); err != nil && err != io.EOF {
			return torn, -1, err
		}
		for i := 0; i < len(chunk); i++ {
			if chunk[i] == 0 {
				// Skip zero words quickly.
				for i+8 <= len(chunk) && binary.LittleEndian.Uint64(chunk[i:]) == 0 {
					i += 8
				}
				if i >= len(chunk) || chunk[i] == 0 {
					continue
				}
			}
			torn = true
			q := base + int64(i)
			// A record header at p has a non-zero byte in [p, p+16).
			p := max(next, q-recHeaderSize+1)
			for ; p <= q; p++ {
				if p+recHeaderSize > size {
					break
				}
				var h []byte
				if rel := p - base; rel >= 0 && rel+recHeaderSize <= int64(len(chunk)) {
					h = chunk[rel : rel+recHeaderSize]
				} else {
					if _, err := r.ReadAt(hdr[:], p); err != nil {
						return torn, -1, err
					}
					h = hdr[:]
				}
				if ok, err := validRecordAt(r, p, h, size, last, maxEntry); err != nil {
					return torn, -1, err
				} else if ok {
					return torn, p, nil
				}
			}
			next = max(next, q+1)
		}
	}
	return torn, -1, nil
}

func validRecordAt(r io.ReaderAt, p int64, h []byte, size, last int64, maxEntry int) (bool, error) {
	n := int64(binary.BigEndian.Uint32(h[0:4]))
	zxid := int64(binary.BigEndian.Uint64(h[8:16]))
	if zxid <= last || n > int64(maxEntry) || n > size-p-recHeaderSize {
		return false, nil
	}
	data := make([]byte, n)
	if _, err := r.ReadAt(data, p+recHeaderSize); err != nil && err != io.EOF {
		return false, err
	}
	return recordCRC(h, data) == binary.BigEndian.Uint32(h[4:8]), nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
