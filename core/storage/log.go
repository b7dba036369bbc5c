package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// segment is one log file, named log.<prevZxid as 16 hex digits>.
type segment struct {
	path  string
	f     File
	prev  int64 // zxid before the segment's first entry
	first int64 // 0 if empty
	last  int64 // prev if empty
	count int
	end   int64 // offset past the last record written to the file
	size  int64 // file size (preallocated)
	// index holds the offset of a record every indexEvery bytes, so a
	// range read starts near its first entry.
	index       []indexPoint
	lastIndexed int64
}

type indexPoint struct {
	zxid int64
	off  int64
}

const indexEvery = 64 << 10

// addIndexPoint adds (zxid, off) to index if off is far enough from the
// last indexed record.
func addIndexPoint(index []indexPoint, lastIndexed, zxid, off int64) ([]indexPoint, int64) {
	if len(index) == 0 || off-lastIndexed >= indexEvery {
		return append(index, indexPoint{zxid, off}), off
	}
	return index, lastIndexed
}

// seek returns where to start reading for entries >= from: an offset and
// the zxid before the record there.
func (s *segment) seek(from int64) (off, before int64) {
	off, before = segHeaderSize, s.prev
	for _, p := range s.index {
		if p.zxid > from {
			break
		}
		off, before = p.off, p.zxid-1
	}
	return off, before
}

func segName(prev int64) string { return fmt.Sprintf("log.%016x", prev) }

func parseSegName(name string) (int64, bool) {
	hex, ok := strings.CutPrefix(name, "log.")
	if !ok || len(hex) != 16 {
		return 0, false
	}
	v, err := strconv.ParseUint(hex, 16, 63)
	return int64(v), err == nil
}

// fileLog is the segmented transaction log with group commit.
type fileLog struct {
	fs       FS
	dir      string
	logger   *slog.Logger
	segSize  int64
	maxEntry int

	mu        sync.Mutex // guards everything below up to smu
	segs      []*segment // oldest first; the last is active
	pending   []byte     // records appended but not yet written
	pendLast  int64      // zxid of the last pending record
	pendCount int
	appendSeq uint64 // number of Append calls that added entries
	failed    error
	closed    bool
	// readers counts scans reading files without mu; readersDone (on mu)
	// is signalled when one ends.
	readers     int
	readersDone *sync.Cond

	smu       sync.Mutex // guards the sync round
	syncing   bool
	syncDone  chan struct{}
	syncedSeq uint64

	fsyncs  atomic.Int64
	appends atomic.Int64
}

func (l *fileLog) active() *segment { return l.segs[len(l.segs)-1] }

func (l *fileLog) usableLocked() error {
	if l.closed {
		return ErrClosed
	}
	if l.failed != nil {
		return fmt.Errorf("%w: %w", ErrFailed, l.failed)
	}
	return nil
}

func (l *fileLog) fail(err error) error {
	if l.failed == nil {
		l.failed = err
		l.logger.Error("storage: log failed", "err", err)
	}
	return fmt.Errorf("%w: %w", ErrFailed, err)
}

func (l *fileLog) lastLocked() int64 {
	if l.pendCount > 0 {
		return l.pendLast
	}
	return l.active().last
}

// Append implements Log.
func (l *fileLog) Append(entries ...Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return err
	}
	last := l.lastLocked()
	for _, e := range entries {
		if e.Zxid <= last {
			return fmt.Errorf("%w: %#x after %#x", ErrOutOfOrder, e.Zxid, last)
		}
		if len(e.Data) > l.maxEntry {
			return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(e.Data))
		}
		last = e.Zxid
	}
	for _, e := range entries {
		a := l.active()
		nonEmpty := a.count > 0 || l.pendCount > 0
		newEpoch := e.Zxid>>32 != l.lastLocked()>>32
		full := a.end+int64(len(l.pending))+recHeaderSize+int64(len(e.Data)) > l.segSize
		if nonEmpty && (newEpoch || full) {
			if err := l.rollLocked(); err != nil {
				return err
			}
		}
		a = l.active()
		a.index, a.lastIndexed = addIndexPoint(a.index, a.lastIndexed, e.Zxid, a.end+int64(len(l.pending)))
		l.pending = appendRecord(l.pending, e)
		l.pendLast = e.Zxid
		l.pendCount++
	}
	if len(entries) > 0 {
		l.appendSeq++
		l.appends.Add(int64(len(entries)))
	}
	if len(l.pending) >= scanBufferSize {
		return l.flushLocked()
	}
	return nil
}

// flushLocked writes pending records to the active segment (no fsync).
func (l *fileLog) flushLocked() error {
	if len(l.pending) == 0 {
		return nil
	}
	a := l.active()
	need := a.end + int64(len(l.pending))
	if need > a.size {
		// Preallocate the next step with real zeros (not a sparse hole):
		// overwriting allocated blocks makes the fdatasync cheaper.
		size := need + l.preallocStep()
		if err := zeroFill(a.f, a.size, size); err != nil {
			return l.fail(err)
		}
		a.size = size
	}
	if _, err := a.f.WriteAt(l.pending, a.end); err != nil {
		return l.fail(err)
	}
	if a.count == 0 {
		a.first = firstZxidOf(l.pending)
	}
	a.end = need
	a.count += l.pendCount
	a.last = l.pendLast
	l.pending = l.pending[:0]
	l.pendCount = 0
	return nil
}

// rollLocked seals the active segment (write, fsync) and starts a new one.
func (l *fileLog) rollLocked() error {
	if err := l.flushLocked(); err != nil {
		return err
	}
	a := l.active()
	if a.count == 0 {
		return nil
	}
	if err := a.f.DataSync(); err != nil {
		return l.fail(err)
	}
	l.fsyncs.Add(1)
	s, err := l.createSegment(a.last)
	if err != nil {
		return l.fail(err)
	}
	l.segs = append(l.segs, s)
	return nil
}

// createSegment durably creates an empty preallocated segment.
func (l *fileLog) createSegment(prev int64) (*segment, error) {
	path := filepath.Join(l.dir, segName(prev))
	f, err := l.fs.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	s := &segment{path: path, f: f, prev: prev, last: prev, end: segHeaderSize, size: segHeaderSize + l.preallocStep()}
	if _, err := f.WriteAt(encodeSegHeader(prev), 0); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	if err := zeroFill(f, segHeaderSize, s.size); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	if err := f.Sync(); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return s, nil
}

// Roll starts a new segment if the active one holds entries.
func (l *fileLog) Roll() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return err
	}
	return l.rollLocked()
}

// TruncateAfter implements Log.
func (l *fileLog) TruncateAfter(zxid int64) error {
	return l.exclusive(func() (bool, error) {
		if err := l.usableLocked(); err != nil {
			return false, err
		}
		if err := l.flushLocked(); err != nil {
			return false, err
		}
		if zxid >= l.active().last {
			return false, nil
		}
		if zxid < l.segs[0].prev {
			return false, fmt.Errorf("%w: truncate to %#x, log starts after %#x", ErrCompacted, zxid, l.segs[0].prev)
		}
		k := len(l.segs) - 1
		for l.segs[k].prev > zxid {
			k--
		}
		// Newest first, so a crash leaves a prefix of the old log.
		removed := false
		for len(l.segs)-1 > k {
			s := l.active()
			if err := errors.Join(s.f.Close(), l.fs.Remove(s.path)); err != nil {
				return false, l.fail(err)
			}
			l.segs = l.segs[:len(l.segs)-1]
			removed = true
		}
		if removed {
			if err := l.fs.SyncDir(l.dir); err != nil {
				return false, l.fail(err)
			}
		}
		s := l.segs[k]
		if s.last > zxid {
			var n int
			end, lastKept := int64(segHeaderSize), s.prev
			_, _, _, err := iterRecords(s.f, segHeaderSize, s.end, l.maxEntry, s.prev, func(e Entry, next int64) error {
				if e.Zxid > zxid {
					return errStop
				}
				n++
				end, lastKept = next, e.Zxid
				return nil
			})
			if err != nil && !errors.Is(err, errStop) {
				return false, l.fail(err)
			}
			// Cut, then preallocate again: the tail becomes zeros.
			size := end + l.preallocStep()
			if err := errors.Join(s.f.Truncate(end), zeroFill(s.f, end, size), s.f.Sync()); err != nil {
				return false, l.fail(err)
			}
			l.fsyncs.Add(1)
			s.size = size
			s.end, s.count, s.last = end, n, lastKept
			for len(s.index) > 0 && s.index[len(s.index)-1].off >= end {
				s.index = s.index[:len(s.index)-1]
			}
			if len(s.index) > 0 {
				s.lastIndexed = s.index[len(s.index)-1].off
			}
			if n == 0 {
				s.first = 0
			}
		}
		return true, nil
	})
}

var errStop = errors.New("stop")

// Entries implements Log.
func (l *fileLog) Entries(from, to int64) ([]Entry, error) {
	var out []Entry
	err := l.scan(from, to, func(e Entry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// scan calls fn with the entries with from <= zxid <= to.
//
// The reads happen without holding mu, so appends and syncs go on
// meanwhile; operations that rewrite or close segment files (truncate,
// reset, purge, close) wait for running scans. fn must not call them.
func (l *fileLog) scan(from, to int64, fn func(Entry) error) error {
	type view struct {
		f                  File
		path               string
		start, end, before int64
	}
	var views []view
	l.mu.Lock()
	if err := l.usableLocked(); err != nil {
		l.mu.Unlock()
		return err
	}
	if err := l.flushLocked(); err != nil {
		l.mu.Unlock()
		return err
	}
	if base := l.segs[0].prev; from <= base && base > 0 {
		l.mu.Unlock()
		return fmt.Errorf("%w: entries from %#x requested, log starts after %#x", ErrCompacted, from, base)
	}
	for _, s := range l.segs {
		if s.count == 0 || s.last < from || s.first > to {
			continue
		}
		start, before := s.seek(from)
		views = append(views, view{f: s.f, path: s.path, start: start, end: s.end, before: before})
	}
	l.readers++
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.readers--
		l.readersDone.Broadcast()
		l.mu.Unlock()
	}()

	for _, v := range views {
		stop, reason, _, err := iterRecords(v.f, v.start, v.end, l.maxEntry, v.before, func(e Entry, _ int64) error {
			if e.Zxid > to {
				return errStop
			}
			if e.Zxid >= from {
				return fn(e)
			}
			return nil
		})
		if errors.Is(err, errStop) {
			return nil
		}
		if err != nil {
			return err
		}
		if reason != "" {
			return fmt.Errorf("%w: %s: %s at offset %d", ErrCorrupt, v.path, reason, stop)
		}
	}
	return nil
}

// FirstZxid implements Log.
func (l *fileLog) FirstZxid() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.segs {
		if s.count > 0 {
			return s.first
		}
	}
	if l.pendCount > 0 {
		return firstZxidOf(l.pending)
	}
	return 0
}

// LastZxid implements Log.
func (l *fileLog) LastZxid() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastLocked()
}

// base is the zxid before the oldest entry the log holds.
func (l *fileLog) base() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.segs[0].prev
}

// reset durably discards every segment and starts an empty log after zxid.
func (l *fileLog) reset(zxid int64) error {
	return l.exclusive(func() (bool, error) {
		if err := l.usableLocked(); err != nil {
			return false, err
		}
		l.pending, l.pendCount = l.pending[:0], 0
		for len(l.segs) > 0 {
			s := l.segs[len(l.segs)-1]
			if err := errors.Join(s.f.Close(), l.fs.Remove(s.path)); err != nil {
				return false, l.fail(err)
			}
			l.segs = l.segs[:len(l.segs)-1]
		}
		if err := l.fs.SyncDir(l.dir); err != nil {
			return false, l.fail(err)
		}
		s, err := l.createSegment(zxid)
		if err != nil {
			return false, l.fail(err)
		}
		l.segs = []*segment{s}
		return true, nil
	})
}

// purgeThrough durably deletes the oldest segments whose entries all have
// zxids <= zxid, always keeping the active one.
func (l *fileLog) purgeThrough(zxid int64) error {
	return l.exclusive(func() (bool, error) {
		if err := l.usableLocked(); err != nil {
			return false, err
		}
		n := 0
		for n+1 < len(l.segs) && l.segs[n+1].prev <= zxid {
			n++
		}
		if n == 0 {
			return false, nil
		}
		for _, s := range l.segs[:n] { // oldest first: a crash leaves a suffix
			if err := errors.Join(s.f.Close(), l.fs.Remove(s.path)); err != nil {
				return false, l.fail(err)
			}
		}
		l.segs = append([]*segment(nil), l.segs[n:]...)
		if err := l.fs.SyncDir(l.dir); err != nil {
			return false, l.fail(err)
		}
		return false, nil
	})
}

// close writes pending records (without fsync) and closes every file.
func (l *fileLog) close() error {
	var err error
	_ = l.exclusive(func() (bool, error) {
		if l.closed {
			return false, nil
		}
		if l.failed == nil {
			err = l.flushLocked()
		}
		for _, s := range l.segs {
			err = errors.Join(err, s.f.Close())
		}
		l.closed = true
		return false, nil
	})
	return err
}

// preallocStep is how far ahead of the data a segment is zero-filled.
func (l *fileLog) preallocStep() int64 { return min(l.segSize, preallocMax) }

// preallocMax bounds one preallocation step.
const preallocMax = 4 << 20

var zeros = make([]byte, 1<<20)

// zeroFill writes zeros to [from, to) of f.
func zeroFill(f File, from, to int64) error {
	for from < to {
		n := min(int64(len(zeros)), to-from)
		if _, err := f.WriteAt(zeros[:n], from); err != nil {
			return err
		}
		from += n
	}
	return nil
}

func firstZxidOf(records []byte) int64 {
	if len(records) < recHeaderSize {
		return 0
	}
	return int64(uint64(records[8])<<56 | uint64(records[9])<<48 | uint64(records[10])<<40 | uint64(records[11])<<32 |
		uint64(records[12])<<24 | uint64(records[13])<<16 | uint64(records[14])<<8 | uint64(records[15]))
}
