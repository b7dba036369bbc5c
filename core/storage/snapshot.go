package storage

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A snapshot file, snap.<zxid as 16 hex digits> (all integers big-endian):
//
//	header   magic "ZBKS" | version u32 (1) | zxid i64 | flags u32 | crc32c u32 of the 20 bytes before
//	payload  the caller's bytes
//	trailer  payload length u64 | crc32c u32 of the payload | magic "ZBKT"
//
// It is written as snap.<zxid>.tmp, fsynced, renamed, and the directory
// fsynced, so a complete file under the final name is the only kind a crash
// leaves; a checksum failure means damage, and Open falls back to an older
// snapshot.
const (
	snapHeaderSize  = 24
	snapTrailerSize = 16
	snapInstalled   = 1 // flag: received from a leader; the log was reset
)

func snapName(zxid int64) string { return fmt.Sprintf("snap.%016x", zxid) }

func parseSnapName(name string) (int64, bool) {
	hex, ok := strings.CutPrefix(name, "snap.")
	if !ok || len(hex) != 16 {
		return 0, false
	}
	v, err := strconv.ParseUint(hex, 16, 63)
	return int64(v), err == nil
}

func encodeSnapHeader(zxid int64, flags uint32) []byte {
	b := make([]byte, snapHeaderSize)
	copy(b, "ZBKS")
	binary.BigEndian.PutUint32(b[4:], 1)
	binary.BigEndian.PutUint64(b[8:], uint64(zxid))
	binary.BigEndian.PutUint32(b[16:], flags)
	binary.BigEndian.PutUint32(b[20:], crc32.Checksum(b[:20], castagnoli))
	return b
}

// ctxWriter writes sequentially to a File, checking ctx and hashing.
type ctxWriter struct {
	ctx context.Context
	f   File
	off int64
	h   hash.Hash32
}

func (w *ctxWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := w.f.WriteAt(p, w.off)
	w.off += int64(n)
	w.h.Write(p[:n])
	return n, err
}

// writeSnapshot durably stores a snapshot file in dir.
func writeSnapshot(ctx context.Context, fsys FS, dir string, zxid int64, flags uint32, write func(io.Writer) error) (meta SnapshotMeta, err error) {
	if zxid < 0 {
		return meta, fmt.Errorf("%w: snapshot zxid %d", ErrInvalid, zxid)
	}
	final := filepath.Join(dir, snapName(zxid))
	tmp := final + ".tmp"
	f, err := fsys.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return meta, err
	}
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				err = errors.Join(err, f.Close())
			}
			if rerr := fsys.Remove(tmp); rerr != nil && !isNotExist(rerr) {
				err = errors.Join(err, rerr)
			}
		}
	}()
	cw := &ctxWriter{ctx: ctx, f: f, off: snapHeaderSize, h: crc32.New(castagnoli)}
	bw := bufio.NewWriterSize(cw, 1<<20)
	if err := write(bw); err != nil {
		return meta, fmt.Errorf("storage: writing snapshot: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return meta, err
	}
	size := cw.off - snapHeaderSize
	tr := make([]byte, snapTrailerSize)
	binary.BigEndian.PutUint64(tr, uint64(size))
	binary.BigEndian.PutUint32(tr[8:], cw.h.Sum32())
	copy(tr[12:], "ZBKT")
	if _, err := f.WriteAt(tr, cw.off); err != nil {
		return meta, err
	}
	if _, err := f.WriteAt(encodeSnapHeader(zxid, flags), 0); err != nil {
		return meta, err
	}
	if err := f.Sync(); err != nil {
		return meta, err
	}
	closed = true
	if err := f.Close(); err != nil {
		return meta, err
	}
	if err := fsys.Rename(tmp, final); err != nil {
		return meta, err
	}
	if err := fsys.SyncDir(dir); err != nil {
		return meta, err
	}
	return SnapshotMeta{Zxid: zxid, Size: size, Installed: flags&snapInstalled != 0}, nil
}

// verifySnapshot checks a snapshot file (header, trailer, payload CRC) and
// returns its meta. Errors wrap ErrCorrupt when the content is bad.
func verifySnapshot(r io.ReaderAt, size int64) (SnapshotMeta, error) {
	var meta SnapshotMeta
	if size < snapHeaderSize+snapTrailerSize {
		return meta, fmt.Errorf("%w: snapshot too short (%d bytes)", ErrCorrupt, size)
	}
	h := make([]byte, snapHeaderSize)
	if _, err := r.ReadAt(h, 0); err != nil {
		return meta, err
	}
	if string(h[:4]) != "ZBKS" || binary.BigEndian.Uint32(h[4:]) != 1 ||
		crc32.Checksum(h[:20], castagnoli) != binary.BigEndian.Uint32(h[20:]) {
		return meta, fmt.Errorf("%w: bad snapshot header", ErrCorrupt)
	}
	meta.Zxid = int64(binary.BigEndian.Uint64(h[8:]))
	flags := binary.BigEndian.Uint32(h[16:])
	meta.Installed = flags&snapInstalled != 0
	if meta.Zxid < 0 || flags&^snapInstalled != 0 {
		return meta, fmt.Errorf("%w: bad snapshot header", ErrCorrupt)
	}
	tr := make([]byte, snapTrailerSize)
	if _, err := r.ReadAt(tr, size-snapTrailerSize); err != nil && err != io.EOF {
		return meta, err
	}
	meta.Size = size - snapHeaderSize - snapTrailerSize
	if string(tr[12:]) != "ZBKT" || binary.BigEndian.Uint64(tr) != uint64(meta.Size) {
		return meta, fmt.Errorf("%w: bad snapshot trailer", ErrCorrupt)
	}
	c := crc32.New(castagnoli)
	if _, err := io.Copy(c, io.NewSectionReader(r, snapHeaderSize, meta.Size)); err != nil {
		return meta, err
	}
	if c.Sum32() != binary.BigEndian.Uint32(tr[8:]) {
		return meta, fmt.Errorf("%w: snapshot checksum mismatch", ErrCorrupt)
	}
	return meta, nil
}

// snapReader is the payload of a verified snapshot file.
type snapReader struct {
	*io.SectionReader
	f File
}

func (s snapReader) Close() error { return s.f.Close() }

// listSnapshots returns the zxids of snapshot files in dir, ascending.
func listSnapshots(fsys FS, dir string) ([]int64, error) {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var zxids []int64
	for _, n := range names {
		if z, ok := parseSnapName(n); ok {
			zxids = append(zxids, z)
		}
	}
	return zxids, nil
}

// openSnapshotFile verifies dir/snap.<zxid> and returns a reader of its
// payload.
func openSnapshotFile(fsys FS, dir string, zxid int64) (SnapshotMeta, io.ReadCloser, error) {
	path := filepath.Join(dir, snapName(zxid))
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return SnapshotMeta{}, nil, err
	}
	size, err := f.Size()
	if err != nil {
		return SnapshotMeta{}, nil, errors.Join(err, f.Close())
	}
	meta, err := verifySnapshot(f, size)
	if err == nil && meta.Zxid != zxid {
		err = fmt.Errorf("%w: file name says zxid %#x, header %#x", ErrCorrupt, zxid, meta.Zxid)
	}
	if err != nil {
		return meta, nil, errors.Join(fmt.Errorf("%s: %w", path, err), f.Close())
	}
	return meta, snapReader{io.NewSectionReader(f, snapHeaderSize, meta.Size), f}, nil
}
