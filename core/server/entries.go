package server

import (
	"github.com/zabkit/zabkit/core/storage"
	"github.com/zabkit/zabkit/core/zab"
)

// A log entry has two types: zab.Entry, what the protocol replicates
// (core/zab imports nothing of the project), and storage.Entry, what the
// log stores with ZooKeeper's signed 64-bit zxid (core/storage imports
// neither zab nor znode). Only this server knows both; these two functions
// are its only conversions between them.

// storageEntries converts entries of a Ready for storage.Log.Append (the
// data is shared, not copied: Append copies it).
func storageEntries(es []zab.Entry) []storage.Entry {
	out := make([]storage.Entry, len(es))
	for i, e := range es {
		out[i] = storage.Entry{Zxid: int64(e.Zxid), Data: e.Data}
	}
	return out
}

// zabEntry converts an entry read back from storage for zab.Storage.
func zabEntry(e storage.Entry) zab.Entry { return zab.Entry{Zxid: zab.Zxid(e.Zxid), Data: e.Data} }
