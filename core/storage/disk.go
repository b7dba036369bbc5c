package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Default sizes.
const (
	// DefaultSegmentSize is the size at which a new segment starts.
	// Segments are preallocated with zeros 4 MiB (or the segment size, if
	// smaller) ahead of their data.
	DefaultSegmentSize = 64 << 20
	// DefaultMaxEntrySize bounds one entry's data.
	DefaultMaxEntrySize = 16 << 20
)

// Option configures Open.
type Option func(*options)

type options struct {
	fs        FS
	logger    *slog.Logger
	logDir    string
	segSize   int64
	maxEntry  int
	autoPurge int
}

// WithLogDir keeps the log segments in dir instead of the store's directory,
// as ZooKeeper's dataLogDir keeps its transaction log apart from the
// snapshots in dataDir (typically on a dedicated disk, so that log fsyncs
// do not wait behind snapshot writes). Snapshots and the epochs file stay in
// the directory passed to Open. "" (or the same directory) keeps
// everything together.
func WithLogDir(dir string) Option { return func(o *options) { o.logDir = dir } }

// WithFS sets the file-system layer (default OSFS).
func WithFS(fsys FS) Option { return func(o *options) { o.fs = fsys } }

// WithLogger sets the logger for warnings such as a truncated torn tail
// (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithSegmentSize sets the size in bytes at which a new segment starts
// (and the preallocation step, if below 4 MiB).
func WithSegmentSize(n int64) Option { return func(o *options) { o.segSize = n } }

// WithMaxEntrySize bounds the data of one entry; larger ones are refused
// on Append and treated as damage when read.
func WithMaxEntrySize(n int) Option { return func(o *options) { o.maxEntry = n } }

// WithAutoPurge makes every SaveSnapshot and InstallSnapshot end with
// Purge(keep), like ZooKeeper's autopurge with snapRetainCount = keep
// (but driven by snapshots rather than a timer). 0 disables it.
func WithAutoPurge(keep int) Option { return func(o *options) { o.autoPurge = keep } }

// Disk is the durable Storage in a directory: log segments (log.<zxid>),
// snapshots (snap.<zxid>) and the epochs file, or, with WithLogDir, the
// segments in a directory of their own. It is safe for concurrent use.
type Disk struct {
	dir    string // snapshots and epochs
	logDir string // log segments; dir unless WithLogDir
	fs     FS
	logger *slog.Logger
	opts   options
	log    *fileLog

	emu    sync.Mutex
	epochs Epochs

	snapMu sync.Mutex // serialises snapshot saves, installs and purges
}

var _ Storage = (*Disk)(nil)

// Open opens or creates the store in dir (and the log directory set by
// WithLogDir). It checks the log (truncating a torn tail with a warning,
// refusing other damage with ErrCorrupt) and reads the epochs; call Recover
// to rebuild state. With a separate log directory, log segments in dir or
// snapshots or epochs in the log directory are refused (ErrInvalid), as
// ZooKeeper refuses them: they mean dataDir and dataLogDir were swapped or
// changed, and recovering without them would lose transactions.
func Open(dir string, opts ...Option) (*Disk, error) {
	o := options{fs: OSFS{}, logger: slog.New(slog.DiscardHandler), segSize: DefaultSegmentSize, maxEntry: DefaultMaxEntrySize}
	for _, opt := range opts {
		opt(&o)
	}
	if o.segSize < segHeaderSize+recHeaderSize {
		return nil, fmt.Errorf("%w: segment size %d", ErrInvalid, o.segSize)
	}
	if o.maxEntry <= 0 || o.maxEntry > math.MaxUint32 || o.autoPurge < 0 {
		return nil, fmt.Errorf("%w: max entry size %d, autopurge %d", ErrInvalid, o.maxEntry, o.autoPurge)
	}
	if dir == "" {
		return nil, fmt.Errorf("%w: no directory", ErrInvalid)
	}
	logDir := dir
	if o.logDir != "" && filepath.Clean(o.logDir) != filepath.Clean(dir) {
		logDir = o.logDir
	}
	if err := mkdirDurable(o.fs, dir); err != nil {
		return nil, err
	}
	names, err := o.fs.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	if logDir != dir {
		if err := checkDataDir(dir, names, logDir); err != nil {
			return nil, err
		}
		if err := mkdirDurable(o.fs, logDir); err != nil {
			return nil, err
		}
		if err := checkLogDir(o.fs, dir, logDir); err != nil {
			return nil, err
		}
	}
	for _, n := range names { // leftovers of writes a crash interrupted
		if strings.HasSuffix(n, ".tmp") {
			if err := o.fs.Remove(filepath.Join(dir, n)); err != nil && !isNotExist(err) {
				return nil, err
			}
		}
	}
	ep, err := loadEpochs(o.fs, dir)
	if err != nil {
		return nil, err
	}
	l, err := openLog(o.fs, logDir, o.logger, o.segSize, o.maxEntry)
	if err != nil {
		return nil, err
	}
	return &Disk{dir: dir, logDir: logDir, fs: o.fs, logger: o.logger, opts: o, log: l, epochs: ep}, nil
}

// mkdirDurable creates dir and its missing parents, then fsyncs the parent
// of each directory it created (outermost first): until then a crash could
// lose a new directory, and every file synced inside it.
func mkdirDurable(fsys FS, dir string) error {
	var created []string
	for d := filepath.Clean(dir); ; {
		if _, err := fsys.ReadDir(d); err == nil || !isNotExist(err) {
			break
		}
		created = append(created, d)
		p := filepath.Dir(d)
		if p == d {
			break
		}
		d = p
	}
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := len(created) - 1; i >= 0; i-- {
		if err := fsys.SyncDir(filepath.Dir(created[i])); err != nil {
			return err
		}
	}
	return nil
}

// checkDataDir refuses log segments among the data directory's names when
// the log has a directory of its own.
func checkDataDir(dir string, names []string, logDir string) error {
	for _, n := range names {
		if _, ok := parseSegName(n); ok {
			return fmt.Errorf("%w: data directory %s holds log segments (%s) but the log directory is %s: check the data and log directory settings (move the segments if the log directory changed)",
				ErrInvalid, dir, n, logDir)
		}
	}
	return nil
}

// checkLogDir refuses snapshots or an epochs file in a separate log
// directory.
func checkLogDir(fsys FS, dir, logDir string) error {
	names, err := fsys.ReadDir(logDir)
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, ok := parseSnapName(n); ok || n == epochsName {
			return fmt.Errorf("%w: log directory %s holds %s, which belongs in the data directory %s: check the data and log directory settings",
				ErrInvalid, logDir, n, dir)
		}
	}
	return nil
}

// Dir is the directory of the snapshots and epochs.
func (d *Disk) Dir() string { return d.dir }

// LogDir is the directory of the log segments (Dir unless WithLogDir).
func (d *Disk) LogDir() string { return d.logDir }

// Append implements Log.
func (d *Disk) Append(entries ...Entry) error { return d.log.Append(entries...) }

// Sync implements Log (group commit).
func (d *Disk) Sync(ctx context.Context) error { return d.log.Sync(ctx) }

// TruncateAfter implements Log.
func (d *Disk) TruncateAfter(zxid int64) error { return d.log.TruncateAfter(zxid) }

// Entries implements Log.
func (d *Disk) Entries(from, to int64) ([]Entry, error) { return d.log.Entries(from, to) }

// FirstZxid implements Log.
func (d *Disk) FirstZxid() int64 { return d.log.FirstZxid() }

// LastZxid implements Log.
func (d *Disk) LastZxid() int64 { return d.log.LastZxid() }

// Epochs implements StableStore.
func (d *Disk) Epochs() (Epochs, error) {
	d.emu.Lock()
	defer d.emu.Unlock()
	return d.epochs, nil
}

// SetEpochs implements StableStore: temp file, fsync, rename, fsync dir.
func (d *Disk) SetEpochs(e Epochs) error {
	d.emu.Lock()
	defer d.emu.Unlock()
	if e.Accepted < 0 || e.Current < 0 {
		return fmt.Errorf("%w: epochs %+v", ErrInvalid, e)
	}
	if err := writeFileAtomic(d.fs, d.dir, epochsName, encodeEpochs(e)); err != nil {
		return err
	}
	d.epochs = e
	return nil
}

// Stats are counters for monitoring and benchmarks.
type Stats struct {
	Appended int64 // entries appended since Open
	Fsyncs   int64 // log fsyncs since Open
}

// Stats returns counters since Open.
func (d *Disk) Stats() Stats {
	return Stats{Appended: d.log.appends.Load(), Fsyncs: d.log.fsyncs.Load()}
}

// SaveSnapshot implements SnapshotStore. It starts a new log segment first,
// so older segments can be purged once the snapshot is old enough.
func (d *Disk) SaveSnapshot(ctx context.Context, zxid int64, write func(io.Writer) error) error {
	d.snapMu.Lock()
	defer d.snapMu.Unlock()
	if err := d.log.Roll(); err != nil {
		return err
	}
	if _, err := writeSnapshot(ctx, d.fs, d.dir, zxid, 0, write); err != nil {
		return err
	}
	return d.autoPurgeLocked()
}

// InstallSnapshot implements SnapshotStore.
func (d *Disk) InstallSnapshot(ctx context.Context, zxid int64, write func(io.Writer) error) error {
	d.snapMu.Lock()
	defer d.snapMu.Unlock()
	if _, err := writeSnapshot(ctx, d.fs, d.dir, zxid, snapInstalled, write); err != nil {
		return err
	}
	if err := d.log.reset(zxid); err != nil {
		return err
	}
	return d.autoPurgeLocked()
}

func (d *Disk) autoPurgeLocked() error {
	if d.opts.autoPurge == 0 {
		return nil
	}
	return d.purgeLocked(d.opts.autoPurge)
}

// OpenSnapshot implements SnapshotStore.
func (d *Disk) OpenSnapshot() (SnapshotMeta, io.ReadCloser, error) {
	zxids, err := listSnapshots(d.fs, d.dir)
	if err != nil {
		return SnapshotMeta{}, nil, err
	}
	for i := len(zxids) - 1; i >= 0; i-- {
		meta, rc, err := openSnapshotFile(d.fs, d.dir, zxids[i])
		if err == nil {
			return meta, rc, nil
		}
		if isNotExist(err) { // purged meanwhile
			continue
		}
		if !errors.Is(err, ErrCorrupt) {
			return meta, nil, err
		}
		d.logger.Warn("storage: snapshot failed verification, trying an older one", "zxid", fmt.Sprintf("%#x", zxids[i]), "err", err)
	}
	return SnapshotMeta{}, nil, ErrNoSnapshot
}

// Snapshots implements SnapshotStore.
func (d *Disk) Snapshots() ([]SnapshotMeta, error) {
	zxids, err := listSnapshots(d.fs, d.dir)
	if err != nil {
		return nil, err
	}
	out := make([]SnapshotMeta, 0, len(zxids))
	for _, z := range zxids {
		meta := SnapshotMeta{Zxid: z}
		if f, err := d.fs.OpenFile(filepath.Join(d.dir, snapName(z)), os.O_RDONLY, 0); err == nil {
			h := make([]byte, snapHeaderSize)
			if size, err := f.Size(); err == nil {
				meta.Size = max(size-snapHeaderSize-snapTrailerSize, 0)
			}
			if _, err := f.ReadAt(h, 0); err == nil {
				meta.Installed = binary.BigEndian.Uint32(h[16:])&snapInstalled != 0
			}
			_ = f.Close()
		}
		out = append(out, meta)
	}
	return out, nil
}

// Purge implements SnapshotStore. Kept snapshots are not verified.
func (d *Disk) Purge(keep int) error {
	d.snapMu.Lock()
	defer d.snapMu.Unlock()
	return d.purgeLocked(keep)
}

func (d *Disk) purgeLocked(keep int) error {
	if keep < 1 {
		return fmt.Errorf("%w: purge must keep at least one snapshot, not %d", ErrInvalid, keep)
	}
	zxids, err := listSnapshots(d.fs, d.dir)
	if err != nil {
		return err
	}
	if len(zxids) == 0 {
		return nil
	}
	if len(zxids) > keep {
		for _, z := range zxids[:len(zxids)-keep] { // oldest first
			if err := d.fs.Remove(filepath.Join(d.dir, snapName(z))); err != nil && !isNotExist(err) {
				return err
			}
		}
		if err := d.fs.SyncDir(d.dir); err != nil {
			return err
		}
		zxids = zxids[len(zxids)-keep:]
	}
	return d.log.purgeThrough(zxids[0])
}

// Close implements Storage.
func (d *Disk) Close() error { return d.log.close() }
