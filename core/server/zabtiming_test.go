package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zabkit/zabkit/core/zab"
)

// TestZabTiming: whatever the tickTime, initLimit and syncLimit keep their
// durations, and the election waits at most ZooKeeper's 200ms to finalize
// and before its first re-send; short ticks keep zab's tick-based defaults.
func TestZabTiming(t *testing.T) {
	for _, tc := range []struct {
		tickTime     time.Duration
		wantTick     time.Duration
		finalize     int
		notify, maxN int
	}{
		{2 * time.Second, 100 * time.Millisecond, 2, 2, 320},
		{time.Second, 100 * time.Millisecond, 2, 2, 160},
		{150 * time.Millisecond, 75 * time.Millisecond, 2, 3, 32},
		{100 * time.Millisecond, 100 * time.Millisecond, 1, 2, 16},
		{10 * time.Millisecond, 10 * time.Millisecond, 1, 2, 16},
	} {
		cfg := DefaultConfig(1)
		cfg.TickTime, cfg.InitLimit, cfg.SyncLimit = tc.tickTime, 10, 5
		zc := zab.DefaultConfig(1)
		tick := applyZabTiming(&zc, cfg)
		require.Equal(t, tc.wantTick, tick, "tickTime %v", tc.tickTime)
		require.Equal(t, 10*tc.tickTime, time.Duration(zc.InitLimit)*tick, "initLimit's duration, tickTime %v", tc.tickTime)
		require.Equal(t, 5*tc.tickTime, time.Duration(zc.SyncLimit)*tick, "syncLimit's duration, tickTime %v", tc.tickTime)
		require.Equal(t, tc.finalize, zc.FinalizeWait, "tickTime %v", tc.tickTime)
		require.Equal(t, tc.notify, zc.NotifyInterval, "tickTime %v", tc.tickTime)
		require.Equal(t, tc.maxN, zc.MaxNotifyInterval, "tickTime %v", tc.tickTime)
		require.LessOrEqual(t, time.Duration(zc.FinalizeWait)*tick, max(electionWait, tc.tickTime))
	}
}
