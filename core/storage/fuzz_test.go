package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"testing"
)

func validSegment(prev int64, es ...Entry) []byte {
	b := encodeSegHeader(prev)
	for _, e := range es {
		b = appendRecord(b, e)
	}
	return b
}

// FuzzSegmentReader feeds arbitrary bytes to the segment reader: it returns
// an error or records that re-encode to exactly the bytes it accepted, and
// never panics.
func FuzzSegmentReader(f *testing.F) {
	good := validSegment(zx(1, 0), entry(1, 1), entry(1, 2), entry(2, 1))
	f.Add(good)
	f.Add(append(bytes.Clone(good), make([]byte, 200)...))
	f.Add(good[:len(good)-5])
	f.Add(good[:segHeaderSize])
	f.Add([]byte{})
	torn := bytes.Clone(good)
	torn[len(torn)-1] ^= 1
	f.Add(torn)
	mid := bytes.Clone(good)
	mid[segHeaderSize+recHeaderSize] ^= 1
	f.Add(mid)
	f.Fuzz(func(t *testing.T, b []byte) {
		var got []Entry
		sc, err := scanSegment(bytes.NewReader(b), int64(len(b)), 1<<16, func(e Entry, _ int64) error {
			got = append(got, e)
			return nil
		})
		if err != nil {
			return
		}
		re := validSegment(sc.prev, got...)
		if !bytes.Equal(re[segHeaderSize:], b[segHeaderSize:sc.end]) {
			t.Fatalf("accepted bytes do not re-encode: end %d", sc.end)
		}
		if len(got) != sc.count || (sc.count > 0 && (got[0].Zxid != sc.first || got[len(got)-1].Zxid != sc.last)) {
			t.Fatalf("summary %+v does not match %d records", sc, len(got))
		}
		if !sc.torn && !allZero(b[sc.end:]) {
			t.Fatalf("non-zero bytes after end %d not reported as torn", sc.end)
		}
	})
}

func validSnapshot(zxid int64, payload []byte) []byte {
	fsys := newFaultFS()
	if _, err := writeSnapshot(context.Background(), fsys, "/s", zxid, 0, func(w io.Writer) error {
		_, err := w.Write(payload)
		return err
	}); err != nil {
		panic(err)
	}
	return fsys.bytesOf("/s/" + snapName(zxid))
}

// FuzzSnapshotReader feeds arbitrary bytes to the snapshot verifier: it
// returns an error or a payload whose length is consistent, never panics.
func FuzzSnapshotReader(f *testing.F) {
	good := validSnapshot(zx(3, 4), []byte("some tree bytes"))
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(validSnapshot(0, nil))
	bad := bytes.Clone(good)
	bad[snapHeaderSize] ^= 1
	f.Add(bad)
	f.Add([]byte("ZBKS"))
	f.Fuzz(func(t *testing.T, b []byte) {
		meta, err := verifySnapshot(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		if meta.Size != int64(len(b))-snapHeaderSize-snapTrailerSize || meta.Zxid < 0 {
			t.Fatalf("bad meta %+v for %d bytes", meta, len(b))
		}
		if binary.BigEndian.Uint64(b[len(b)-snapTrailerSize:]) != uint64(meta.Size) {
			t.Fatal("trailer length mismatch accepted")
		}
	})
}

// FuzzEpochs: the epochs decoder errors or round-trips.
func FuzzEpochs(f *testing.F) {
	f.Add(encodeEpochs(Epochs{Accepted: 3, Current: 2}))
	f.Add([]byte("ZBKE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEpochs(b)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeEpochs(e), b) {
			t.Fatal("epochs do not round-trip")
		}
	})
}

// FuzzOpen puts arbitrary bytes after a valid segment as the newest log
// segment and opens and recovers the store: an error or a log whose
// entries start with the valid segment's, never a panic.
func FuzzOpen(f *testing.F) {
	first := []Entry{entry(1, 1), entry(1, 2)}
	f.Add(validSegment(zx(1, 2), entry(2, 1)))
	f.Add([]byte{})
	f.Add(encodeSegHeader(zx(1, 2)))
	f.Add(append(validSegment(zx(1, 2), entry(2, 1)), 1, 2, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys := newFaultFS()
		for name, data := range map[string][]byte{
			"/o/" + segName(0):        validSegment(0, first...),
			"/o/" + segName(zx(1, 2)): b,
		} {
			h, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.WriteAt(data, 0); err != nil {
				t.Fatal(err)
			}
			h.Close()
		}
		d, err := Open("/o", WithFS(fsys), WithSegmentSize(1<<12), WithMaxEntrySize(1<<12))
		if err != nil {
			return
		}
		defer d.Close()
		var got []Entry
		if _, err := d.Recover(context.Background(), func(SnapshotMeta, io.Reader) error { return nil },
			func(e Entry) error { got = append(got, e); return nil }); err != nil {
			return
		}
		if len(got) < 2 || zxids(got[:2]) != zxids(first) {
			t.Fatalf("recovered %s, want it to start with %s", zxids(got), zxids(first))
		}
	})
}
