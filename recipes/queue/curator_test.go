package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/recipes/internal/curatortest"
	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

// The interop tests run Apache Curator's queues (testdata/curator/
// Queues.java) beside the Go queues on the same path, through curatortest
// (skipped without Java and Curator's jars).

const interopItems = 12

// goTaker takes n items of kind from path with the Go recipe.
func goTaker(t *testing.T, kind, path, lockPath string, n int) []string {
	t.Helper()
	ctx := zktest.Ctx(t)
	c := zktest.Dial(t)
	if kind == "simple" {
		q := NewSimple(c, path)
		var got []string
		for range n {
			b, err := q.Take(ctx)
			if err != nil {
				t.Fatalf("Take: %v", err)
			}
			got = append(got, string(b))
		}
		return got
	}
	var opts []Option
	if lockPath != "" {
		opts = append(opts, WithLockPath(lockPath))
	}
	take := map[string]func(context.Context, Handler) error{
		"queue":    New(c, path, opts...).Take,
		"priority": NewPriority(c, path, opts...).Take,
		"delay":    NewDelay(c, path, opts...).Take,
	}[kind]
	return collect(t, n, take)
}

// goPut puts items <prefix>-i of kind on path as Queues.java's producer
// does (priority i%3; due i seconds before now).
func goPut(t *testing.T, kind, path, prefix string, n int) {
	t.Helper()
	ctx := zktest.Ctx(t)
	c := zktest.Dial(t)
	now := time.Now()
	for i := range n {
		item := []byte(fmt.Sprintf("%s-%d", prefix, i))
		var err error
		switch kind {
		case "simple":
			err = NewSimple(c, path).Offer(ctx, item)
		case "queue":
			err = New(c, path).Put(ctx, item)
		case "priority":
			err = NewPriority(c, path).Put(ctx, int32(i%3), item)
		case "delay":
			err = NewDelay(c, path).Put(ctx, now.Add(-time.Duration(i)*time.Second), item)
		}
		if err != nil {
			t.Fatalf("put %s: %v", item, err)
		}
	}
}

// wantOrder is the order in which items <prefix>-i of kind come out.
func wantOrder(kind, prefix string, n int) []string {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	switch kind {
	case "priority":
		slices.SortStableFunc(idx, func(a, b int) int { return a%3 - b%3 })
	case "delay":
		slices.Reverse(idx)
	}
	out := make([]string, n)
	for i, j := range idx {
		out[i] = fmt.Sprintf("%s-%d", prefix, j)
	}
	return out
}

func gotLines(t *testing.T, lines []string) []string {
	t.Helper()
	var got []string
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if f[0] == "got" && len(f) == 2 {
			got = append(got, f[1])
		}
	}
	return got
}

// Java produces, Go consumes, and the reverse, for every queue kind (a
// safe consumer with a lock path for the DistributedQueue kinds): every
// item arrives once, in the kind's order (FIFO, priority, due time), and
// the queue is left empty.
func TestCuratorQueuesBothWays(t *testing.T) {
	j := curatortest.New(t)
	for _, kind := range []string{"simple", "queue", "priority", "delay"} {
		t.Run(kind, func(t *testing.T) {
			root := zktest.Root(t)
			lock, javaLock := "", "-"
			if kind != "simple" {
				lock, javaLock = root+"/locks", root+"/locks"
			}

			j.Run(t, "Queues", zktest.Servers(t), "produce", kind, root+"/j2g", "java", fmt.Sprint(interopItems))
			if got, want := goTaker(t, kind, root+"/j2g", lock, interopItems), wantOrder(kind, "java", interopItems); !slices.Equal(got, want) {
				t.Errorf("Go took %v from Java, want %v", got, want)
			}

			goPut(t, kind, root+"/g2j", "go", interopItems)
			lines := j.Run(t, "Queues", zktest.Servers(t), "consume", kind, root+"/g2j", javaLock, fmt.Sprint(interopItems))
			if got, want := gotLines(t, lines), wantOrder(kind, "go", interopItems); !slices.Equal(got, want) {
				t.Errorf("Java took %v from Go, want %v", got, want)
			}
			c := zktest.Dial(t)
			for _, p := range []string{root + "/j2g", root + "/g2j"} {
				if kids := children(t, c, p); len(kids) != 0 {
					t.Errorf("%s: items left %v", p, kids)
				}
			}
		})
	}
}

// Java and Go producers fill one DistributedQueue; a Go and a Java safe
// consumer then share it and its lock path. The Go consumer holds its
// first item (the head) until Java has handled one, so Java must skip the
// item Go has locked. Expectation: every item is handled exactly once
// across both, each side handles some, and no lock node is left.
func TestCuratorQueueMixedSafeConsumers(t *testing.T) {
	j := curatortest.New(t)
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	path, lock := root+"/q", root+"/locks"
	producer := j.Start(t, "Queues", zktest.Servers(t), "produce", "queue", path, "p0", fmt.Sprint(interopItems))
	goPut(t, "queue", path, "p1", interopItems)
	if err := producer.Wait(ctx); err != nil {
		t.Fatalf("Java producer: %v", err)
	}

	seen := make(map[string]int)
	var mu sync.Mutex
	total := 2 * interopItems
	handled := make(chan string, total)
	javaGot := make(chan struct{})
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	consumerDone := make(chan error, 1)
	first := true
	go func() {
		consumerDone <- New(zktest.Dial(t), path, WithLockPath(lock)).Consume(cctx, func(ctx context.Context, it []byte) error {
			if first {
				first = false
				select { // hold the head's lock until Java handled another item
				case <-javaGot:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			handled <- "go:" + string(it)
			return nil
		})
	}()
	java := j.Start(t, "Queues", zktest.Servers(t), "consume", "queue", path, lock, "-1")
	go func() {
		once := sync.Once{}
		for l := range java.Lines() {
			if f := strings.Split(l, "\t"); f[0] == "got" && len(f) == 2 {
				handled <- "java:" + f[1]
				once.Do(func() { close(javaGot) })
			}
		}
	}()
	byJava := 0
	for range total {
		who, item, _ := strings.Cut(zktest.Wait(t, handled, 30*time.Second, "every item to be handled"), ":")
		mu.Lock()
		seen[item]++
		mu.Unlock()
		if who == "java" {
			byJava++
		}
	}
	cancel()
	<-consumerDone
	if err := java.Stop(); err != nil {
		t.Errorf("java: %v\n%s", err, java.Stderr())
	}
	checkOnce(t, seen, 2, interopItems)
	if byJava == 0 || byJava == total {
		t.Errorf("Java handled %d of %d items, want both sides to handle some", byJava, total)
	}
	t.Logf("Java handled %d items, Go %d", byJava, total-byJava)
	c := zktest.Dial(t)
	if kids := children(t, c, path); len(kids) != 0 {
		t.Errorf("items left %v", kids)
	}
	if kids := children(t, c, lock); len(kids) != 0 {
		t.Errorf("lock nodes left %v", kids)
	}
}

// A Java safe consumer takes the only item and dies in the middle of it
// (its client closes: session and lock node end) while a Go consumer
// waits. Expectation: the Go consumer does not get the item while Java
// holds it, then gets it at once; nothing is left.
func TestCuratorJavaConsumerDiesGoTakesOver(t *testing.T) {
	j := curatortest.New(t)
	ctx := zktest.Ctx(t)
	root := zktest.Root(t)
	path, lock := root+"/q", root+"/locks"
	if err := New(zktest.Dial(t), path).Put(ctx, []byte("job")); err != nil {
		t.Fatal(err)
	}
	java := j.Start(t, "Queues", zktest.Servers(t), "hold", path, lock)
	if f := java.Expect(ctx, t, "got"); len(f) != 2 || f[1] != "job" {
		t.Fatalf("Java printed %q", f)
	}
	got := make(chan string, 1)
	go func() {
		err := New(zktest.Dial(t), path, WithLockPath(lock)).Take(ctx, func(_ context.Context, it []byte) error {
			got <- string(it)
			return nil
		})
		if err != nil {
			t.Errorf("Go Take: %v", err)
		}
	}()
	bctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := New(zktest.Dial(t), path, WithLockPath(lock)).Take(bctx, func(context.Context, []byte) error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a Go consumer while Java holds the item: %v, want nothing to take", err)
	}
	java.Send(t, "stop")
	t.Log("stop sent")
	java.Expect(ctx, t, "closed")
	t.Log("java closed")
	if s := zktest.Wait(t, got, 30*time.Second, "the Go consumer to take over Java's item"); s != "job" {
		t.Fatalf("Go took %q", s)
	}
	c := zktest.Dial(t)
	if kids := children(t, c, path); len(kids) != 0 {
		t.Errorf("items left %v", kids)
	}
	if kids := children(t, c, lock); len(kids) != 0 {
		t.Errorf("lock nodes left %v", kids)
	}
}
