package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
)

// Recover implements Storage. The newest snapshot that passes its checksum
// is used (older ones are fallbacks); the log must join it: the snapshot's
// zxid is the log's base or one of its entries. Otherwise:
//   - a log that ends before the snapshot is reset to it (its entries are
//     all covered), with a warning;
//   - an installed snapshot whose log reset a crash interrupted discards
//     the stale log, with a warning;
//   - anything else (a gap, a log that does not contain the snapshot's zxid)
//     is ErrCorrupt.
func (d *Disk) Recover(ctx context.Context, restore func(SnapshotMeta, io.Reader) error, apply func(Entry) error) (Recovered, error) {
	d.snapMu.Lock()
	defer d.snapMu.Unlock()
	var rec Recovered
	rec.Epochs, _ = d.Epochs()

	meta, rc, err := d.OpenSnapshot()
	switch {
	case errors.Is(err, ErrNoSnapshot):
		if base := d.log.base(); base != 0 {
			return rec, fmt.Errorf("%w: no valid snapshot, and the log starts after %#x", ErrCorrupt, base)
		}
	case err != nil:
		return rec, err
	default:
		defer rc.Close()
		if err := d.joinLog(meta); err != nil {
			return rec, err
		}
		if err := restore(meta, rc); err != nil {
			return rec, err
		}
		rec.Snapshot = meta
	}
	rec.LastZxid = meta.Zxid
	err = d.log.scan(meta.Zxid+1, math.MaxInt64, func(e Entry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := apply(e); err != nil {
			return err
		}
		rec.Replayed++
		rec.LastZxid = e.Zxid
		return nil
	})
	return rec, err
}

// joinLog checks that the log continues the snapshot, repairing the cases
// a crash can leave (see Recover).
func (d *Disk) joinLog(meta SnapshotMeta) error {
	s := meta.Zxid
	base, last := d.log.base(), d.log.LastZxid()
	if s == base {
		return nil
	}
	if s > last {
		d.logger.Warn("storage: log ends before the snapshot; starting the log after it",
			"snapshot", fmt.Sprintf("%#x", s), "log_last", fmt.Sprintf("%#x", last))
		return d.log.reset(s)
	}
	if s < base {
		return fmt.Errorf("%w: snapshot %#x is older than the log's start %#x (missing segments)", ErrCorrupt, s, base)
	}
	es, err := d.log.Entries(s, s)
	if err != nil {
		return err
	}
	if len(es) == 1 {
		return nil
	}
	if meta.Installed {
		d.logger.Warn("storage: discarding a log that predates an installed snapshot",
			"snapshot", fmt.Sprintf("%#x", s), "log_last", fmt.Sprintf("%#x", last))
		return d.log.reset(s)
	}
	return fmt.Errorf("%w: the log does not contain the snapshot's zxid %#x (log %#x..%#x)", ErrCorrupt, s, base, last)
}
