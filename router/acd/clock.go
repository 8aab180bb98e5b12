package acd

import (
	"sync"
	"time"
)

// Clock is the time source of the acd's timers and timestamps (injectable
// for tests: ManualClock).
type Clock interface {
	Now() time.Time
	// At returns a channel that receives once the clock reaches t (at once
	// when t is past), and a function that stops it.
	At(t time.Time) (<-chan time.Time, func())
}

// WallClock is the real time.
type WallClock struct{}

// Now implements Clock.
func (WallClock) Now() time.Time { return time.Now() }

// At implements Clock.
func (WallClock) At(t time.Time) (<-chan time.Time, func()) {
	tm := time.NewTimer(time.Until(t))
	return tm.C, func() { tm.Stop() }
}

// ManualClock is a Clock that moves only when told (Advance, Set): tests
// drive wrap-up, max-wait and offer timers without sleeping.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters map[*manualWaiter]struct{}
}

type manualWaiter struct {
	at time.Time
	c  chan time.Time
}

// NewManualClock starts at t.
func NewManualClock(t time.Time) *ManualClock {
	return &ManualClock{now: t, waiters: map[*manualWaiter]struct{}{}}
}

// Now implements Clock.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// At implements Clock.
func (c *ManualClock) At(t time.Time) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := &manualWaiter{at: t, c: make(chan time.Time, 1)}
	if !t.After(c.now) {
		w.c <- c.now
		return w.c, func() {}
	}
	c.waiters[w] = struct{}{}
	return w.c, func() {
		c.mu.Lock()
		delete(c.waiters, w)
		c.mu.Unlock()
	}
}

// Advance moves the clock forward by d and fires the timers now due.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for w := range c.waiters {
		if !w.at.After(c.now) {
			w.c <- c.now
			delete(c.waiters, w)
		}
	}
}
