package election

import (
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fence checks at most one leader at a time through fencing tokens: a term
// whose token is not greater than the last accepted one means two leaders.
//
// With loose set, overlapping terms are allowed: under faults a deposed
// leader learns of its loss only after a while, which is what fencing
// tokens are for; the tokens must still increase.
type fence struct {
	loose  bool
	mu     sync.Mutex
	last   int64
	inside int
	terms  []int64
}

func (f *fence) enter(t *testing.T, token int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inside++
	if f.inside > 1 && !f.loose {
		t.Errorf("%d leaders at once", f.inside)
	}
	if token <= f.last {
		t.Errorf("term token %d not greater than the previous %d", token, f.last)
	}
	f.last = token
	f.terms = append(f.terms, token)
}

func (f *fence) leave() {
	f.mu.Lock()
	f.inside--
	f.mu.Unlock()
}

func (f *fence) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.terms)
}
