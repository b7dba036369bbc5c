package registry

import (
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// ErrNoInstances is returned by Provider.Get when no instance is up.
var ErrNoInstances = errors.New("registry: no instance available")

// Strategy picks one instance among the available ones (never empty).
type Strategy interface {
	Pick(available []Instance) Instance
}

// Random picks uniformly at random.
var Random Strategy = randomStrategy{}

// RoundRobin is a strategy that cycles through the instances; create one
// per Provider with NewRoundRobin. The package-level value is shared.
var RoundRobin Strategy = NewRoundRobin()

type randomStrategy struct{}

func (randomStrategy) Pick(a []Instance) Instance { return a[rand.IntN(len(a))] }

type roundRobin struct {
	mu sync.Mutex
	n  int
}

// NewRoundRobin returns a round-robin strategy with its own position.
func NewRoundRobin() Strategy { return &roundRobin{} }

func (r *roundRobin) Pick(a []Instance) Instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := r.n % len(a)
	r.n++
	return a[i]
}

// Sticky returns a strategy that keeps returning the same instance as long
// as it is available, and otherwise asks next for a new one.
func Sticky(next Strategy) Strategy { return &sticky{next: next} }

type sticky struct {
	mu   sync.Mutex
	next Strategy
	id   string
}

func (s *sticky) Pick(a []Instance) Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range a {
		if i.ID == s.id {
			return i
		}
	}
	i := s.next.Pick(a)
	s.id = i.ID
	return i
}

// Provider picks an instance of a cached service, skipping disabled
// instances and those marked down.
type Provider struct {
	list     func() []Instance
	strategy Strategy
	now      func() time.Time

	mu   sync.Mutex
	down map[string]time.Time // id -> until
}

// Provider returns a Provider over the cache with strategy s.
func (ca *Cache) Provider(s Strategy) *Provider {
	return newProvider(ca.Instances, s)
}

func newProvider(list func() []Instance, s Strategy) *Provider {
	return &Provider{list: list, strategy: s, now: time.Now, down: map[string]time.Time{}}
}

// Get returns an instance chosen by the strategy among the enabled ones not
// marked down, or ErrNoInstances.
func (p *Provider) Get() (Instance, error) {
	all := p.list()
	now := p.now()
	p.mu.Lock()
	avail := all[:0:0]
	for _, i := range all {
		if until, ok := p.down[i.ID]; ok {
			if now.Before(until) {
				continue
			}
			delete(p.down, i.ID)
		}
		if !i.Disabled {
			avail = append(avail, i)
		}
	}
	p.mu.Unlock()
	if len(avail) == 0 {
		return Instance{}, ErrNoInstances
	}
	return p.strategy.Pick(avail), nil
}

// MarkDown makes Get skip the instance with id for d (the caller saw it
// fail), as Curator's DownInstancePolicy does.
func (p *Provider) MarkDown(id string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down[id] = p.now().Add(d)
}
