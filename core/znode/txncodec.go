package znode

import (
	"fmt"

	"github.com/zabkit/zabkit/wire"
)

// MarshalTxn encodes a txn as ZooKeeper's log stores it: the TxnHeader
// followed by the record (nothing for a closeSession without record).
func MarshalTxn(txn Txn) []byte {
	b := wire.Marshal(&txn.Header)
	if txn.Record != nil {
		b = wire.Append(b, txn.Record)
	}
	return b
}

// UnmarshalTxn decodes what MarshalTxn encoded. Malformed input is an
// error matching ErrBadTxn (and the wire sentinel that describes it); it
// never panics.
func UnmarshalTxn(b []byte) (Txn, error) {
	var txn Txn
	rest, err := wire.UnmarshalPrefix(b, &txn.Header)
	if err != nil {
		return Txn{}, fmt.Errorf("%w: header: %w", ErrBadTxn, err)
	}
	if txn.Header.Type == wire.OpCloseSession && len(rest) == 0 {
		return txn, nil
	}
	rec, err := wire.NewTxnRecord(txn.Header.Type)
	if err != nil {
		return Txn{}, fmt.Errorf("%w: %w", ErrBadTxn, err)
	}
	if err := wire.Unmarshal(rest, rec); err != nil {
		return Txn{}, fmt.Errorf("%w: %w", ErrBadTxn, err)
	}
	txn.Record = rec
	return txn, nil
}
