package config

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/zabkit/zabkit/client"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

func TestGetSetCASDelete(t *testing.T) {
	ctx := zktest.Ctx(t)
	cc := New(zktest.Dial(t), zktest.Root(t)+"/config")
	if _, err := cc.Get(ctx, "db/url"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing: %v", err)
	}
	v1, err := cc.Set(ctx, "db/url", []byte("one"), Absent)
	if err != nil || v1.Version != 0 {
		t.Fatalf("Set Absent = %+v %v", v1, err)
	}
	if _, err := cc.Set(ctx, "db/url", []byte("x"), Absent); !errors.Is(err, ErrConflict) {
		t.Fatalf("Set Absent on existing: %v, want ErrConflict", err)
	}
	v2, err := cc.Set(ctx, "db/url", []byte("two"), v1.Version)
	if err != nil || v2.Version != 1 || v2.Mzxid <= v1.Mzxid {
		t.Fatalf("CAS = %+v %v", v2, err)
	}
	if _, err := cc.Set(ctx, "db/url", []byte("stale"), v1.Version); !errors.Is(err, ErrConflict) {
		t.Fatalf("CAS with a stale version: %v, want ErrConflict", err)
	}
	if _, err := cc.Set(ctx, "db/missing", []byte("x"), 3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("CAS on a missing key: %v, want ErrNotFound", err)
	}
	got, err := cc.Get(ctx, "db/url")
	if err != nil || string(got.Data) != "two" || got.Version != 1 {
		t.Fatalf("Get = %+v %v", got, err)
	}
	if _, err := cc.Set(ctx, "other", []byte("any"), AnyVersion); err != nil {
		t.Fatalf("upsert: %v", err)
	}
	if err := cc.Delete(ctx, "db/url", 0); !errors.Is(err, ErrConflict) {
		t.Fatalf("Delete stale version: %v", err)
	}
	if err := cc.Delete(ctx, "db/url", 1); err != nil {
		t.Fatal(err)
	}
	if err := cc.Delete(ctx, "db/url", AnyVersion); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete twice: %v", err)
	}
	for _, k := range []string{"", "/a", "a/", "a//b", "a/../b", "."} {
		if _, err := cc.Get(ctx, k); !errors.Is(err, ErrBadKey) {
			t.Errorf("Get(%q) = %v, want ErrBadKey", k, err)
		}
	}
}

type limits struct {
	MaxConns int      `json:"maxConns"`
	Hosts    []string `json:"hosts"`
}

func TestJSON(t *testing.T) {
	ctx := zktest.Ctx(t)
	cc := New(zktest.Dial(t), zktest.Root(t))
	in := limits{MaxConns: 7, Hosts: []string{"a", "b"}}
	v, err := SetJSON(ctx, cc, "limits", in, AnyVersion)
	if err != nil {
		t.Fatal(err)
	}
	out, v2, err := GetJSON[limits](ctx, cc, "limits")
	if err != nil || out.MaxConns != 7 || !slices.Equal(out.Hosts, in.Hosts) || v2.Version != v.Version {
		t.Fatalf("GetJSON = %+v %+v %v", out, v2, err)
	}
	if _, err := cc.Set(ctx, "limits", []byte("{not json"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, _, err := GetJSON[limits](ctx, cc, "limits"); err == nil {
		t.Fatal("GetJSON of invalid JSON succeeded")
	}
}

// waitValue reads a Watch stream until it delivers want (nil: deleted).
func waitValue(t *testing.T, ch <-chan Value, want []byte) Value {
	t.Helper()
	for {
		v, ok := <-ch
		if !ok {
			t.Fatalf("watch closed while waiting for %q", want)
		}
		if (want == nil && v.Deleted) || (want != nil && !v.Deleted && string(v.Data) == string(want)) {
			return v
		}
	}
}

func TestWatchEndsOnLatest(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	writer := New(zktest.Dial(t), base)
	reader := New(zktest.Dial(t), base)
	wctx, stop := context.WithCancel(ctx)
	ch := reader.Watch(wctx, "k")
	waitValue(t, ch, nil) // missing at first
	var last Value
	for i := range 20 {
		v, err := writer.Set(ctx, "k", []byte(fmt.Sprint(i)), AnyVersion)
		if err != nil {
			t.Fatal(err)
		}
		last = v
	}
	got := waitValue(t, ch, []byte("19"))
	if got.Mzxid != last.Mzxid || got.Version != last.Version {
		t.Fatalf("latest delivered %+v, want %+v", got, last)
	}
	if err := writer.Delete(ctx, "k", AnyVersion); err != nil {
		t.Fatal(err)
	}
	waitValue(t, ch, nil)
	stop()
	for range ch {
	}
}

func TestCacheLocalReads(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	cc := New(zktest.Dial(t), base)
	if _, err := cc.Set(ctx, "a", []byte("1"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	cache, err := cc.NewCache(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	if v, ok := cache.Get("a"); !ok || string(v.Data) != "1" || cache.Stale() {
		t.Fatalf("cached a = %+v %v stale %v", v, ok, cache.Stale())
	}
	if _, err := cc.Set(ctx, "b/c", []byte("2"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	waitCached(t, cache, "b/c", "2")
	if keys := cache.Keys("b/"); !slices.Equal(keys, []string{"b/c"}) {
		t.Fatalf("Keys(b/) = %v", keys)
	}
}

// waitCached waits until the cache holds want at key.
func waitCached(t *testing.T, cache *Cache, key, want string) {
	t.Helper()
	for {
		if v, ok := cache.Get(key); ok && string(v.Data) == want {
			return
		}
		zktest.Wait(t, cache.Changed(), 20*time.Second, fmt.Sprintf("the cache to hold %s=%q", key, want))
	}
}

// Fault: the watcher's session expires (its Conn has renewal), while
// watching and while idle, and the key changes after.
// Expectation: the Watch continues on the new session and delivers the
// latest value; Set and Get work on the new session.
func TestFaultWatchSessionExpired(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	writer := New(zktest.Dial(t), base)
	rc := zktest.Dial(t, client.WithSessionRenewal(true))
	reader := New(rc, base)
	if _, err := writer.Set(ctx, "k", []byte("before"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	ch := reader.Watch(wctx, "k")
	waitValue(t, ch, []byte("before"))
	zktest.Expire(t, rc)
	if _, err := writer.Set(ctx, "k", []byte("after"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	waitValue(t, ch, []byte("after"))
	if _, err := writer.Set(ctx, "k", []byte("later"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	waitValue(t, ch, []byte("later"))
	stop()
	for range ch {
	}
	// Idle: no Watch; the Center's calls go on on the next session.
	zktest.Expire(t, rc)
	if _, err := reader.Set(ctx, "k", []byte("mine"), AnyVersion); err != nil {
		t.Fatalf("Set after the second expiry: %v", err)
	}
	if v, err := writer.Get(ctx, "k"); err != nil || string(v.Data) != "mine" {
		t.Fatalf("Get = %+v %v", v, err)
	}
	if g := rc.Session().Generation(); g != 3 {
		t.Fatalf("generation %d after two expiries, want 3", g)
	}
}

// Fault: the watcher's session expires on a Conn without renewal.
// Expectation: as before renewal existed: the stream closes rather than
// silently going quiet; a Cache reports Stale and Err (the Conn's error);
// calls fail with ErrSessionLost.
func TestFaultWatchSessionExpiredNoRenewal(t *testing.T) {
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	rc := zktest.Dial(t, client.WithSessionRenewal(false))
	reader := New(rc, base)
	cache, err := reader.NewCache(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	ch := reader.Watch(ctx, "k")
	waitValue(t, ch, nil)
	zktest.Expire(t, rc)
	for range ch {
	}
	for cache.Err() == nil {
		zktest.Wait(t, cache.Changed(), 20*time.Second, "the cache to see the session end")
	}
	if !cache.Stale() || !errors.Is(cache.Err(), client.ErrSessionExpired) {
		t.Fatalf("cache after expiry: stale %v err %v", cache.Stale(), cache.Err())
	}
	if _, err := reader.Get(ctx, "k"); !errors.Is(err, ErrSessionLost) || !errors.Is(err, client.ErrSessionExpired) {
		t.Fatalf("Get after expiry: %v, want ErrSessionLost", err)
	}
}

// Fault: the watcher's server is killed and the key changes while the
// client reconnects. Expectation: the watch (re-registered from the last
// zxid) and the cache (reloaded after the reconnect) both end on the
// latest value, and the cache is not stale any more.
func TestFaultWatchServerKilled(t *testing.T) {
	servers := zktest.Ensemble(t)
	ctx := zktest.Ctx(t)
	base := zktest.Root(t)
	writer := New(zktest.Dial(t), base)
	rc := zktest.Dial(t)
	reader := New(rc, base)
	cache, err := reader.NewCache(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	ch := reader.Watch(wctx, "k")
	waitValue(t, ch, nil)
	victim := zktest.ByAddr(t, servers, rc.Server())
	victim.Kill(t)
	defer victim.Restart(t)
	if _, err := writer.Set(ctx, "k", []byte("during"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	waitValue(t, ch, []byte("during"))
	waitCached(t, cache, "k", "during")
	states := rc.States(ctx)
	for s := range states {
		if s.Connected() {
			break
		}
	}
	if _, err := writer.Set(ctx, "k", []byte("after"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	waitCached(t, cache, "k", "after")
	if cache.Stale() {
		t.Fatal("cache stale after reconnect")
	}
}
