package storage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// faultFS is an in-memory FS that counts every mutating operation (write,
// truncate, sync, create, rename, remove, directory sync) and can crash at
// any of them: that operation and every later one fail with errCrashed.
// crashImage then builds the file system a restart would see, under this
// model of a crash:
//   - file data written or truncated but not synced since: each file keeps
//     its synced content plus a prefix of its later operations, the last
//     kept write possibly torn (a prefix of its bytes, the rest old or
//     garbage);
//   - creations, renames and removals in a directory not followed by a
//     sync of that directory: a prefix of them survives (each directory
//     independently; a sync of one directory makes nothing durable in
//     another, so a store that syncs the wrong one loses files).
//
// Directories are implicit (MkdirAll does nothing); renames across
// directories are refused, the store never does them.
//
// It is safe for concurrent use.
type faultFS struct {
	mu       sync.Mutex
	names    map[string]*inode  // what processes see
	durNames map[string]*inode  // what survives a crash
	dirOps   map[string][]dirOp // per directory: namespace changes since its last SyncDir
	ops      int                // mutating operations so far
	crashAt  int                // the operation that crashes; -1: never
	failAt   int                // the operation that fails once with errInjected; -1: never
	crashed  bool
	trace    []string
	// syncHook, if set, runs at the start of every file sync, outside the
	// lock (tests block fsyncs with it).
	syncHook func()
}

type inode struct {
	durable []byte
	cur     []byte
	pending []fileOp // since the last sync, in order
}

type fileOp struct {
	truncate bool
	off      int64
	data     []byte
	size     int64
}

type dirOp struct {
	name, to string // rename name -> to; remove if to == "" && ino == nil
	ino      *inode // create name -> ino
}

var (
	errCrashed  = errors.New("faultfs: crashed")
	errInjected = errors.New("faultfs: injected I/O error")
)

func newFaultFS() *faultFS {
	return &faultFS{names: map[string]*inode{}, durNames: map[string]*inode{}, dirOps: map[string][]dirOp{}, crashAt: -1, failAt: -1}
}

// step accounts for one mutating operation.
func (f *faultFS) step(desc string) error {
	if f.crashed {
		return errCrashed
	}
	if f.ops == f.crashAt {
		f.crashed = true
		f.trace = append(f.trace, "CRASH before "+desc)
		return errCrashed
	}
	f.ops++
	f.trace = append(f.trace, desc)
	if f.ops-1 == f.failAt {
		return errInjected
	}
	return nil
}

func (f *faultFS) OpenFile(name string, flag int, _ fs.FileMode) (File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ino, ok := f.names[name]
	switch {
	case !ok && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case ok && flag&os.O_EXCL != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case !ok:
		if err := f.step("create " + filepath.Base(name)); err != nil {
			return nil, err
		}
		ino = &inode{}
		f.names[name] = ino
		d := filepath.Dir(name)
		f.dirOps[d] = append(f.dirOps[d], dirOp{name: name, ino: ino})
	case flag&os.O_TRUNC != 0:
		if err := f.step("truncate-open " + filepath.Base(name)); err != nil {
			return nil, err
		}
		ino.apply(fileOp{truncate: true, size: 0})
	}
	return &faultFile{fs: f, ino: ino, name: filepath.Base(name), rdonly: flag&(os.O_RDWR|os.O_WRONLY) == 0}, nil
}

func (f *faultFS) Rename(oldpath, newpath string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	ino, ok := f.names[oldpath]
	if !ok {
		return &fs.PathError{Op: "rename", Path: oldpath, Err: fs.ErrNotExist}
	}
	d := filepath.Dir(oldpath)
	if filepath.Dir(newpath) != d {
		return &fs.PathError{Op: "rename", Path: newpath, Err: errors.New("faultfs: rename across directories")}
	}
	if err := f.step("rename " + filepath.Base(oldpath) + " " + filepath.Base(newpath)); err != nil {
		return err
	}
	delete(f.names, oldpath)
	f.names[newpath] = ino
	f.dirOps[d] = append(f.dirOps[d], dirOp{name: oldpath, to: newpath})
	return nil
}

func (f *faultFS) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.names[name]; !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	if err := f.step("remove " + filepath.Base(name)); err != nil {
		return err
	}
	delete(f.names, name)
	d := filepath.Dir(name)
	f.dirOps[d] = append(f.dirOps[d], dirOp{name: name})
	return nil
}

func (f *faultFS) ReadDir(dir string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n := range f.names {
		if filepath.Dir(n) == filepath.Clean(dir) {
			out = append(out, filepath.Base(n))
		}
	}
	slices.Sort(out)
	return out, nil
}

func (f *faultFS) MkdirAll(string, fs.FileMode) error { return nil }

// SyncDir makes the namespace changes of dir, and only those, durable.
func (f *faultFS) SyncDir(dir string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	dir = filepath.Clean(dir)
	if err := f.step("syncdir " + dir); err != nil {
		return err
	}
	for n := range f.durNames {
		if filepath.Dir(n) == dir {
			delete(f.durNames, n)
		}
	}
	for n, ino := range f.names {
		if filepath.Dir(n) == dir {
			f.durNames[n] = ino
		}
	}
	delete(f.dirOps, dir)
	return nil
}

func maps(m map[string]*inode) map[string]*inode {
	c := make(map[string]*inode, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func (ino *inode) apply(op fileOp) {
	ino.cur = op.applyTo(ino.cur)
	ino.pending = append(ino.pending, op)
}

func (op fileOp) applyTo(b []byte) []byte {
	if op.truncate {
		if op.size <= int64(len(b)) {
			return b[:op.size]
		}
		return append(b, make([]byte, op.size-int64(len(b)))...)
	}
	if end := op.off + int64(len(op.data)); end > int64(len(b)) {
		b = append(b, make([]byte, end-int64(len(b)))...)
	}
	copy(b[op.off:], op.data)
	return b
}

// crashChoice decides, for one inode or the directory, how many pending
// operations survive and whether the next one is torn.
type crashChoice struct {
	keep    int
	tearAt  int  // bytes of op[keep] that reach the disk; <= 0: none
	garbage bool // the rest of the torn op's range becomes random bytes
}

// crashChooser decides the fate of one file (ino, dir "") or of one
// directory's namespace changes (ino nil) with n pending operations.
type crashChooser func(ino *inode, dir string, n int) crashChoice

// crashImage returns the file system after a crash and restart. choose is
// asked about every directory with pending namespace changes (ino == nil,
// n = their number), then every inode with pending operations, in a
// deterministic order.
func (f *faultFS) crashImage(choose crashChooser, rnd *rand.Rand) *faultFS {
	f.mu.Lock()
	defer f.mu.Unlock()
	// Each directory: a prefix of its namespace changes.
	names := maps(f.durNames)
	for _, dir := range slices.Sorted(mapKeys(f.dirOps)) {
		ops := f.dirOps[dir]
		dc := choose(nil, dir, len(ops))
		names = applyDirOps(names, ops[:dc.keep])
	}
	out := newFaultFS()
	done := map[*inode]*inode{}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		old := names[k]
		if n, ok := done[old]; ok {
			out.names[k] = n
			continue
		}
		b := slices.Clone(old.durable)
		c := crashChoice{}
		if len(old.pending) > 0 {
			c = choose(old, "", len(old.pending))
		}
		for _, op := range old.pending[:c.keep] {
			b = op.applyTo(b)
		}
		if c.keep < len(old.pending) && c.tearAt > 0 {
			op := old.pending[c.keep]
			if !op.truncate && c.tearAt < len(op.data) {
				torn := fileOp{off: op.off, data: op.data[:c.tearAt]}
				if c.garbage {
					torn.data = slices.Clone(op.data)
					for i := c.tearAt; i < len(torn.data); i++ {
						torn.data[i] = byte(rnd.UintN(256))
					}
				}
				b = torn.applyTo(b)
			}
		}
		n := &inode{durable: b, cur: slices.Clone(b)}
		done[old] = n
		out.names[k] = n
	}
	out.durNames = maps(out.names)
	return out
}

// applyDirOps applies namespace changes to names (modified in place).
func applyDirOps(names map[string]*inode, ops []dirOp) map[string]*inode {
	for _, op := range ops {
		switch {
		case op.ino != nil:
			names[op.name] = op.ino
		case op.to != "":
			if ino, ok := names[op.name]; ok {
				delete(names, op.name)
				names[op.to] = ino
			}
		default:
			delete(names, op.name)
		}
	}
	return names
}

func mapKeys[V any](m map[string]V) iter.Seq[string] {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// pendingInodes lists inodes with unsynced data, in name order.
func (f *faultFS) pendingInodes() []*inode {
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := map[*inode]bool{}
	var out []*inode
	all := maps(f.names)
	for k, v := range f.durNames {
		all[k] = v
	}
	for _, ops := range f.dirOps {
		for _, op := range ops {
			if op.ino != nil {
				all[op.name+"#created"] = op.ino
			}
		}
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if ino := all[k]; len(ino.pending) > 0 && !seen[ino] {
			seen[ino] = true
			out = append(out, ino)
		}
	}
	return out
}

// pendingDir is a directory with namespace changes not yet synced.
type pendingDir struct {
	dir string
	n   int
}

// dirsPending lists directories with unsynced namespace changes, by name.
func (f *faultFS) dirsPending() []pendingDir {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []pendingDir
	for _, d := range slices.Sorted(mapKeys(f.dirOps)) {
		out = append(out, pendingDir{d, len(f.dirOps[d])})
	}
	return out
}

// durableContent returns, for every file of dir whose name is durable, the
// bytes the fs has made durable (what a crash that loses everything unsynced
// leaves), read from the fs's own bookkeeping rather than from a crash
// image.
func (f *faultFS) durableContent(dir string) map[string][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]byte{}
	for n, ino := range f.durNames {
		if filepath.Dir(n) == filepath.Clean(dir) {
			out[filepath.Base(n)] = slices.Clone(ino.durable)
		}
	}
	return out
}

// filesIn lists the names (not paths) of the files in dir, as processes see
// them.
func (f *faultFS) filesIn(dir string) []string {
	names, _ := f.ReadDir(dir)
	return names
}

func (f *faultFS) traceString() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.trace, "; ")
}

// bytesOf returns the current content of a file (for damage tests).
func (f *faultFS) bytesOf(name string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.names[name].cur
}

// setBytes replaces a file's content durably (for damage tests).
func (f *faultFS) setBytes(name string, b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ino := f.names[name]
	ino.cur, ino.durable, ino.pending = slices.Clone(b), slices.Clone(b), nil
}

type faultFile struct {
	fs     *faultFS
	ino    *inode
	name   string
	rdonly bool
	closed bool
}

func (h *faultFile) ReadAt(p []byte, off int64) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.closed {
		return 0, fs.ErrClosed
	}
	if off >= int64(len(h.ino.cur)) {
		return 0, io.EOF
	}
	n := copy(p, h.ino.cur[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (h *faultFile) WriteAt(p []byte, off int64) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.closed || h.rdonly {
		return 0, fs.ErrClosed
	}
	if err := h.fs.step(fmt.Sprintf("write %s@%d+%d", h.name, off, len(p))); err != nil {
		return 0, err
	}
	h.ino.apply(fileOp{off: off, data: slices.Clone(p)})
	return len(p), nil
}

func (h *faultFile) Sync() error     { return h.sync("sync") }
func (h *faultFile) DataSync() error { return h.sync("datasync") }

func (h *faultFile) sync(what string) error {
	h.fs.mu.Lock()
	hook := h.fs.syncHook
	h.fs.mu.Unlock()
	if hook != nil {
		hook()
	}
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.closed {
		return fs.ErrClosed
	}
	if err := h.fs.step(what + " " + h.name); err != nil {
		return err
	}
	h.ino.durable = slices.Clone(h.ino.cur)
	h.ino.pending = nil
	return nil
}

func (h *faultFile) Truncate(size int64) error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.closed || h.rdonly {
		return fs.ErrClosed
	}
	if err := h.fs.step(fmt.Sprintf("truncate %s %d", h.name, size)); err != nil {
		return err
	}
	h.ino.apply(fileOp{truncate: true, size: size})
	return nil
}

func (h *faultFile) Size() (int64, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	return int64(len(h.ino.cur)), nil
}

func (h *faultFile) Close() error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.closed {
		return fs.ErrClosed
	}
	h.closed = true
	return nil
}
