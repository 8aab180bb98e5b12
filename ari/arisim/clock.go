package arisim

import (
	"time"
)

// clock maps simulated time onto real time. A sim duration d takes
// d*scale of real time; sim "now" advances 1/scale times faster than the
// wall clock.
type clock struct {
	scale     float64
	realStart time.Time
	simStart  time.Time
}

func newClock(scale float64) *clock {
	now := time.Now()
	return &clock{scale: scale, realStart: now, simStart: now}
}

// real converts a sim duration into the real duration to wait.
func (c *clock) real(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(float64(d) * c.scale)
}

// now is the current sim time.
func (c *clock) now() time.Time {
	el := time.Since(c.realStart)
	return c.simStart.Add(time.Duration(float64(el) / c.scale))
}

// timer is a cancelable scheduled callback that runs with the server lock
// held. All timers are tracked so Close can stop them and wait for running
// callbacks.
type timer struct {
	t    *time.Timer
	done bool // fired or stopped; guarded by Server.mu
}

// after schedules f to run after the sim duration d with s.mu held.
// It must be called with s.mu held.
func (s *Server) after(d time.Duration, f func()) *timer {
	tm := &timer{}
	if s.closed {
		tm.done = true
		return tm
	}
	s.timerWG.Add(1)
	s.timers[tm] = struct{}{}
	due := s.now().Add(d)
	// Aim at the due time on the wall clock, so a late callback does not
	// delay the timers it schedules.
	tm.t = time.AfterFunc(s.clk.real(due.Sub(s.clk.now())), func() {
		defer s.timerWG.Done()
		s.mu.Lock()
		defer s.mu.Unlock()
		if tm.done {
			return
		}
		tm.done = true
		delete(s.timers, tm)
		if s.closed {
			return
		}
		// The callback happens at its scheduled sim time, however late the
		// real timer fired, so sim durations stay exact.
		s.virt = due
		f()
		s.virt = time.Time{}
	})
	return tm
}

// stop cancels the timer; it must be called with s.mu held.
func (s *Server) stop(tm *timer) {
	if tm == nil || tm.done {
		return
	}
	tm.done = true
	delete(s.timers, tm)
	if tm.t.Stop() {
		s.timerWG.Done()
	}
}

// lock takes the state lock and fixes the sim time of this atomic step:
// everything done under one lock happens at one instant.
func (s *Server) lock() {
	s.mu.Lock()
	s.virt = s.clk.now()
}

func (s *Server) unlock() {
	s.virt = time.Time{}
	s.mu.Unlock()
}

// now is the sim time of the current atomic step (a timer callback runs at
// its scheduled time, however late the real timer fired). Called with the
// lock held.
func (s *Server) now() time.Time {
	if !s.virt.IsZero() {
		return s.virt
	}
	return s.clk.now()
}

// stampFormat is Asterisk's timestamp layout in events and objects.
const stampFormat = "2006-01-02T15:04:05.000-0700"

func (s *Server) stamp() string { return s.now().UTC().Format(stampFormat) }
