package acd

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// escalated makes a call answered by agent a1 and escalated by it with a
// reason; it returns the controller.
func escalated(t *testing.T, p *pool, callID string) *Service {
	t.Helper()
	s := p.start(t, "ctl-1")
	p.agent(t, s, "a1", []string{"general"}, nil, true)
	enq(t, s, CallEntry{CallID: callID, Queue: "general"})
	must(t, s.Answered(bg, callID, "a1"))
	must(t, s.EscalateWithReason(bg, callID, "a1", "caller wants a manager"))
	return s
}

// TestOnlyOneLeaderTakesACaseWhenTwoRace: two leaders take the same open
// case at once (from two controllers): exactly one wins, the other gets a
// conflict naming the winner; the winner resolves it, it leaves the inbox
// and cannot be resolved again.
func TestOnlyOneLeaderTakesACaseWhenTwoRace(t *testing.T) {
	p := newPool(t)
	s1 := escalated(t, p, "c-race")
	s2 := p.start(t, "ctl-2")
	cs, err := s1.Cases(bg)
	if err != nil || len(cs) != 1 || cs[0].Reason != "caller wants a manager" || cs[0].Status != CaseOpen ||
		cs[0].AgentID != "a1" || cs[0].Queue != "general" {
		t.Fatalf("inbox %+v (%v)", cs, err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []*Service{s1, s2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.TakeCase(bg, "c-race", fmt.Sprintf("lead%d", i))
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Fatal("both leaders took the case")
			}
			winner = i
		} else if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "taken by lead") {
			t.Fatalf("loser's error %v", err)
		}
	}
	if winner < 0 {
		t.Fatal("no leader took the case")
	}
	lead := fmt.Sprintf("lead%d", winner)
	other := fmt.Sprintf("lead%d", 1-winner)
	if _, err := s1.ResolveCase(bg, "c-race", other, "not mine"); !errors.Is(err, ErrConflict) {
		t.Fatalf("the other leader resolved the case: %v", err)
	}
	if _, err := s1.ResolveCase(bg, "c-race", lead, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("resolved without a note: %v", err)
	}
	c, err := s2.ResolveCase(bg, "c-race", lead, "manager called back")
	if err != nil || c.Status != CaseResolved || c.Note != "manager called back" || c.ResolvedAt.IsZero() {
		t.Fatalf("resolve: %+v %v", c, err)
	}
	if cs, _ := s1.Cases(bg); len(cs) != 0 {
		t.Fatalf("inbox after resolve %+v", cs)
	}
	if ttl := p.rdb.PTTL(bg, s1.k.escCase("c-race")).Val(); ttl <= 0 || ttl > caseTTL {
		t.Errorf("resolved case TTL %v, want within %v", ttl, caseTTL)
	}
	if _, err := s1.TakeCase(bg, "c-race", lead); !errors.Is(err, ErrConflict) {
		t.Fatalf("a resolved case was taken again: %v", err)
	}
	if _, err := s1.TakeCase(bg, "c-none", lead); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown case: %v", err)
	}
}

// TestEscalationWithReasonOpensNoCaseWhenTheMoveFails: a call already in
// the Team Leader queue cannot be escalated, and no case is opened; a
// reason over 500 characters is refused before anything moves.
func TestEscalationWithReasonOpensNoCaseWhenTheMoveFails(t *testing.T) {
	p := newPool(t)
	s := escalated(t, p, "c-twice")
	if err := s.EscalateWithReason(bg, "c-twice", "a1", "again"); !errors.Is(err, ErrConflict) {
		t.Fatalf("second escalation: %v", err)
	}
	c, err := s.Case(bg, "c-twice")
	if err != nil || c.Reason != "caller wants a manager" {
		t.Fatalf("the first case was overwritten: %+v %v", c, err)
	}
	if err := s.EscalateWithReason(bg, "c-other", "a1", strings.Repeat("x", 501)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("long reason: %v", err)
	}
	if _, err := s.Case(bg, "c-other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a case was opened for a refused escalation: %v", err)
	}
}

// TestDayCallsAreCappedPerAgentAndDay: the list keeps the newest
// DayCallsCap calls of the day, newest first; a new day starts empty.
func TestDayCallsAreCappedPerAgentAndDay(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "ctl-1")
	p.agent(t, s, "a1", []string{"general"}, nil, false)
	for i := range DayCallsCap + 5 {
		s.noteDayCall(bg, "a1", fmt.Sprintf("c-%03d", i))
	}
	calls, err := s.DayCalls(bg, "a1")
	if err != nil || len(calls) != DayCallsCap {
		t.Fatalf("%d calls (%v), want %d", len(calls), err, DayCallsCap)
	}
	if calls[0].CallID != fmt.Sprintf("c-%03d", DayCallsCap+4) || calls[0].Outcome != "expired" {
		t.Errorf("newest %+v", calls[0])
	}
	if last := calls[len(calls)-1].CallID; last != "c-005" {
		t.Errorf("oldest kept %s, want c-005", last)
	}
	if ttl := p.rdb.PTTL(bg, s.k.day("a1", p.clock.Now())).Val(); ttl <= 0 || ttl > dayTTL {
		t.Errorf("day list TTL %v", ttl)
	}
	p.clock.Advance(24 * time.Hour)
	if calls, _ := s.DayCalls(bg, "a1"); len(calls) != 0 {
		t.Errorf("the next day starts with %d calls", len(calls))
	}
	if _, err := s.DayCalls(bg, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown agent: %v", err)
	}
}
