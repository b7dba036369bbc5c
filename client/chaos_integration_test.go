package client_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/ensemble/ensembletest"
)

// TestIntegrationWatchesSurviveConnectionCuts: a reader follows a node with
// one-shot data watches while a writer updates it and the reader's
// connections are cut every few writes (an ensemble/bridge link). Changes made while the reader is
// disconnected fire its watch after the reconnect (SetWatches from its last
// zxid), so it never waits forever and ends up reading the final value.
func TestIntegrationWatchesSurviveConnectionCuts(t *testing.T) {
	srv := testServers(t)
	link := ensembletest.Link(t, srv)
	reader := dialTest(t, link.Servers())
	writer := dialTest(t, srv)
	ctx := testCtx(t)
	root := testRoot(t, writer)
	p := root + "/n"
	if _, _, err := writer.Create(ctx, p, []byte("0"), client.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	const last = 60
	writerDone := make(chan struct{})
	defer func() { <-writerDone }()
	go func() {
		defer close(writerDone)
		for i := 1; i <= last; i++ {
			if _, err := writer.Set(ctx, p, []byte(strconv.Itoa(i)), client.AnyVersion); err != nil {
				t.Errorf("write %d: %v", i, err)
				return
			}
			if i%7 == 0 {
				link.Cut()
				link.Heal()
			}
		}
	}()
	prev := -1
	for {
		data, _, ch, err := reader.GetW(ctx, p)
		if errors.Is(err, client.ErrConnectionLoss) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		v, _ := strconv.Atoi(string(data))
		if v < prev {
			t.Fatalf("read %d after %d: the reader went back in time", v, prev)
		}
		prev = v
		if v == last {
			break
		}
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		select {
		case <-ch:
		case <-wctx.Done():
			cancel()
			t.Fatalf("watch set at value %d never fired", v)
		}
		cancel()
	}
	if reader.Err() != nil {
		t.Fatal(reader.Err())
	}
}
