package znode

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zabkit/zabkit/wire"
)

// TestConcurrentReadsWithWatches runs reads that set watches from several
// goroutines under a read lock while one goroutine applies txns under the
// write lock, the locking the package documents; run with -race. Every
// reader's one-shot watch on /hot must fire exactly once per setData it
// saw coming, so no event is lost between a read and its watch.
func TestConcurrentReadsWithWatches(t *testing.T) {
	h := newHarness(t)
	h.create("/hot", 0)
	var mu sync.RWMutex
	const readers, rounds = 4, 200
	fired := make([]int, readers)
	var wg sync.WaitGroup
	ready := make(chan struct{})
	done := make(chan struct{})
	// Every reader sets a watch, then the writer applies one setData and
	// hands out the events; rounds are lock-stepped with channels.
	perRound := make([]chan struct{}, readers)
	for i := range perRound {
		perRound[i] = make(chan struct{})
	}
	armed := make(chan int, readers)
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			me := &conn{fmt.Sprint(r)}
			for i := 0; i < rounds; i++ {
				mu.RLock()
				_, _, err := h.tree.GetData("/hot", nil, me)
				_, _, _ = h.tree.Children("/", nil, nil)
				_, _ = h.tree.AllChildrenNumber("/", nil)
				mu.RUnlock()
				if err != nil {
					t.Error(err) // keep the lock-step going
				}
				armed <- r
				<-perRound[r]
			}
		}(r)
	}
	close(ready)
	go func() {
		defer close(done)
		<-ready
		for i := 0; i < rounds; i++ {
			for j := 0; j < readers; j++ {
				<-armed
			}
			mu.Lock()
			res, err := h.do(1, nil, wire.OpSetData, &wire.SetDataRequest{Path: "/hot", Version: -1})
			mu.Unlock()
			if err != nil {
				t.Error(err)
			}
			for _, e := range res.Events {
				for _, w := range e.Watchers {
					var n int
					fmt.Sscan(w.(*conn).name, &n)
					fired[n]++
				}
			}
			for j := 0; j < readers; j++ {
				perRound[j] <- struct{}{}
			}
		}
	}()
	wg.Wait()
	<-done
	for r, n := range fired {
		require.Equal(t, rounds, n, "reader %d", r)
	}
}
