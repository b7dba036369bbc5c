package zab

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigValidation(t *testing.T) {
	ok := DefaultConfig(1)
	ok.Voters = []uint64{1, 2, 3}
	ok.Observers = []uint64{4}
	_, err := New(ok)
	require.NoError(t, err)

	cases := map[string]func(c *Config){
		"zero id":         func(c *Config) { c.ID = 0 },
		"no voters":       func(c *Config) { c.Voters = nil },
		"peer 0":          func(c *Config) { c.Observers = []uint64{0} },
		"duplicate":       func(c *Config) { c.Observers = []uint64{3} },
		"not a member":    func(c *Config) { c.ID = 9 },
		"notify interval": func(c *Config) { c.NotifyInterval = 0 },
		"max notify":      func(c *Config) { c.MaxNotifyInterval = 1; c.NotifyInterval = 2 },
		"finalize":        func(c *Config) { c.FinalizeWait = -1 },
		"init limit":      func(c *Config) { c.InitLimit = 0 },
		"sync limit":      func(c *Config) { c.SyncLimit = 0 },
		"max counter":     func(c *Config) { c.MaxCounter = 0xffffffff },
		"epochs":          func(c *Config) { c.Storage.HardState = HardState{AcceptedEpoch: 1, CurrentEpoch: 2} },
		"log gap":         func(c *Config) { c.Storage.Entries = []Entry{{Zxid: MakeZxid(1, 2)}} },
		"log before snap": func(c *Config) {
			c.Storage.SnapshotZxid = MakeZxid(1, 3)
			c.Storage.Entries = []Entry{{Zxid: MakeZxid(1, 3)}}
		},
	}
	for name, mutate := range cases {
		c := ok
		c.Voters = []uint64{1, 2, 3}
		c.Observers = []uint64{4}
		mutate(&c)
		_, err := New(c)
		require.ErrorIs(t, err, ErrInvalidConfig, name)
	}
}

func TestRestoreFromStorage(t *testing.T) {
	c := DefaultConfig(1)
	c.Voters = []uint64{1}
	c.Storage = Storage{HardState: HardState{AcceptedEpoch: 3, CurrentEpoch: 3}, SnapshotZxid: MakeZxid(2, 5),
		Entries: []Entry{{Zxid: MakeZxid(3, 1), Data: []byte("a")}}}
	n, err := New(c)
	require.NoError(t, err)
	require.Equal(t, uint64(1), n.ID())
	st := n.Status()
	require.Equal(t, MakeZxid(3, 1), st.LastZxid)
	require.Equal(t, MakeZxid(2, 5), st.Applied, "the snapshot is applied state")
	// A single voter elects itself, takes epoch 4 and commits its log.
	s := &single{t: t, n: n}
	for i := 0; i < 5; i++ {
		n.Tick()
		s.drain()
	}
	st = n.Status()
	require.Equal(t, StateLeading, st.State)
	require.True(t, st.Established)
	require.Equal(t, uint32(4), st.CurrentEpoch)
	require.Equal(t, []Entry{{Zxid: MakeZxid(3, 1), Data: []byte("a")}}, s.applied)
}
