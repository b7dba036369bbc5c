package queue

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/zabkit/zabkit/recipes/internal/zktest"
)

var simpleName = regexp.MustCompile(`^qn-\d{10}$`)

// Items come out in the order offered; the nodes are Curator's qn-<seq>
// holding the raw bytes.
func TestSimpleQueueIsFIFOWithCuratorsLayout(t *testing.T) {
	ctx := zktest.Ctx(t)
	path := zktest.Root(t) + "/q"
	c := zktest.Dial(t)
	q := NewSimple(c, path)
	if _, err := q.Peek(ctx); !errors.Is(err, ErrEmpty) {
		t.Fatalf("Peek on a missing queue: %v, want ErrEmpty", err)
	}
	if _, err := q.Poll(ctx); !errors.Is(err, ErrEmpty) {
		t.Fatalf("Poll on a missing queue: %v, want ErrEmpty", err)
	}
	for i := range 5 {
		if err := q.Offer(ctx, []byte(fmt.Sprint("item-", i))); err != nil {
			t.Fatal(err)
		}
	}
	kids, _, err := c.Children(ctx, path)
	if err != nil || len(kids) != 5 {
		t.Fatalf("children %v, %v", kids, err)
	}
	for _, k := range kids {
		if !simpleName.MatchString(k) {
			t.Fatalf("node %q is not qn-<10 digits>", k)
		}
		if data, _, err := c.Get(ctx, path+"/"+k); err != nil || !regexp.MustCompile(`^item-\d$`).Match(data) {
			t.Fatalf("node %s holds %q, %v: want the raw item", k, data, err)
		}
	}
	// A foreign node is skipped, as Curator skips it.
	if _, _, err := c.Create(ctx, path+"/aaa-foreign", nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := q.Peek(ctx); err != nil || string(got) != "item-0" {
		t.Fatalf("Peek = %q, %v", got, err)
	}
	for i := range 5 {
		var got []byte
		var err error
		if i%2 == 0 {
			got, err = q.Poll(ctx)
		} else {
			got, err = q.Take(ctx)
		}
		if err != nil || string(got) != fmt.Sprint("item-", i) {
			t.Fatalf("item %d: %q, %v", i, got, err)
		}
	}
	if _, err := q.Poll(ctx); !errors.Is(err, ErrEmpty) {
		t.Fatalf("Poll on an empty queue: %v, want ErrEmpty", err)
	}
}

// Take waits for an item offered later (the queue's node does not even
// exist yet), and returns ctx's error when ctx ends first.
func TestSimpleTakeWaitsForOffer(t *testing.T) {
	ctx := zktest.Ctx(t)
	path := zktest.Root(t) + "/q"
	q := NewSimple(zktest.Dial(t), path)
	sctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := q.Take(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Take with an ending ctx: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		b, err := q.Take(ctx)
		if err != nil {
			t.Errorf("Take: %v", err)
		}
		got <- string(b)
	}()
	if err := NewSimple(zktest.Dial(t), path).Offer(ctx, []byte("late")); err != nil {
		t.Fatal(err)
	}
	if s := zktest.Wait(t, got, 20*time.Second, "Take"); s != "late" {
		t.Fatalf("Take = %q", s)
	}
}

// Concurrent producers and consumers: every item is taken exactly once.
func TestSimpleQueueConcurrentConsumersTakeEachItemOnce(t *testing.T) {
	ctx := zktest.Ctx(t)
	path := zktest.Root(t) + "/q"
	const producers, consumers, each = 3, 3, 20
	seen := make(map[string]int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for p := range producers {
		q := NewSimple(zktest.Dial(t), path)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := q.Offer(ctx, []byte(fmt.Sprintf("p%d-%d", p, i))); err != nil {
					t.Errorf("Offer: %v", err)
					return
				}
			}
		}()
	}
	total := producers * each
	taken := make(chan struct{}, total)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var cwg sync.WaitGroup
	for range consumers {
		q := NewSimple(zktest.Dial(t), path)
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			for {
				b, err := q.Take(cctx)
				if err != nil {
					if cctx.Err() == nil {
						t.Errorf("Take: %v", err)
					}
					return
				}
				mu.Lock()
				seen[string(b)]++
				mu.Unlock()
				taken <- struct{}{}
			}
		}()
	}
	wg.Wait()
	for range total {
		zktest.Wait(t, taken, 30*time.Second, "every item to be taken")
	}
	cancel()
	cwg.Wait()
	checkOnce(t, seen, producers, each)
}

// checkOnce asserts seen holds p<i>-<j> exactly once for every producer i
// and item j.
func checkOnce(t *testing.T, seen map[string]int, producers, each int) {
	t.Helper()
	if len(seen) != producers*each {
		t.Errorf("%d distinct items taken, want %d", len(seen), producers*each)
	}
	for p := range producers {
		for i := range each {
			if n := seen[fmt.Sprintf("p%d-%d", p, i)]; n != 1 {
				t.Errorf("item p%d-%d taken %d times", p, i, n)
			}
		}
	}
}
