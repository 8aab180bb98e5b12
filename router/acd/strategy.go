package acd

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// Candidate is an agent that can take a call now: available, online, a
// member of the queue, with every skill the call needs.
type Candidate struct {
	ID         string
	IdleSince  time.Time // when it last became available
	CallsTaken int
}

// QueueView is what a strategy may know of the queue it selects for.
type QueueView struct {
	Name string
	// LastOffered is the agent the queue's last offer went to (round_robin).
	LastOffered string
}

// Selector orders the candidates for one call, best first (caddy's
// load-balancing Selector). It must not keep or modify its arguments' backing
// arrays beyond the call; it returns a new slice.
type Selector interface {
	Select(q QueueView, candidates []Candidate) []Candidate
}

// RingsAll is implemented by strategies that offer a call to every
// candidate at once (ring_all): the first to answer wins.
type RingsAll interface {
	RingsAll() bool
}

var (
	selectorsMu sync.RWMutex
	selectors   = map[string]Selector{}
)

// RegisterSelector adds a strategy under name; it panics on a duplicate
// (registration happens in init).
func RegisterSelector(name string, s Selector) {
	selectorsMu.Lock()
	defer selectorsMu.Unlock()
	if _, dup := selectors[name]; dup {
		panic(fmt.Sprintf("acd: strategy %q registered twice", name))
	}
	selectors[name] = s
}

// LookupSelector returns the strategy registered under name.
func LookupSelector(name string) (Selector, bool) {
	selectorsMu.RLock()
	defer selectorsMu.RUnlock()
	s, ok := selectors[name]
	return s, ok
}

// SelectorNames lists the registered strategies, sorted.
func SelectorNames() []string {
	selectorsMu.RLock()
	defer selectorsMu.RUnlock()
	out := make([]string, 0, len(selectors))
	for n := range selectors {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// DefaultStrategy is the strategy of a queue that names none.
const DefaultStrategy = "longest_idle"

func init() {
	RegisterSelector("longest_idle", LongestIdle{})
	RegisterSelector("fewest_calls", FewestCalls{})
	RegisterSelector("round_robin", RoundRobin{})
	RegisterSelector("ring_all", RingAll{})
}

// LongestIdle offers the call to the agent available the longest (ties:
// agent id).
type LongestIdle struct{}

// Select implements Selector.
func (LongestIdle) Select(_ QueueView, cs []Candidate) []Candidate {
	out := slices.Clone(cs)
	slices.SortFunc(out, byIdle)
	return out
}

func byIdle(a, b Candidate) int {
	if c := a.IdleSince.Compare(b.IdleSince); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// FewestCalls offers the call to the agent who took the fewest calls
// (ties: longest idle, then id).
type FewestCalls struct{}

// Select implements Selector.
func (FewestCalls) Select(_ QueueView, cs []Candidate) []Candidate {
	out := slices.Clone(cs)
	slices.SortFunc(out, func(a, b Candidate) int {
		if c := cmp.Compare(a.CallsTaken, b.CallsTaken); c != 0 {
			return c
		}
		return byIdle(a, b)
	})
	return out
}

// RoundRobin offers calls to the agents in turn, by agent id, starting
// after the queue's last offered agent.
type RoundRobin struct{}

// Select implements Selector.
func (RoundRobin) Select(q QueueView, cs []Candidate) []Candidate {
	out := slices.Clone(cs)
	slices.SortFunc(out, func(a, b Candidate) int { return cmp.Compare(a.ID, b.ID) })
	i := sort.Search(len(out), func(i int) bool { return out[i].ID > q.LastOffered })
	return slices.Concat(out[i:], out[:i])
}

// RingAll offers the call to every candidate at once (small teams).
type RingAll struct{}

// Select implements Selector: every candidate, longest idle first.
func (RingAll) Select(q QueueView, cs []Candidate) []Candidate { return LongestIdle{}.Select(q, cs) }

// RingsAll implements RingsAll.
func (RingAll) RingsAll() bool { return true }
