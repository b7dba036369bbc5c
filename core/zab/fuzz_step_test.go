package zab

import (
	"testing"
)

// decodeScript turns fuzz bytes into a sequence of plausible messages
// (small ids, epochs and counters) so that the fuzzer reaches deep states.
func decodeScript(b []byte) []Message {
	var out []Message
	for len(b) >= 8 {
		c := b[:8]
		b = b[8:]
		m := Message{
			Type:          MsgType(c[0]%uint8(msgTypeEnd-1) + 1),
			From:          uint64(c[1]%4 + 1),
			Epoch:         uint32(c[2] % 3),
			Zxid:          MakeZxid(uint32(c[3]%3), uint32(c[4]%5)),
			Prev:          MakeZxid(uint32(c[3]%3), uint32(c[4]%5)) - Zxid(c[5]%2),
			Commit:        MakeZxid(uint32(c[5]%3), uint32(c[6]%5)),
			ID:            uint64(c[6] % 3),
			Reject:        c[7]&1 != 0,
			Leader:        uint64(c[7]%4 + 1),
			ElectionEpoch: uint64(c[2] % 4),
			PeerEpoch:     uint32(c[5] % 3),
			State:         State(c[6]%4 + 1),
		}
		if c[7]&2 != 0 {
			m.Data = []byte{c[0], c[1]}
		}
		out = append(out, m)
	}
	return out
}

// FuzzStep feeds arbitrary message sequences to a follower and to a
// leader: Step never panics and the node's state stays consistent.
func FuzzStep(f *testing.F) {
	f.Add([]byte("01234567abcdefgh"))
	f.Add([]byte{byte(MsgDiff - 1), 2, 1, 0, 0, 0, 0, 0, byte(MsgProposal - 1), 2, 1, 1, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, mk := range []func(*testing.T) *single{
			func(t *testing.T) *single { return newFollowerOf(t, 3, 3) },
			func(t *testing.T) *single { return newEstablishedLeader(t, 3) },
		} {
			s := mk(t)
			for i, m := range decodeScript(b) {
				if m.From == s.n.id {
					continue
				}
				_ = s.try(m)
				if i%3 == 0 {
					s.n.Tick()
				}
				if i%2 == 0 {
					_, _ = s.n.Propose([]byte("p"))
					_ = s.n.ReadBarrier(uint64(i))
				}
				s.drain()
				st := s.n.Status()
				if st.Commit > st.LastZxid || st.Applied > st.Commit || st.CurrentEpoch > st.AcceptedEpoch {
					t.Fatalf("inconsistent status after %s: %+v", m, st)
				}
				logged := map[Zxid]string{}
				for _, e := range s.logged {
					logged[e.Zxid] = string(e.Data)
				}
				for i, e := range s.applied {
					if d, ok := logged[e.Zxid]; !ok || d != string(e.Data) {
						t.Fatalf("applied %s which is not in the durable log", e.Zxid)
					}
					if i > 0 && e.Zxid <= s.applied[i-1].Zxid {
						t.Fatalf("applied %s after %s", e.Zxid, s.applied[i-1].Zxid)
					}
				}
				prev := s.n.log.base
				for _, e := range s.n.log.entries {
					if !follows(prev, e.Zxid) {
						t.Fatalf("log gap %s after %s", e.Zxid, prev)
					}
					prev = e.Zxid
				}
			}
		}
	})
}
