package segmentation

import (
	"sync"
	"time"
)

// breaker opens after a run of consecutive Redis failures and then lets one
// trial request through per cooldown: a dead Redis costs one request per
// cooldown instead of one per call, and the calls keep flowing on the
// degraded answer meanwhile.
type breaker struct {
	mu        sync.Mutex
	threshold int
	cooldown  time.Duration
	failures  int
	open      bool
	openUntil time.Time
	trial     bool // a half-open trial is in flight
}

func newBreaker(threshold int, cooldown time.Duration) *breaker {
	if threshold <= 0 {
		threshold = 5
	}
	if cooldown <= 0 {
		cooldown = 5 * time.Second
	}
	return &breaker{threshold: threshold, cooldown: cooldown}
}

// allow reports whether a request may go to Redis now.
func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return true
	}
	if now.Before(b.openUntil) || b.trial {
		return false
	}
	b.trial = true
	return true
}

// success closes the breaker; it reports whether it was open.
func (b *breaker) success() (wasOpen bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	wasOpen = b.open
	b.failures, b.open, b.trial = 0, false, false
	return wasOpen
}

// failure counts a failure; it reports whether this one opened the breaker.
func (b *breaker) failure(now time.Time) (opened bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	if b.open {
		b.trial = false
		b.openUntil = now.Add(b.cooldown)
		return false
	}
	if b.failures >= b.threshold {
		b.open = true
		b.openUntil = now.Add(b.cooldown)
		return true
	}
	return false
}

// release ends a trial that neither succeeded nor failed (the caller went
// away), so the next request may try again.
func (b *breaker) release() {
	b.mu.Lock()
	b.trial = false
	b.mu.Unlock()
}

func (b *breaker) isOpen() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open
}
