package acd

import (
	"sync"
	"time"
)

// noticeGap bounds how long a waiter holds a notice that arrived ahead of
// a missing one: a lost pub/sub message must not stall a caller.
const noticeGap = time.Second

// seqOrder puts a call's notices back in the order the scripts numbered
// them (the call hash's nseq). A notice can travel two ways: in the reply
// of a script this controller ran, or through the owner's pub/sub channel
// when another controller ran it; the two race, so a later offer could
// overtake an earlier move or withdrawal. The waiter delivers notice n+1
// only after n, holding one that comes early; after noticeGap without the
// missing one it goes on (logged), and a notice older than one delivered
// is dropped (logged).
type seqOrder struct {
	mu   sync.Mutex
	last int64 // the last number delivered; -1 until Enqueue learns it
	held map[int64]Notice
	gap  *time.Timer
	gen  int // which gap timer is current
}

// start sets the number of the last notice already past (the enqueue
// script's reply) and delivers what arrived meanwhile in order.
func (w *Waiter) start(last int64) {
	w.seq.mu.Lock()
	defer w.seq.mu.Unlock()
	w.seq.last = last
	for n := range w.seq.held {
		if n <= last {
			delete(w.seq.held, n)
		}
	}
	w.drain()
}

// restart sets the numbering back to last after the call's hash was
// recreated (requeueLost): the numbers seen before are gone with it.
func (w *Waiter) restart(last int64) {
	w.seq.mu.Lock()
	defer w.seq.mu.Unlock()
	w.stopGapLocked()
	w.seq.last = last
	clear(w.seq.held)
}

// accept delivers a notice in its call's order.
func (w *Waiter) accept(n Notice) {
	w.seq.mu.Lock()
	defer w.seq.mu.Unlock()
	if n.Seq == 0 { // not numbered
		w.push(n)
		return
	}
	if w.seq.last >= 0 && n.Seq <= w.seq.last {
		w.s.log.Warn().Str("call_id", n.CallID).Str("kind", string(n.Kind)).Int64("seq", n.Seq).
			Int64("delivered", w.seq.last).Msg("acd: notice arrived after a later one, dropped")
		return
	}
	if w.seq.held == nil {
		w.seq.held = map[int64]Notice{}
	}
	w.seq.held[n.Seq] = n
	w.drain()
}

// drain delivers the held notices that are next in order and, if some are
// left waiting for a missing one, bounds the wait (seq.mu held).
func (w *Waiter) drain() {
	o := &w.seq
	if o.last < 0 {
		return
	}
	for {
		n, ok := o.held[o.last+1]
		if !ok {
			break
		}
		delete(o.held, o.last+1)
		o.last++
		w.push(n)
	}
	if len(o.held) == 0 {
		w.stopGapLocked()
		return
	}
	if o.gap == nil {
		o.gen++
		gen := o.gen
		o.gap = time.AfterFunc(noticeGap, func() { w.skipGap(gen) })
	}
}

// skipGap gives up on the missing notice(s) and delivers the held ones.
func (w *Waiter) skipGap(gen int) {
	o := &w.seq
	o.mu.Lock()
	defer o.mu.Unlock()
	if gen != o.gen || o.gap == nil {
		return
	}
	o.gap = nil
	if len(o.held) == 0 {
		return
	}
	first := int64(-1)
	for n := range o.held {
		if first < 0 || n < first {
			first = n
		}
	}
	w.s.log.Warn().Str("call_id", w.callID).Int64("missing_from", o.last+1).Int64("missing_to", first-1).
		Dur("waited", noticeGap).Msg("acd: notice missing, later ones delivered without it")
	o.last = first - 1
	w.drain()
}

func (w *Waiter) stopGap() {
	w.seq.mu.Lock()
	defer w.seq.mu.Unlock()
	w.stopGapLocked()
}

func (w *Waiter) stopGapLocked() {
	if w.seq.gap != nil {
		w.seq.gap.Stop()
		w.seq.gap = nil
		w.seq.gen++
	}
}
