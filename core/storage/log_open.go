package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// openLog opens (or creates) the log in dir. It checks every segment and
// the chain between them, truncates a torn tail of the last segment with a
// warning, removes a last segment whose header a crash tore, and refuses
// (ErrCorrupt) damage anywhere else.
func openLog(fsys FS, dir string, logger *slog.Logger, segSize int64, maxEntry int) (_ *fileLog, err error) {
	l := &fileLog{fs: fsys, dir: dir, logger: logger, segSize: segSize, maxEntry: maxEntry, syncDone: make(chan struct{})}
	l.readersDone = sync.NewCond(&l.mu)
	defer func() {
		if err != nil {
			for _, s := range l.segs {
				_ = s.f.Close()
			}
		}
	}()
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var prevs []int64
	for _, n := range names {
		if p, ok := parseSegName(n); ok {
			prevs = append(prevs, p)
		}
	}
	for i, prev := range prevs {
		path := filepath.Join(dir, segName(prev))
		isLast := i == len(prevs)-1
		f, err := fsys.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return nil, err
		}
		size, err := f.Size()
		if err != nil {
			return nil, errors.Join(err, f.Close())
		}
		var index []indexPoint
		var lastIndexed int64
		sc, err := scanSegment(f, size, maxEntry, func(e Entry, off int64) error {
			index, lastIndexed = addIndexPoint(index, lastIndexed, e.Zxid, off)
			return nil
		})
		if err == nil && sc.prev != prev {
			err = errBadHeader
		}
		if errors.Is(err, errBadHeader) {
			if !isLast {
				return nil, errors.Join(fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err), f.Close())
			}
			// Only a crash while creating the newest segment tears its header.
			logger.Warn("storage: removing log segment with a torn header", "file", path, "size", size)
			if err := errors.Join(f.Close(), fsys.Remove(path), fsys.SyncDir(dir)); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, errors.Join(fmt.Errorf("%s: %w", path, err), f.Close())
		}
		if len(l.segs) > 0 && sc.prev != l.active().last {
			return nil, errors.Join(fmt.Errorf("%w: %s starts after %#x but the previous segment ends at %#x (missing or damaged segment)",
				ErrCorrupt, path, sc.prev, l.active().last), f.Close())
		}
		if sc.torn {
			if !isLast {
				return nil, errors.Join(fmt.Errorf("%w: sealed segment %s: %s at offset %d", ErrCorrupt, path, sc.reason, sc.end), f.Close())
			}
			logger.Warn("storage: truncating torn log tail", "file", path, "offset", sc.end, "reason", sc.reason, "last_zxid", sc.last)
			if err := errors.Join(f.Truncate(sc.end), zeroFill(f, sc.end, size), f.Sync()); err != nil {
				return nil, errors.Join(err, f.Close())
			}
		}
		l.segs = append(l.segs, &segment{path: path, f: f, prev: sc.prev, first: sc.first, last: sc.last, count: sc.count,
			end: sc.end, size: size, index: index, lastIndexed: lastIndexed})
	}
	if len(l.segs) == 0 {
		s, err := l.createSegment(0)
		if err != nil {
			return nil, err
		}
		l.segs = append(l.segs, s)
	}
	return l, nil
}
