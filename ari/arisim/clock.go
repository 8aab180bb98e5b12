package arisim

import (
	"container/heap"
	"time"
)

// clock maps simulated time onto real time. A sim duration d takes
// d*scale of real time; sim "now" advances 1/scale times faster than the
// wall clock.
type clock struct {
	scale     float64
	realStart time.Time
	simStart  time.Time
	// frozen: sim time stands still at at and moves only by
	// Server.advanceClockTo (a replay test that must hit a recorded sim
	// instant whatever the machine's load). Guarded by Server.mu.
	frozen bool
	at     time.Time
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

// now is the current sim time by the wall clock.
func (c *clock) now() time.Time {
	if c.frozen {
		return c.at
	}
	el := time.Since(c.realStart)
	return c.simStart.Add(time.Duration(float64(el) / c.scale))
}

// timer is a cancelable scheduled callback. Timers run one at a time in
// sim-time order (then scheduling order) on the scheduler goroutine, with
// the state lock held, so a late wake-up never reorders them.
type timer struct {
	due  time.Time
	seq  uint64
	f    func()
	idx  int
	done bool // fired or stopped; guarded by Server.mu
}

type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.idx = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.idx = -1
	return t
}

// after schedules f to run after the sim duration d with the lock held.
// It must be called with the lock held.
func (s *Server) after(d time.Duration, f func()) *timer {
	if d < 0 {
		d = 0
	}
	s.timerSeq++
	tm := &timer{due: s.now().Add(d), seq: s.timerSeq, f: f}
	if s.closed {
		tm.done = true
		return tm
	}
	heap.Push(&s.timerq, tm)
	if !s.schedRunning {
		s.schedRunning = true
		s.schedWG.Add(1)
		go s.schedule()
	}
	select {
	case s.schedWake <- struct{}{}:
	default:
	}
	return tm
}

// stop cancels the timer; it must be called with the lock held.
func (s *Server) stop(tm *timer) {
	if tm == nil || tm.done {
		return
	}
	tm.done = true
	if tm.idx >= 0 && tm.idx < len(s.timerq) && s.timerq[tm.idx] == tm {
		heap.Remove(&s.timerq, tm.idx)
	}
}

// schedule runs due timers in order until Close.
func (s *Server) schedule() {
	defer s.schedWG.Done()
	wait := time.NewTimer(time.Hour)
	defer wait.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.closed {
		if len(s.timerq) == 0 {
			s.sleep(wait, -1)
			continue
		}
		if s.clk.frozen {
			s.sleep(wait, -1) // timers run in advanceClockTo and lock
			continue
		}
		next := s.timerq[0]
		if d := s.clk.real(next.due.Sub(s.clk.now())); d > 0 {
			s.sleep(wait, d)
			continue
		}
		s.fire()
	}
}

// fire pops the earliest timer and runs it at its scheduled sim time,
// however late that is, so sim durations stay exact. Called with the lock
// held and a non-empty queue.
func (s *Server) fire() {
	next := heap.Pop(&s.timerq).(*timer)
	next.done = true
	s.virt = next.due
	next.f()
	s.virt = time.Time{}
}

// catchUp runs, in order, every timer due at or before the sim instant
// now. Whoever takes the lock first after a timer fell due (the scheduler
// goroutine or a request handler) runs it, so no step ever sees a state
// that lags behind its own sim time.
func (s *Server) catchUp(now time.Time) {
	for !s.closed && len(s.timerq) > 0 && !s.timerq[0].due.After(now) {
		s.fire()
	}
}

// sleep releases the lock until d passed (d < 0: until woken), a timer was
// added, or the server closed.
func (s *Server) sleep(wait *time.Timer, d time.Duration) {
	s.mu.Unlock()
	defer s.mu.Lock()
	if d >= 0 {
		wait.Reset(d)
		defer wait.Stop()
		select {
		case <-wait.C:
		case <-s.schedWake:
		case <-s.done:
		}
		return
	}
	select {
	case <-s.schedWake:
	case <-s.done:
	}
}

// lock takes the state lock and fixes the sim time of this atomic step:
// everything done under one lock happens at one instant. Timers that fell
// due before that instant run first: the scheduler goroutine may not have
// had the lock yet (a loaded machine), and a request must not see the
// state of an earlier sim time (09's GET /channels saw the caller half
// still in Wait(0) instead of Wait(60)).
func (s *Server) lock() {
	s.mu.Lock()
	now := s.clk.now()
	s.catchUp(now)
	s.virt = now
}

func (s *Server) unlock() {
	s.virt = time.Time{}
	s.mu.Unlock()
}

// now is the sim time of the current atomic step (a timer callback runs at
// its scheduled time). Called with the lock held.
func (s *Server) now() time.Time {
	if !s.virt.IsZero() {
		return s.virt
	}
	return s.clk.now()
}

// stampFormat is Asterisk's timestamp layout in events and objects.
const stampFormat = "2006-01-02T15:04:05.000-0700"

func (s *Server) stamp() string { return s.now().UTC().Format(stampFormat) }

// freezeClock stops the sim clock at its current instant and returns it.
// From then on sim time moves only by advanceClockTo, so a caller that
// sends requests at recorded sim instants gets the recorded interleaving
// with the simulator's own timers however late it runs in real time.
func (s *Server) freezeClock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clk.at = s.clk.now()
	s.clk.frozen = true
	select {
	case s.schedWake <- struct{}{}:
	default:
	}
	return s.clk.at
}

// advanceClockTo moves a frozen sim clock forward to t, running every timer
// due up to t at its own sim time, in order. It never moves time back.
func (s *Server) advanceClockTo(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.closed && len(s.timerq) > 0 && !s.timerq[0].due.After(t) {
		if s.timerq[0].due.After(s.clk.at) {
			s.clk.at = s.timerq[0].due
		}
		s.fire()
	}
	if t.After(s.clk.at) {
		s.clk.at = t
	}
}
