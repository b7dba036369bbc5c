package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// The epochs file: magic "ZBKE" | version u32 (1) | accepted i64 |
// current i64 | crc32c u32 of the 24 bytes before.
const (
	epochsName = "epochs"
	epochsSize = 28
)

func encodeEpochs(e Epochs) []byte {
	b := make([]byte, epochsSize)
	copy(b, "ZBKE")
	binary.BigEndian.PutUint32(b[4:], 1)
	binary.BigEndian.PutUint64(b[8:], uint64(e.Accepted))
	binary.BigEndian.PutUint64(b[16:], uint64(e.Current))
	binary.BigEndian.PutUint32(b[24:], crc32.Checksum(b[:24], castagnoli))
	return b
}

func decodeEpochs(b []byte) (Epochs, error) {
	if len(b) != epochsSize || string(b[:4]) != "ZBKE" || binary.BigEndian.Uint32(b[4:]) != 1 ||
		crc32.Checksum(b[:24], castagnoli) != binary.BigEndian.Uint32(b[24:]) {
		return Epochs{}, fmt.Errorf("%w: epochs file damaged", ErrCorrupt)
	}
	return Epochs{Accepted: int64(binary.BigEndian.Uint64(b[8:])), Current: int64(binary.BigEndian.Uint64(b[16:]))}, nil
}

// loadEpochs reads the epochs file; a missing file means zero epochs.
func loadEpochs(fsys FS, dir string) (Epochs, error) {
	f, err := fsys.OpenFile(filepath.Join(dir, epochsName), os.O_RDONLY, 0)
	if isNotExist(err) {
		return Epochs{}, nil
	}
	if err != nil {
		return Epochs{}, err
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return Epochs{}, err
	}
	if size != epochsSize {
		return Epochs{}, fmt.Errorf("%w: epochs file has %d bytes", ErrCorrupt, size)
	}
	b := make([]byte, epochsSize)
	if _, err := f.ReadAt(b, 0); err != nil && err != io.EOF {
		return Epochs{}, err
	}
	return decodeEpochs(b)
}

// writeFileAtomic durably replaces dir/name with data: write a temp file,
// fsync it, rename it over name, fsync the directory.
func writeFileAtomic(fsys FS, dir, name string, data []byte) error {
	tmp := filepath.Join(dir, name+".tmp")
	f, err := fsys.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fsys.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	return fsys.SyncDir(dir)
}
