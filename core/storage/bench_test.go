package storage

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRawFsync4K is the baseline: one 4 KiB write and one fdatasync
// per operation, into a preallocated file, as a log without group commit
// would do.
func BenchmarkRawFsync4K(b *testing.B) {
	for _, prealloc := range []string{"sparse", "zeroed"} {
		b.Run(prealloc, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "raw"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			size := int64(b.N+1) * 4096
			if prealloc == "sparse" {
				err = f.Truncate(size)
			} else {
				_, err = f.WriteAt(make([]byte, size), 0)
			}
			if err == nil {
				err = f.Sync()
			}
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 4096)
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if _, err := f.WriteAt(buf, int64(i)*4096); err != nil {
					b.Fatal(err)
				}
				if err := datasync(f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
		})
	}
}

// BenchmarkGroupCommit4K: P goroutines each append a 4 KiB entry and wait
// for Sync, b.N times in total. Reports appends/s and fsyncs/append.
func BenchmarkGroupCommit4K(b *testing.B) {
	for _, p := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("appenders=%d", p), func(b *testing.B) {
			d, err := Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			ctx := context.Background()
			data := make([]byte, 4096-recHeaderSize)
			var mu sync.Mutex
			var zxid int64
			var left atomic.Int64
			left.Store(int64(b.N))
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range p {
				wg.Go(func() {
					for left.Add(-1) >= 0 {
						mu.Lock()
						zxid++
						err := d.Append(Entry{Zxid: zx(1, zxid), Data: data})
						mu.Unlock()
						if err == nil {
							err = d.Sync(ctx)
						}
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			el := time.Since(start)
			st := d.Stats()
			b.ReportMetric(float64(b.N)/el.Seconds(), "appends/s")
			b.ReportMetric(float64(st.Fsyncs)/float64(b.N), "fsyncs/append")
		})
	}
}

// writeLog fills dir with n synced entries of size bytes each.
func writeLog(b *testing.B, dir string, n, size int) {
	b.Helper()
	d, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, size)
	for i := 1; i <= n; i++ {
		binary.BigEndian.PutUint64(data, uint64(i))
		if err := d.Append(Entry{Zxid: zx(1, int64(i)), Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	if err := d.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	if err := d.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRecover1M: Open and Recover a log of 1,000,000 txns of 100
// bytes (about 116 MB) with no snapshot: checks every segment and replays
// every entry to a no-op apply.
func BenchmarkRecover1M(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	writeLog(b, dir, n, 100)
	b.ResetTimer()
	for range b.N {
		d, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		rec, err := d.Recover(context.Background(), nopRestore, func(Entry) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		if rec.Replayed != n {
			b.Fatalf("replayed %d", rec.Replayed)
		}
		d.Close()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "txns/s")
}

// syntheticTree writes 1,000,000 records shaped like serialized znodes: a
// length-prefixed path (~25 bytes), 32 bytes of data and a 68-byte stat.
// It stands in for core/znode's encoder, which this package does not
// import.
func syntheticTree(n int) func(io.Writer) error {
	return func(w io.Writer) error {
		var rec []byte
		data := make([]byte, 32+68)
		for i := range n {
			rec = rec[:0]
			path := fmt.Appendf(nil, "/app/node-%010d", i)
			rec = binary.BigEndian.AppendUint32(rec, uint32(len(path)))
			rec = append(rec, path...)
			rec = binary.BigEndian.AppendUint32(rec, uint32(len(data)))
			rec = append(rec, data...)
			if _, err := w.Write(rec); err != nil {
				return err
			}
		}
		return nil
	}
}

func readSyntheticTree(r io.Reader) (int, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var hdr [4]byte
	buf := make([]byte, 256)
	n := 0
	for {
		for range 2 {
			if _, err := io.ReadFull(br, hdr[:]); err != nil {
				if err == io.EOF {
					return n, nil
				}
				return n, err
			}
			l := binary.BigEndian.Uint32(hdr[:])
			if _, err := io.ReadFull(br, buf[:l]); err != nil {
				return n, err
			}
		}
		n++
	}
}

// BenchmarkSnapshot1M: SaveSnapshot (write, checksum, fsync, rename) and
// OpenSnapshot plus reading it back (checksum verify, decode of the
// synthetic records) for 1,000,000 znode-like records (about 145 MB).
func BenchmarkSnapshot1M(b *testing.B) {
	const n = 1_000_000
	b.Run("save", func(b *testing.B) {
		d, err := Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		for i := range b.N {
			if err := d.SaveSnapshot(context.Background(), int64(i+1), syntheticTree(n)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("load", func(b *testing.B) {
		d, err := Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		if err := d.SaveSnapshot(context.Background(), 1, syntheticTree(n)); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			meta, rc, err := d.OpenSnapshot()
			if err != nil {
				b.Fatal(err)
			}
			got, err := readSyntheticTree(rc)
			rc.Close()
			if err != nil || got != n {
				b.Fatalf("read %d records: %v", got, err)
			}
			b.SetBytes(meta.Size)
		}
	})
}
