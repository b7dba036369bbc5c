package storage

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// FS is the file-system layer every file operation of a Disk store goes
// through. OSFS is the production implementation; tests substitute a layer
// that injects crashes at every write, sync and rename.
//
// Paths are full paths (the store joins its directory with a file name).
type FS interface {
	// OpenFile opens name with os.OpenFile flags (os.O_RDWR, os.O_CREATE,
	// os.O_EXCL, os.O_TRUNC are the ones the store uses).
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// Rename atomically replaces newpath with oldpath. It is durable only
	// after SyncDir of the directory.
	Rename(oldpath, newpath string) error
	// Remove deletes a file. It is durable only after SyncDir.
	Remove(name string) error
	// ReadDir lists the file names (not paths) in dir, sorted.
	ReadDir(dir string) ([]string, error)
	// MkdirAll creates dir and its parents.
	MkdirAll(dir string, perm fs.FileMode) error
	// SyncDir makes creations, renames and removals in dir durable.
	SyncDir(dir string) error
}

// File is an open file of an FS.
type File interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	// Sync makes the file's data and metadata durable (fsync).
	Sync() error
	// DataSync makes the file's data durable; metadata that is not needed
	// to read it back (mtime) may stay behind (fdatasync).
	DataSync() error
	// Truncate changes the file's size; growing it fills with zeros.
	Truncate(size int64) error
	// Size returns the current size.
	Size() (int64, error)
	Close() error
}

// OSFS is the FS backed by the operating system.
type OSFS struct{}

var _ FS = OSFS{}

// OpenFile implements FS.
func (OSFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

// Rename implements FS.
func (OSFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// Remove implements FS.
func (OSFS) Remove(name string) error { return os.Remove(name) }

// MkdirAll implements FS.
func (OSFS) MkdirAll(dir string, perm fs.FileMode) error { return os.MkdirAll(dir, perm) }

// ReadDir implements FS.
func (OSFS) ReadDir(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// SyncDir implements FS.
func (OSFS) SyncDir(dir string) error {
	d, err := os.Open(filepath.Clean(dir))
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

type osFile struct{ f *os.File }

func (o osFile) ReadAt(p []byte, off int64) (int, error)  { return o.f.ReadAt(p, off) }
func (o osFile) WriteAt(p []byte, off int64) (int, error) { return o.f.WriteAt(p, off) }
func (o osFile) Sync() error                              { return o.f.Sync() }
func (o osFile) DataSync() error                          { return datasync(o.f) }
func (o osFile) Truncate(size int64) error                { return o.f.Truncate(size) }
func (o osFile) Close() error                             { return o.f.Close() }
func (o osFile) Size() (int64, error) {
	st, err := o.f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// isNotExist reports whether err says a file does not exist, for any FS.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
