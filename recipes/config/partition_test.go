package config

import (
	"context"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// Fault: an application is cut off from the majority (every
// zktest.Partition kind) while the key changes on the majority.
// Expectation: its Cache says Stale while cut off, and keeps serving the
// old value locally; once healed (within the session timeout, same
// session) the Cache holds the new value and is no longer stale, and the
// Watch ends on the new value.
func TestFaultCacheAndWatchPartitioned(t *testing.T) {
	zktest.Partitions(t, testCacheAndWatchPartitioned)
}

func testCacheAndWatchPartitioned(t *testing.T, p *zktest.Partition) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	writer := New(zktest.Dial(t), base)
	if _, err := writer.Set(ctx, "db/url", []byte("old"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	ac := p.Dial(t, client.WithSessionTimeout(zktest.SurvivingSessionTimeout))
	app := New(ac, base)
	cache, err := app.NewCache(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	waitCached(t, cache, "db/url", "old")
	watch := app.Watch(ctx, "db/url")
	if v := zktest.Wait(t, watch, 20*time.Second, "the watch's first value"); string(v.Data) != "old" {
		t.Fatalf("first watched value %q, want old", v.Data)
	}

	p.Cut(t)
	for !cache.Stale() {
		zktest.Wait(t, cache.Changed(), 20*time.Second, "the cut-off cache to turn stale")
	}
	if _, err := writer.Set(ctx, "db/url", []byte("new"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	if v, ok := cache.Get("db/url"); !ok || string(v.Data) != "old" {
		t.Fatalf("stale cache reads %q %v, want the old value", v.Data, ok)
	}

	p.Heal(t)
	waitCached(t, cache, "db/url", "new")
	for cache.Stale() {
		zktest.Wait(t, cache.Changed(), 20*time.Second, "the healed cache to be current")
	}
	for {
		v, ok := <-watch
		if !ok {
			t.Fatal("the watch ended before delivering the new value")
		}
		if string(v.Data) == "new" {
			break
		}
		if string(v.Data) != "old" {
			t.Fatalf("watched value %q", v.Data)
		}
	}
	if ac.Err() != nil {
		t.Fatalf("the session did not survive the partition: %v", ac.Err())
	}
}

// Fault: an application whose Conn has renewal is cut off (every
// zktest.Partition kind) until the servers expire its session, and the key
// changes meanwhile. Expectation: after the heal the Conn has a new
// session; the Watch goes on and delivers the new value, and the Cache
// holds it and is current again.
func TestFaultCacheAndWatchExpiredWhileCut(t *testing.T) {
	zktest.Partitions(t, func(t *testing.T, p *zktest.Partition) {
		ctx := zktest.Ctx(t)
		base := zktest.Root(t)
		wc := zktest.Dial(t)
		writer := New(wc, base)
		if _, err := writer.Set(ctx, "db/url", []byte("old"), AnyVersion); err != nil {
			t.Fatal(err)
		}
		ac := p.Dial(t, client.WithSessionRenewal(true))
		marker := base + "/marker"
		if _, _, err := ac.Create(ctx, marker, nil, client.ModeEphemeral, nil); err != nil {
			t.Fatal(err)
		}
		app := New(ac, base)
		cache, err := app.NewCache(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer cache.Close()
		watch := app.Watch(ctx, "db/url")
		waitValue(t, watch, []byte("old"))

		p.Cut(t)
		waitGone(t, ctx, wc, marker) // the session expired on the servers
		if _, err := writer.Set(ctx, "db/url", []byte("new"), AnyVersion); err != nil {
			t.Fatal(err)
		}
		p.Heal(t)
		waitValue(t, watch, []byte("new"))
		waitCached(t, cache, "db/url", "new")
		for cache.Stale() {
			zktest.Wait(t, cache.Changed(), 20*time.Second, "the cache to be current on the new session")
		}
		if _, ok := cache.Get("marker"); ok {
			t.Fatal("the expired session's ephemeral node is still cached")
		}
		if g := ac.Session().Generation(); g < 2 || cache.Err() != nil {
			t.Fatalf("generation %d, cache error %v", g, cache.Err())
		}
		if _, err := writer.Set(ctx, "db/url", []byte("later"), AnyVersion); err != nil {
			t.Fatal(err)
		}
		waitValue(t, watch, []byte("later"))
		waitCached(t, cache, "db/url", "later")
	})
}

// waitGone waits, with a watch, until p does not exist.
func waitGone(t testing.TB, ctx context.Context, w *client.Conn, p string) {
	t.Helper()
	for {
		ok, _, ch, err := w.ExistsW(ctx, p)
		if client.IsRetryable(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("%s still exists", p)
		}
	}
}
