package arisim

import (
	"testing"
	"time"
)

// A step that takes the lock after a timer fell due sees the timer's
// effect, even when the scheduler goroutine has not had the lock yet. This
// is the cause of 09's rare failure under load: GET /channels right after
// the answer saw the caller half still in Wait(0) (priority 4) because the
// zero-delay timer that moves it to Wait(60) had not run.
func TestLockRunsTimersThatFellDueBeforeTheStep(t *testing.T) {
	s := newTestServer(t, Options{TimeScale: 1})
	var order []string
	s.lock()
	scheduled := s.now()
	s.after(0, func() {
		order = append(order, "zero")
		s.after(0, func() { order = append(order, "chained") })
	})
	s.after(time.Hour, func() { order = append(order, "hour") })
	s.unlock()

	// The test goroutine takes the lock straight back, before the scheduler
	// goroutine (woken by after) can: without the catch-up in lock the
	// timers would still be pending here.
	s.lock()
	got := append([]string(nil), order...)
	stepAt := s.now()
	s.unlock()
	if len(got) != 2 || got[0] != "zero" || got[1] != "chained" {
		t.Fatalf("timers run before the step: %v, want [zero chained] (the hour timer not yet)", got)
	}
	if stepAt.Before(scheduled) {
		t.Fatalf("step at %v is before the timers' instant %v", stepAt, scheduled)
	}
}

// A timer run by a request's catch-up still happens at its own sim time,
// not the request's: sim durations stay exact however late it runs.
func TestCaughtUpTimerRunsAtItsScheduledSimTime(t *testing.T) {
	s := newTestServer(t, Options{TimeScale: 1})
	var at, due time.Time
	s.lock()
	due = s.now()
	s.after(0, func() { at = s.now() })
	s.unlock()
	s.lock()
	got := at
	s.unlock()
	if !got.Equal(due) {
		t.Fatalf("timer ran at sim %v, scheduled for %v", got, due)
	}
}

// A frozen clock (the broadcast replays) moves only when advanced: a step
// taken after advancing to t happens at exactly t, timers due by then ran
// at their own sim times in order, and a later one is still pending. This
// is what makes 17's claim land 22 ms after the hang-up, inside
// StasisBroadcast's 200 ms check gap, on a loaded machine.
func TestFrozenClockMovesOnlyWhenAdvanced(t *testing.T) {
	s := newTestServer(t, Options{TimeScale: 0.001}) // unfrozen, 1 s real = 1000 s sim
	start := s.freezeClock()
	var ran []time.Duration
	s.lock()
	for _, d := range []time.Duration{300, 100, 200} {
		s.after(d*time.Millisecond, func() { ran = append(ran, s.now().Sub(start)) })
	}
	s.unlock()

	s.advanceClockTo(start.Add(222 * time.Millisecond))
	s.lock()
	at := s.now().Sub(start)
	got := append([]time.Duration(nil), ran...)
	s.unlock()
	if at != 222*time.Millisecond {
		t.Fatalf("step after advancing to 222ms happens at %v", at)
	}
	if len(got) != 2 || got[0] != 100*time.Millisecond || got[1] != 200*time.Millisecond {
		t.Fatalf("timers run by 222ms: %v, want [100ms 200ms] (300ms still pending)", got)
	}
	s.advanceClockTo(start.Add(100 * time.Millisecond)) // never back
	s.advanceClockTo(start.Add(300 * time.Millisecond))
	s.lock()
	defer s.unlock()
	if len(ran) != 3 || ran[2] != 300*time.Millisecond || s.now().Sub(start) != 300*time.Millisecond {
		t.Fatalf("after advancing to 300ms: timers %v, now %v", ran, s.now().Sub(start))
	}
}
