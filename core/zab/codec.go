package zab

import (
	"encoding/binary"
	"fmt"
)

// codecVersion is the first byte of every encoded Message.
const codecVersion = 1

// headerSize is the fixed part of an encoded Message.
const headerSize = 1 + 1 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 1 + 8 + 8 + 4 + 1 + 4

// MaxDataSize bounds Message.Data on decode (snapshots included).
const MaxDataSize = 1 << 30

// Size returns the length of m's encoding.
func (m *Message) Size() int { return headerSize + len(m.Data) }

// Marshal encodes m deterministically (big-endian, fixed header, then Data).
func (m *Message) Marshal() []byte {
	return m.AppendMarshal(make([]byte, 0, m.Size()))
}

// AppendMarshal appends m's encoding to b.
func (m *Message) AppendMarshal(b []byte) []byte {
	b = append(b, codecVersion, byte(m.Type))
	b = binary.BigEndian.AppendUint64(b, m.From)
	b = binary.BigEndian.AppendUint64(b, m.To)
	b = binary.BigEndian.AppendUint32(b, m.Epoch)
	b = binary.BigEndian.AppendUint64(b, uint64(m.Zxid))
	b = binary.BigEndian.AppendUint64(b, uint64(m.Prev))
	b = binary.BigEndian.AppendUint64(b, uint64(m.Commit))
	b = binary.BigEndian.AppendUint64(b, m.ID)
	var flags byte
	if m.Reject {
		flags |= 1
	}
	b = append(b, flags)
	b = binary.BigEndian.AppendUint64(b, m.Leader)
	b = binary.BigEndian.AppendUint64(b, m.ElectionEpoch)
	b = binary.BigEndian.AppendUint32(b, m.PeerEpoch)
	b = append(b, byte(m.State))
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Data)))
	return append(b, m.Data...)
}

// Unmarshal decodes a Message produced by Marshal. It returns an error
// wrapping ErrMalformed for any input that is not exactly one valid
// encoding; it never panics. Data is copied out of b.
func (m *Message) Unmarshal(b []byte) error {
	if len(b) < headerSize {
		return fmt.Errorf("%w: %d bytes, need at least %d", ErrMalformed, len(b), headerSize)
	}
	if b[0] != codecVersion {
		return fmt.Errorf("%w: unknown version %d", ErrMalformed, b[0])
	}
	var out Message
	out.Type = MsgType(b[1])
	if !out.Type.valid() {
		return fmt.Errorf("%w: unknown message type %d", ErrMalformed, b[1])
	}
	p := b[2:]
	u64 := func() uint64 { v := binary.BigEndian.Uint64(p); p = p[8:]; return v }
	u32 := func() uint32 { v := binary.BigEndian.Uint32(p); p = p[4:]; return v }
	out.From = u64()
	out.To = u64()
	out.Epoch = u32()
	out.Zxid = Zxid(u64())
	out.Prev = Zxid(u64())
	out.Commit = Zxid(u64())
	out.ID = u64()
	flags := p[0]
	p = p[1:]
	if flags&^1 != 0 {
		return fmt.Errorf("%w: unknown flags %#x", ErrMalformed, flags)
	}
	out.Reject = flags&1 != 0
	out.Leader = u64()
	out.ElectionEpoch = u64()
	out.PeerEpoch = u32()
	out.State = State(p[0])
	p = p[1:]
	if out.State != 0 && !out.State.valid() {
		return fmt.Errorf("%w: unknown state %d", ErrMalformed, out.State)
	}
	n := u32()
	if n > MaxDataSize {
		return fmt.Errorf("%w: data length %d exceeds %d", ErrMalformed, n, MaxDataSize)
	}
	if uint64(len(p)) != uint64(n) {
		return fmt.Errorf("%w: data length %d but %d bytes remain", ErrMalformed, n, len(p))
	}
	if n > 0 {
		out.Data = append([]byte(nil), p...)
	}
	*m = out
	return nil
}
