package storage_test

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/zabkit/zabkit/core/storage"
)

// The life of a store: log, sync, snapshot, restart, recover.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "zabkit-storage")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	d, err := storage.Open(dir, storage.WithAutoPurge(3))
	if err != nil {
		panic(err)
	}
	_ = d.SetEpochs(storage.Epochs{Accepted: 1, Current: 1})
	for i := int64(1); i <= 3; i++ {
		_ = d.Append(storage.Entry{Zxid: 1<<32 | i, Data: []byte(fmt.Sprintf("txn %d", i))})
	}
	_ = d.Sync(ctx) // only now may the follower ack
	_ = d.SaveSnapshot(ctx, 1<<32|2, func(w io.Writer) error {
		_, err := io.WriteString(w, "tree after txn 2")
		return err
	})
	_ = d.Close()

	d, err = storage.Open(dir)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	rec, err := d.Recover(ctx, func(meta storage.SnapshotMeta, r io.Reader) error {
		b, err := io.ReadAll(r)
		fmt.Printf("snapshot %#x: %s\n", meta.Zxid, b)
		return err
	}, func(e storage.Entry) error {
		fmt.Printf("replay %#x: %s\n", e.Zxid, e.Data)
		return nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("epochs %+v, last %#x\n", rec.Epochs, rec.LastZxid)
	// Output:
	// snapshot 0x100000002: tree after txn 2
	// replay 0x100000003: txn 3
	// epochs {Accepted:1 Current:1}, last 0x100000003
}

// Mem stands in for Disk in simulations; Crash loses what was not synced.
func ExampleMem() {
	m := storage.NewMem()
	ctx := context.Background()
	_ = m.Append(storage.Entry{Zxid: 1<<32 | 1, Data: []byte("a")})
	_ = m.Sync(ctx)
	_ = m.Append(storage.Entry{Zxid: 1<<32 | 2, Data: []byte("b")})
	m.Crash()
	fmt.Printf("last after crash %#x\n", m.LastZxid())
	// Output:
	// last after crash 0x100000001
}
