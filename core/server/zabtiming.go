package server

import (
	"time"

	"github.com/zabkit/zabkit/core/zab"
)

// maxZabTick is the longest interval at which the driver ticks zab, and
// electionWait is ZooKeeper's finalizeWait: its leader election waits
// 200ms for better votes once a quorum agrees, and re-sends notifications
// from 200ms up, whatever the tickTime.
const (
	maxZabTick   = 100 * time.Millisecond
	electionWait = 200 * time.Millisecond
)

// applyZabTiming sets zc's timers from cfg and returns the interval at
// which zab must be ticked. zab counts time in ticks; ticking it once per
// tickTime (2s by default) would make an election wait seconds where
// ZooKeeper waits 200ms. So a tickTime above maxZabTick is split into k
// zab ticks: initLimit and syncLimit are scaled by k (the same durations),
// and the election's finalize wait and first notification re-send take
// 200ms (never more than the tick-based defaults, which a tickTime of
// maxZabTick or less keeps unchanged).
func applyZabTiming(zc *zab.Config, cfg Config) time.Duration {
	k := int((cfg.TickTime + maxZabTick - 1) / maxZabTick)
	if k < 1 {
		k = 1
	}
	tick := cfg.TickTime / time.Duration(k)
	wait := int((electionWait + tick - 1) / tick)
	d := zab.DefaultConfig(zc.ID)
	zc.InitLimit, zc.SyncLimit = cfg.InitLimit*k, cfg.SyncLimit*k
	zc.FinalizeWait = min(d.FinalizeWait*k, wait)
	zc.NotifyInterval = min(d.NotifyInterval*k, wait)
	zc.MaxNotifyInterval = d.MaxNotifyInterval * k
	return tick
}
