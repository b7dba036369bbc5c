package zab

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func sampleMessages() []Message {
	return []Message{
		{Type: MsgNotification, From: 1, To: 2, Leader: 3, Zxid: MakeZxid(2, 7), ElectionEpoch: 9, PeerEpoch: 2, State: StateLooking},
		{Type: MsgFollowerInfo, From: 2, To: 3, Epoch: 4, Zxid: MakeZxid(4, 1)},
		{Type: MsgAckEpoch, From: 2, To: 3, Epoch: 5, PeerEpoch: 4, Zxid: MakeZxid(4, 1), Reject: true},
		{Type: MsgProposal, From: 3, To: 2, Epoch: 5, Zxid: MakeZxid(5, 2), Prev: MakeZxid(5, 1), Data: []byte("txn")},
		{Type: MsgSnap, From: 3, To: 2, Epoch: 5, Zxid: MakeZxid(5, 2), Data: bytes.Repeat([]byte{7}, 1000)},
		{Type: MsgNewLeader, From: 3, To: 2, Epoch: 5, Zxid: MakeZxid(5, 2), Commit: MakeZxid(5, 1)},
		{Type: MsgReadResponse, From: 3, To: 2, Epoch: 5, ID: 1<<63 + 5, Zxid: MakeZxid(5, 2)},
		{Type: MsgFollowerInfo, From: 2, To: 3, Epoch: 4, Zxid: MakeZxid(4, 1), ElectionEpoch: 12},
		{Type: MsgNoSession, From: 3, To: 2, Epoch: 4, ElectionEpoch: 12},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		b := m.Marshal()
		require.Len(t, b, m.Size())
		var got Message
		require.NoError(t, got.Unmarshal(b))
		require.Equal(t, m, got, "%s", m)
		require.Equal(t, b, got.Marshal(), "deterministic encoding")
	}
}

func TestUnmarshalRejectsBadInput(t *testing.T) {
	good := sampleMessages()[3].Marshal()
	cases := map[string][]byte{
		"empty":          nil,
		"short":          good[:headerSize-1],
		"truncated data": good[:len(good)-1],
		"trailing bytes": append(append([]byte{}, good...), 0),
	}
	bad := func(i int, v byte) []byte { b := append([]byte{}, good...); b[i] = v; return b }
	cases["version"] = bad(0, 9)
	cases["type 0"] = bad(1, 0)
	cases["type too big"] = bad(1, byte(msgTypeEnd))
	cases["flags"] = bad(1+1+8+8+4+8+8+8+8, 2)
	cases["state"] = bad(headerSize-5, 9)
	huge := append([]byte{}, good...)
	copy(huge[headerSize-4:], []byte{0xff, 0xff, 0xff, 0xff})
	cases["huge length"] = huge
	for name, b := range cases {
		var m Message
		err := m.Unmarshal(b)
		require.ErrorIs(t, err, ErrMalformed, name)
		require.Equal(t, Message{}, m, "%s: output untouched", name)
	}
}

func TestMessageStrings(t *testing.T) {
	for _, m := range sampleMessages() {
		require.NotEmpty(t, m.String())
	}
	require.Equal(t, "MsgType(99)", MsgType(99).String())
	require.True(t, MsgProposal.LeaderToLearner())
	require.False(t, MsgAck.LeaderToLearner())
	require.False(t, MsgNotification.LeaderToLearner())
	require.Equal(t, "State(?)", State(9).String())
	require.Equal(t, "5:2", MakeZxid(5, 2).String())
	for s := StateLooking; s <= StateObserving; s++ {
		require.NotContains(t, s.String(), "?")
	}
}

// FuzzMessageUnmarshal: decoding never panics, and whatever decodes
// re-encodes to the same bytes.
func FuzzMessageUnmarshal(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(m.Marshal())
	}
	f.Add([]byte{})
	f.Add([]byte{1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		if err := m.Unmarshal(b); err != nil {
			return
		}
		if !bytes.Equal(m.Marshal(), b) {
			t.Fatalf("re-encoding differs for %s", m)
		}
	})
}
