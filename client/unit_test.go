package client

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/zabkit/zabkit/wire"
)

func TestParseConnectString(t *testing.T) {
	for _, tc := range []struct {
		in      string
		servers []string
		chroot  string
		bad     bool
	}{
		{in: "127.0.0.1:2181", servers: []string{"127.0.0.1:2181"}},
		{in: "a:1,b:2/app/x", servers: []string{"a:1", "b:2"}, chroot: "/app/x"},
		{in: "a,b:5", servers: []string{"a:2181", "b:5"}},
		{in: "[::1]:7,::1", servers: []string{"[::1]:7", "[::1]:2181"}},
		{in: "a:1/", servers: []string{"a:1"}},
		{in: "a:1/app/", bad: true},
		{in: "/app", bad: true},
		{in: "", bad: true},
	} {
		servers, chroot, err := parseConnectString(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parse(%q) = %v %q, want an error", tc.in, servers, chroot)
			}
			continue
		}
		if err != nil || !slices.Equal(servers, tc.servers) || chroot != tc.chroot {
			t.Errorf("parse(%q) = %v %q %v, want %v %q", tc.in, servers, chroot, err, tc.servers, tc.chroot)
		}
	}
}

func TestValidatePath(t *testing.T) {
	for _, p := range []string{"/", "/a", "/a/b.c", "/a/..b", "/a/.b", "/ü"} {
		if err := validatePath(p, false); err != nil {
			t.Errorf("validatePath(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"", "a", "/a/", "//a", "/a//b", "/a/./b", "/a/../b", "/.", "/a/..", "/a\x00b", "/a\x01"} {
		if err := validatePath(p, false); !errors.Is(err, ErrBadArguments) {
			t.Errorf("validatePath(%q) = %v, want ErrBadArguments", p, err)
		}
	}
	if err := validatePath("/a/", true); err != nil {
		t.Errorf("sequential path with trailing slash: %v", err)
	}
}

func TestChrootPaths(t *testing.T) {
	c := &Conn{chroot: "/app"}
	for in, want := range map[string]string{"/": "/app", "/x": "/app/x"} {
		if got := c.serverPath(in); got != want {
			t.Errorf("serverPath(%q) = %q", in, got)
		}
	}
	for in, want := range map[string]string{"/app": "/", "/app/x": "/x", "/apple": "/apple", "/other": "/other"} {
		if got := c.clientPath(in); got != want {
			t.Errorf("clientPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUUIDAndProtectedNames(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		u := NewUUID()
		if !re.MatchString(u) || seen[u] {
			t.Fatalf("NewUUID() = %q (dup %v)", u, seen[u])
		}
		seen[u] = true
	}
	id := "8b4e3c0e-5f7a-4c1d-9e2b-0123456789ab"
	name := ProtectedName(id, "lock-") + "0000000007"
	if name != "_c_8b4e3c0e-5f7a-4c1d-9e2b-0123456789ab-lock-0000000007" {
		t.Fatalf("ProtectedName = %q", name)
	}
	if !IsProtected(name) || StripProtected(name) != "lock-0000000007" {
		t.Fatalf("IsProtected/StripProtected(%q) = %v %q", name, IsProtected(name), StripProtected(name))
	}
	if got, ok := ProtectedID(name); !ok || got != id {
		t.Fatalf("ProtectedID = %q %v", got, ok)
	}
	for _, n := range []string{"lock-0000000001", "_c_short-lock", ""} {
		if IsProtected(n) || StripProtected(n) != n {
			t.Errorf("%q seen as protected", n)
		}
	}
}

func TestStreamNeverDropsAndKeepsOrder(t *testing.T) {
	var wg sync.WaitGroup
	spawn := func(f func()) bool { wg.Add(1); go func() { defer wg.Done(); f() }(); return true }
	stop := make(chan struct{})
	s := newStream[int](spawn, stop, nil)
	const n = 10000
	for i := range n { // nobody reads yet: push must not block
		if !s.push(i) {
			t.Fatal("push refused")
		}
	}
	s.finish()
	if s.push(-1) {
		t.Fatal("push after finish accepted")
	}
	i := 0
	for v := range s.out {
		if v != i {
			t.Fatalf("got %d, want %d", v, i)
		}
		i++
	}
	if i != n {
		t.Fatalf("received %d values, want %d", i, n)
	}
	wg.Wait()

	// An abandoned stream closes at once and refuses pushes.
	s = newStream[int](spawn, stop, nil)
	s.push(1)
	close(stop)
	wg.Wait()
	if s.push(2) {
		t.Fatal("push to an abandoned stream accepted")
	}
}

func TestWatchRouting(t *testing.T) {
	m := newWatchManager()
	var wg sync.WaitGroup
	spawn := func(f func()) bool { wg.Add(1); go func() { defer wg.Done(); f() }(); return true }
	stop := make(chan struct{})
	defer func() { close(stop); wg.Wait() }()
	one := func(kind watchKind, p string) chan Event {
		ch := make(chan Event, 1)
		m.register(&watchReg{kind: kind, path: p, ch: ch}, wire.CodeOK)
		return ch
	}
	pers := func(kind watchKind, p string) *Watch {
		w := &Watch{path: p, serverPath: p, s: newStream[Event](spawn, stop, nil)}
		m.register(&watchReg{kind: kind, path: p, pw: w}, wire.CodeOK)
		return w
	}
	data, child := one(watchData, "/a"), one(watchChild, "/a")
	p := pers(watchPersistent, "/a")
	r := pers(watchRecursive, "/")

	m.trigger(EventNodeChildrenChanged, "/a", "/a")
	m.trigger(EventNodeDataChanged, "/a/b", "/a/b")
	m.trigger(EventNodeDeleted, "/a", "/a")
	m.closeAll()

	if ev := <-child; ev != (Event{EventNodeChildrenChanged, "/a"}) {
		t.Fatalf("child watch got %+v", ev)
	}
	if ev := <-data; ev != (Event{EventNodeDeleted, "/a"}) {
		t.Fatalf("data watch got %+v", ev)
	}
	var gotP, gotR []Event
	for ev := range p.Events() {
		gotP = append(gotP, ev)
	}
	for ev := range r.Events() {
		gotR = append(gotR, ev)
	}
	wantP := []Event{{EventNodeChildrenChanged, "/a"}, {EventNodeDeleted, "/a"}}
	wantR := []Event{{EventNodeDataChanged, "/a/b"}, {EventNodeDeleted, "/a"}}
	if !slices.Equal(gotP, wantP) || !slices.Equal(gotR, wantR) {
		t.Fatalf("persistent got %+v, recursive got %+v", gotP, gotR)
	}
}

func TestRetry(t *testing.T) {
	ctx := context.Background()
	fast := WithRetryBackOff(func() backoff.BackOff { return &constBackOff{} })
	calls := 0
	err := Retry(ctx, func(context.Context) error {
		calls++
		if calls < 3 {
			return opError("get", "/a", ErrConnectionLoss)
		}
		return nil
	}, fast)
	if err != nil || calls != 3 {
		t.Fatalf("Retry = %v after %d calls", err, calls)
	}
	calls = 0
	err = Retry(ctx, func(context.Context) error { calls++; return opError("get", "/a", ErrNoNode) }, fast)
	if !errors.Is(err, ErrNoNode) || calls != 1 {
		t.Fatalf("Retry on ErrNoNode = %v after %d calls", err, calls)
	}
	calls = 0
	err = Retry(ctx, func(context.Context) error { calls++; return ErrSessionExpired }, fast)
	if !errors.Is(err, ErrSessionExpired) || calls != 1 {
		t.Fatalf("Retry on expiry = %v after %d calls", err, calls)
	}
	v, err := RetryValue(ctx, func(context.Context) (int, error) { return 7, nil })
	if v != 7 || err != nil {
		t.Fatalf("RetryValue = %d %v", v, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	calls = 0
	err = Retry(cctx, func(context.Context) error {
		calls++
		cancel()
		return ErrConnectionLoss
	}, WithRetryBackOff(func() backoff.BackOff { return backoff.NewConstantBackOff(time.Hour) }))
	if !errors.Is(err, ErrConnectionLoss) || calls != 1 {
		t.Fatalf("Retry after cancel = %v after %d calls", err, calls)
	}
}

// TestCreateProtectedFindsNodeAfterLostReply: the server applies the
// create but the connection breaks before the reply; CreateProtected must
// find the node by its GUID and owner instead of creating a second one.
func TestCreateProtectedFindsNodeAfterLostReply(t *testing.T) {
	s := newFakeServer(t)
	var mu sync.Mutex
	var nodes []string // names created under /locks
	creates := 0
	s.setHandler(func(fc *fakeConn, hdr wire.RequestHeader, body []byte) {
		mu.Lock()
		defer mu.Unlock()
		switch hdr.Op {
		case wire.OpCreate2:
			var req wire.CreateRequest
			_ = wire.Unmarshal(body, &req)
			creates++
			name := req.Path[len("/locks/"):] + "0000000003"
			nodes = append(nodes, name)
			fc.nc.Close() // applied, reply lost
		case wire.OpGetChildren2:
			kids := append([]string{"_c_00000000-0000-4000-8000-000000000000-lock-0000000001", "lock-0000000002"}, nodes...)
			fc.reply(hdr.Xid, wire.CodeOK, &wire.GetChildren2Response{Children: kids})
		case wire.OpExists:
			fc.reply(hdr.Xid, wire.CodeOK, &wire.ExistsResponse{Stat: wire.Stat{EphemeralOwner: s.sessionID, Czxid: 9}})
		default:
			defaultHandle(fc, hdr, body)
		}
	})
	c := dialFake(t, []*fakeServer{s})
	p, st, err := c.CreateProtected(bg(t), "/locks/lock-", []byte("x"), ModeEphemeralSequential, nil,
		WithRetryBackOff(func() backoff.BackOff { return &constBackOff{} }))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if creates != 1 || len(nodes) != 1 || p != "/locks/"+nodes[0] || st.Czxid != 9 {
		t.Fatalf("CreateProtected = %q %+v after %d creates (nodes %v)", p, st, creates, nodes)
	}
	if !IsProtected(nodes[0]) || StripProtected(nodes[0]) != "lock-0000000003" {
		t.Fatalf("created name %q is not protected", nodes[0])
	}
}

func TestRemoveLocalWatches(t *testing.T) {
	s := newFakeServer(t)
	c := dialFake(t, []*fakeServer{s})
	ctx := bg(t)
	_, _, dataCh, err := c.GetW(ctx, "/a")
	if err != nil {
		t.Fatal(err)
	}
	_, _, childCh, err := c.ChildrenW(ctx, "/a")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveLocalWatches("/a", WatcherChildren); err != nil {
		t.Fatal(err)
	}
	if ev := <-childCh; ev != (Event{EventChildWatchRemoved, "/a"}) {
		t.Fatalf("child watch got %+v", ev)
	}
	if err := c.RemoveLocalWatches("/a", WatcherChildren); !errors.Is(err, ErrNoWatcher) {
		t.Fatalf("second removal = %v, want ErrNoWatcher", err)
	}
	if err := c.RemoveLocalWatches("/a", WatcherAny); err != nil {
		t.Fatal(err)
	}
	if ev := <-dataCh; ev != (Event{EventDataWatchRemoved, "/a"}) {
		t.Fatalf("data watch got %+v", ev)
	}
}
