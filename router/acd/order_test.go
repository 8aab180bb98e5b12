package acd

import (
	"sync"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
)

// A move made on another controller than the call's owner reaches the
// owner through pub/sub; an offer the owner's controller reserves right
// after it is delivered from the script's reply. The offer is held until
// the move is in: here the owner's pub/sub delivery of the move is held
// back until the offer has been reserved and handed over locally.
func TestMoveByAnotherControllerReachesOwnerBeforeLocalOffer(t *testing.T) {
	p := newPool(t)
	s1 := p.start(t, "c1")
	s2 := p.start(t, "c2")
	p.agent(t, s1, "a1", []string{"general"}, nil, true)
	p.agent(t, s2, "t1", []string{"tl"}, nil, true)
	must(t, s2.Pause(bg, "t1", "break")) // so that s1, not s2's move, dispatches the moved call

	w := enq(t, s1, CallEntry{CallID: "call-1", Queue: "general"})
	nextOffer(t, w)
	must(t, s1.Answered(bg, "call-1", "a1"))

	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	unhold := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unhold) // runs before the controllers stop: a failing test does not leave c1's receiver blocked
	hook := func(n Notice) {
		if n.Kind == NoticeMoved {
			close(held)
			<-release
		}
	}
	s1.noticeHook.Store(&hook)
	must(t, s2.Escalate(bg, "call-1", "a1", EscalationAgent))
	select {
	case <-held:
	case <-time.After(waitTimeout):
		t.Fatal("the move notice never reached c1")
	}
	must(t, s1.Ready(bg, "t1")) // s1 reserves t1 for call-1 and hands the offer over in process
	if state(t, s1, "t1").State != Reserved {
		t.Fatalf("t1 is %s, want reserved", state(t, s1, "t1").State)
	}
	noNotice(t, w) // the offer waits for the move
	unhold()
	if n := nextNotice(t, w); n.Kind != NoticeMoved {
		t.Fatalf("notice %+v, want moved", n)
	}
	if ids := offeredIDs(nextOffer(t, w)); len(ids) != 1 || ids[0] != "t1" {
		t.Fatalf("offered %v, want [t1]", ids)
	}
}

// The waiter puts notices back in their numbered order, holds one that
// comes before the enqueue reply says where the numbering stands, and drops
// one older than a notice already delivered.
func TestWaiterDeliversNoticesInNumberedOrder(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	w := s.register("call-x")
	t.Cleanup(w.Close)
	offer := func(seq int64) Notice { return Notice{Kind: NoticeOffer, CallID: "call-x", Seq: seq} }

	w.accept(offer(3)) // before start: held
	noNotice(t, w)
	w.start(1)
	noNotice(t, w) // 2 is missing
	w.accept(Notice{Kind: NoticeMoved, CallID: "call-x", Seq: 2})
	for _, want := range []int64{2, 3} {
		if n := nextNotice(t, w); n.Seq != want {
			t.Fatalf("notice %+v, want seq %d", n, want)
		}
	}
	w.accept(offer(3)) // a duplicate
	w.accept(offer(1)) // from before the waiter's start
	noNotice(t, w)
	w.accept(offer(4))
	if n := nextNotice(t, w); n.Seq != 4 {
		t.Fatalf("notice %+v, want seq 4", n)
	}
}

// A notice that never arrives (a lost pub/sub message) holds the ones
// after it for noticeGap only: they are delivered then, in order.
func TestWaiterSkipsMissingNoticeAfterGap(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	w := s.register("call-x")
	t.Cleanup(w.Close)
	w.start(0)
	start := time.Now()
	w.accept(Notice{Kind: NoticeOffer, CallID: "call-x", Seq: 3})
	w.accept(Notice{Kind: NoticeWithdrawn, CallID: "call-x", Seq: 4})
	noNotice(t, w)
	if n := nextNotice(t, w); n.Seq != 3 {
		t.Fatalf("notice %+v, want seq 3", n)
	}
	if waited := time.Since(start); waited < noticeGap {
		t.Fatalf("delivered after %s, before the gap of %s", waited, noticeGap)
	}
	if n := nextNotice(t, w); n.Seq != 4 {
		t.Fatalf("notice %+v, want seq 4", n)
	}
	w.accept(Notice{Kind: NoticeMoved, CallID: "call-x", Seq: 2}) // too late
	noNotice(t, w)
}

// TestCallLostByAFailoverIsQueuedAgain: a call whose hash Redis lost (a
// failover discarded its enqueue) while its caller waits is queued again
// by the sweep, at its place, and offered to the next agent.
func TestCallLostByAFailoverIsQueuedAgain(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "ctl-a")
	p.agent(t, s, "a1", []string{"general"}, nil, false)
	w := enq(t, s, CallEntry{CallID: "call-lost", Queue: "general"})
	// what a failover that lost the enqueue leaves: no hash, not queued
	must(t, p.rdb.Del(bg, s.k.call("call-lost")).Err())
	must(t, p.rdb.ZRem(bg, s.k.waiting("general"), "call-lost").Err())
	p.clock.Advance(6 * time.Second) // the sweep
	redistest.WaitFor(t, "the lost call queued again", waitTimeout, func() bool {
		return p.rdb.ZScore(bg, s.k.waiting("general"), "call-lost").Err() == nil
	})
	must(t, s.Login(bg, "a1"))
	if n := nextNotice(t, w); n.Kind != NoticeOffer || n.Offer.Agents[0].ID != "a1" {
		t.Fatalf("notice %+v, want an offer of a1", n)
	}
}
