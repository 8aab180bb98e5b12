package acd

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"
)

// A call and an available agent meet: the waiter gets the offer (endpoint,
// ring timeout), the agent's feed the offer with the screen-pop, then the
// connection; the end starts the wrap-up.
func TestCallMeetsAvailableAgentAndWrapsUp(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	feed, cancel := s.Subscribe("a1")
	defer cancel()
	p.agent(t, s, "a1", []string{"general"}, []string{"lang:id"}, true)
	pop := json.RawMessage(`{"customer_id":"C-1","segment":"DES"}`)
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "general", Priority: 4, Skills: []string{"lang:id"}, ScreenPop: pop})
	o := nextOffer(t, w)
	if o.CallID != "call-1" || o.Queue != "general" || o.RingTimeout != 20*time.Second ||
		len(o.Agents) != 1 || o.Agents[0] != (OfferedAgent{ID: "a1", Name: "Agent a1", Endpoint: "PJSIP/a1"}) {
		t.Fatalf("offer = %+v", o)
	}
	wantState(t, s, "a1", Reserved)
	ev := waitEvent(t, feed, "offer event", func(e Event) bool { return e.Type == EventOffer })
	if ev.CallID != "call-1" || string(ev.ScreenPop) != string(pop) {
		t.Errorf("offer event = %+v", ev)
	}
	p.clock.Advance(5 * time.Second)
	must(t, s.Answered(bg, "call-1", "a1"))
	st := wantState(t, s, "a1", OnCall)
	if st.CallID != "call-1" || st.CallsTaken != 1 {
		t.Errorf("on call: %+v", st)
	}
	waitEvent(t, feed, "connected event", func(e Event) bool { return e.Type == EventConnected && string(e.ScreenPop) == string(pop) })
	p.clock.Advance(60 * time.Second)
	must(t, s.Ended(bg, "call-1", PartyAgent))
	st = wantState(t, s, "a1", WrapUp)
	if !st.WrapUpEnd.Equal(p.clock.Now().Add(30 * time.Second)) {
		t.Errorf("wrap-up end %s, want now + 30s", st.WrapUpEnd)
	}
	h, err := s.Handling(bg, "call-1")
	must(t, err)
	if h.AgentID != "a1" || h.Wait != 5*time.Second || h.Talk != 60*time.Second || h.EndedBy != PartyAgent || h.Queue != "general" {
		t.Errorf("handling = %+v", h)
	}
}

// Waiting callers are served by priority (tier), then by time waited.
func TestPriorityOrdering(t *testing.T) {
	p := newPool(t)
	p.st.Queues["general"] = queueConfig("general", "longest_idle", "", 0)
	s := p.start(t, "c1")
	p.agent(t, s, "a1", []string{"general"}, nil, false)
	calls := []struct {
		id   string
		prio int
	}{{"regular-early", 1}, {"gold", 7}, {"regular-late", 1}, {"platinum", 10}, {"gold-late", 7}}
	waiters := map[string]*Waiter{}
	for _, c := range calls {
		p.clock.Advance(time.Second)
		waiters[c.id] = enq(t, s, CallEntry{CallID: c.id, Queue: "general", Priority: c.prio})
	}
	must(t, s.Login(bg, "a1"))
	var order []string
	for range calls {
		var got string
		for id, w := range waiters {
			select {
			case n := <-w.Notices():
				if n.Kind != NoticeOffer {
					t.Fatalf("%s: notice %+v", id, n)
				}
				got = id
			default:
			}
		}
		if got == "" {
			t.Fatalf("no offer after %v", order)
		}
		order = append(order, got)
		must(t, s.Answered(bg, got, "a1"))
		must(t, s.Ended(bg, got, PartyCaller))
		must(t, s.Ready(bg, "a1")) // ends the wrap-up at once
	}
	want := []string{"platinum", "gold", "gold-late", "regular-early", "regular-late"}
	if !slices.Equal(order, want) {
		t.Errorf("served %v, want %v", order, want)
	}
}

// longest_idle offers the call to the agent available the longest.
func TestLongestIdleOffersTheAgentIdleLongest(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	p.agent(t, s, "b", []string{"general"}, nil, true) // logged in first: idle longest
	p.agent(t, s, "a", []string{"general"}, nil, true)
	p.agent(t, s, "c", []string{"general"}, nil, true)
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "general"})
	if got := offeredIDs(nextOffer(t, w)); !slices.Equal(got, []string{"b"}) {
		t.Errorf("offered to %v, want [b]", got)
	}
}

// fewest_calls offers the call to the agent who took the fewest.
func TestFewestCallsOffersTheLeastBusyAgent(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	p.agent(t, s, "a", []string{"billing"}, nil, true)
	// a takes one call, then b logs in (b idles less but took none).
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "billing"})
	nextOffer(t, w)
	must(t, s.Answered(bg, "call-1", "a"))
	must(t, s.Ended(bg, "call-1", PartyCaller))
	must(t, s.Ready(bg, "a"))
	p.agent(t, s, "b", []string{"billing"}, nil, true)
	w2 := enq(t, s, CallEntry{CallID: "call-2", Queue: "billing"})
	if got := offeredIDs(nextOffer(t, w2)); !slices.Equal(got, []string{"b"}) {
		t.Errorf("offered to %v, want [b] (fewest calls)", got)
	}
}

// round_robin takes the agents in turn.
func TestRoundRobinTakesAgentsInTurn(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	for _, id := range []string{"a", "b", "c"} {
		p.agent(t, s, id, []string{"rr"}, nil, true)
	}
	var got []string
	for _, id := range callIDs(4, "rr") {
		w := enq(t, s, CallEntry{CallID: id, Queue: "rr"})
		o := nextOffer(t, w)
		got = append(got, o.Agents[0].ID)
		must(t, s.Answered(bg, id, o.Agents[0].ID))
		must(t, s.Ended(bg, id, PartyCaller))
		must(t, s.Ready(bg, o.Agents[0].ID))
	}
	if !slices.Equal(got, []string{"a", "b", "c", "a"}) {
		t.Errorf("round robin served %v", got)
	}
}

// ring_all rings every matching agent; the first to answer wins, the
// others are released (available, not paused).
func TestRingAllFirstAnswerWinsOthersReleased(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	for _, id := range []string{"a", "b", "c"} {
		p.agent(t, s, id, []string{"small"}, nil, true)
	}
	feedC, cancel := s.Subscribe("c")
	defer cancel()
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "small"})
	o := nextOffer(t, w)
	if got := offeredIDs(o); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("ring_all offered %v", got)
	}
	must(t, s.Answered(bg, "call-1", "b"))
	wantState(t, s, "b", OnCall)
	wantState(t, s, "a", Available)
	wantState(t, s, "c", Available)
	waitEvent(t, feedC, "offer end for c", func(e Event) bool { return e.Type == EventOfferEnd && e.CallID == "call-1" })
	if err := s.Answered(bg, "call-1", "a"); !errors.Is(err, ErrConflict) {
		t.Errorf("second answer: %v, want a conflict", err)
	}
}

// An agent without every required skill is never offered the call, even
// when it is the only one available; an agent with them is.
func TestSkillsAgentWithoutSkillNeverOffered(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	p.agent(t, s, "id-only", []string{"general"}, []string{"lang:id", "segment:DES"}, true)
	w := enq(t, s, CallEntry{CallID: "call-en", Queue: "general", Skills: []string{"lang:en", "segment:DES"}})
	noNotice(t, w)
	// The agent becoming available again does not change that.
	must(t, s.Pause(bg, "id-only", "break"))
	must(t, s.Ready(bg, "id-only"))
	noNotice(t, w)
	wantState(t, s, "id-only", Available)
	p.agent(t, s, "bilingual", []string{"general"}, []string{"lang:en", "lang:id", "segment:DES"}, true)
	if got := offeredIDs(nextOffer(t, w)); !slices.Equal(got, []string{"bilingual"}) {
		t.Errorf("offered to %v", got)
	}
	// A later call the first agent can take goes to it.
	w2 := enq(t, s, CallEntry{CallID: "call-id", Queue: "general", Skills: []string{"lang:id"}})
	if got := offeredIDs(nextOffer(t, w2)); !slices.Equal(got, []string{"id-only"}) {
		t.Errorf("offered to %v", got)
	}
}

// No answer: the agent is paused no_answer, the call goes to the next agent
// at once and keeps its place (ahead of a later call).
func TestNoAnswerNextAgentAndAutopause(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	p.agent(t, s, "first", []string{"general"}, nil, true)
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "general"})
	if got := offeredIDs(nextOffer(t, w)); !slices.Equal(got, []string{"first"}) {
		t.Fatalf("offered to %v", got)
	}
	p.clock.Advance(time.Second)
	later := enq(t, s, CallEntry{CallID: "call-2", Queue: "general"}) // waits: nobody free
	p.agent(t, s, "second", []string{"general"}, nil, false)
	p.clock.Advance(20 * time.Second)
	must(t, s.NoAnswer(bg, "call-1", "first"))
	st := wantState(t, s, "first", Paused)
	if st.Reason != ReasonNoAnswer {
		t.Errorf("pause reason %q", st.Reason)
	}
	must(t, s.Login(bg, "second"))
	if got := offeredIDs(nextOffer(t, w)); !slices.Equal(got, []string{"second"}) {
		t.Errorf("call-1 re-offered to %v, want [second]", got)
	}
	noNotice(t, later)
	h, err := s.Handling(bg, "call-1")
	must(t, err)
	if !slices.Equal(h.OfferedTo, []string{"first"}) {
		t.Errorf("offered_to %v", h.OfferedTo)
	}
	if err := s.NoAnswer(bg, "call-1", "first"); !errors.Is(err, ErrConflict) {
		t.Errorf("stale no-answer: %v, want conflict", err)
	}
}

// The agent is not offered a call during its wrap-up; when the wrap-up
// time has passed it is available and takes the waiting call.
func TestWrapUpRespected(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	feed, cancel := s.Subscribe("a1")
	defer cancel()
	p.agent(t, s, "a1", []string{"general"}, nil, true)
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "general"})
	nextOffer(t, w)
	must(t, s.Answered(bg, "call-1", "a1"))
	must(t, s.Ended(bg, "call-1", PartyCaller))
	w2 := enq(t, s, CallEntry{CallID: "call-2", Queue: "general"})
	p.clock.Advance(29 * time.Second)
	noNotice(t, w2)
	wantState(t, s, "a1", WrapUp)
	p.clock.Advance(time.Second)
	if got := offeredIDs(nextOffer(t, w2)); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("after wrap-up offered to %v", got)
	}
	waitEvent(t, feed, "wrap-up end", func(e Event) bool { return e.Type == EventWrapUpEnd && e.CallID == "call-1" })
	h, err := s.Handling(bg, "call-1")
	must(t, err)
	if !h.WrapUpDone || h.WrapUp != 30*time.Second {
		t.Errorf("handling wrap-up %v done %v", h.WrapUp, h.WrapUpDone)
	}
}

// A caller past the queue's maximum wait overflows to the Team Leader
// queue with the escalation priority; the waiter is told, a leader is
// offered the call, and the escalation is on the record.
func TestMaxWaitOverflowsToTeamLeaderQueue(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	leaders, cancel := s.SubscribeLeaders()
	defer cancel()
	p.agent(t, s, "tl1", []string{"tl"}, []string{"lang:id"}, true)
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "general", Priority: 4,
		Skills: []string{"lang:id", "product:indihome"}, ScreenPop: json.RawMessage(`{"customer_id":"C-9"}`)})
	p.clock.Advance(5*time.Minute - time.Second)
	noNotice(t, w)
	p.clock.Advance(time.Second)
	n := nextNotice(t, w)
	if n.Kind != NoticeMoved || n.Move.Reason != EscalationMaxWait || n.Move.From != "general" || n.Move.To != "tl" {
		t.Fatalf("notice %+v", n)
	}
	// The leader lacks product:indihome: a moved call keeps only its
	// language skills.
	if got := offeredIDs(nextOffer(t, w)); !slices.Equal(got, []string{"tl1"}) {
		t.Errorf("offered to %v", got)
	}
	ev := waitEvent(t, leaders, "escalation event", func(e Event) bool { return e.Type == EventEscalation })
	if ev.CallID != "call-1" || ev.Escalation.Reason != EscalationMaxWait || string(ev.ScreenPop) != `{"customer_id":"C-9"}` {
		t.Errorf("escalation event %+v", ev)
	}
	h, err := s.Handling(bg, "call-1")
	must(t, err)
	if h.Queue != "tl" || h.FirstQueue != "general" || h.Priority != 200 || len(h.Escalations) != 1 ||
		h.Escalations[0].Reason != EscalationMaxWait {
		t.Errorf("handling %+v", h)
	}
}

// A service calling about an open complaint for the third time in 24 h goes
// to the Team Leader queue with priority; calls without an open complaint
// do not count.
func TestRepeatCallerEscalatedToTeamLeader(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	entry := func(id string, open bool) CallEntry {
		return CallEntry{CallID: id, Queue: "general", Priority: 1, ServiceID: "470301000101", OpenComplaint: open}
	}
	for _, id := range []string{"r1", "r2"} {
		w := enq(t, s, entry(id, true))
		noNotice(t, w)
		must(t, s.Abandoned(bg, id))
	}
	w := enq(t, s, entry("other", false))
	noNotice(t, w)
	must(t, s.Abandoned(bg, "other"))
	w3 := enq(t, s, entry("r3", true))
	n := nextNotice(t, w3)
	if n.Kind != NoticeMoved || n.Move.Reason != EscalationRepeatCaller || n.Move.To != "tl" {
		t.Fatalf("third call notice %+v", n)
	}
	h, err := s.Handling(bg, "r3")
	must(t, err)
	if h.Queue != "tl" || h.Priority != 200 || len(h.Escalations) != 1 || h.FirstQueue != "general" {
		t.Errorf("handling %+v", h)
	}
	// A day later the count starts again.
	p.clock.Advance(24*time.Hour + time.Minute)
	w4 := enq(t, s, entry("r4", true))
	noNotice(t, w4)
	if h, _ := s.Handling(bg, "r4"); h.Queue != "general" {
		t.Errorf("a day later: queue %q", h.Queue)
	}
}

func TestRepeatCallerRule(t *testing.T) {
	tests := []struct {
		name      string
		calls     int
		open      bool
		threshold int
		want      bool
	}{
		{"below threshold", 2, true, 3, false},
		{"at threshold", 3, true, 3, true},
		{"above threshold", 5, true, 3, true},
		{"no open complaint", 5, false, 3, false},
		{"rule off", 9, true, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RepeatCaller(tt.calls, tt.open, tt.threshold); got != tt.want {
				t.Errorf("RepeatCaller(%d, %v, %d) = %v", tt.calls, tt.open, tt.threshold, got)
			}
		})
	}
}

// The agent escalates a live call: the caller moves to the Team Leader
// queue with priority and keeps the screen-pop, the agent goes to wrap-up,
// a leader is offered the call.
func TestAgentEscalatesLiveCall(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	p.agent(t, s, "a1", []string{"general"}, nil, true)
	p.agent(t, s, "tl1", []string{"tl"}, nil, true)
	tlFeed, cancel := s.Subscribe("tl1")
	defer cancel()
	pop := json.RawMessage(`{"customer_id":"C-7","tier":"gold"}`)
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "general", Priority: 7, ScreenPop: pop})
	nextOffer(t, w)
	must(t, s.Answered(bg, "call-1", "a1"))
	if err := s.Escalate(bg, "call-1", "tl1", EscalationAgent); !errors.Is(err, ErrConflict) {
		t.Errorf("escalation by an agent not on the call: %v, want conflict", err)
	}
	must(t, s.Escalate(bg, "call-1", "a1", EscalationAgent))
	n := nextNotice(t, w)
	if n.Kind != NoticeMoved || n.Move.By != "a1" || n.Move.Reason != EscalationAgent {
		t.Fatalf("notice %+v", n)
	}
	wantState(t, s, "a1", WrapUp)
	if got := offeredIDs(nextOffer(t, w)); !slices.Equal(got, []string{"tl1"}) {
		t.Fatalf("offered to %v", got)
	}
	ev := waitEvent(t, tlFeed, "offer to the leader", func(e Event) bool { return e.Type == EventOffer })
	if string(ev.ScreenPop) != string(pop) {
		t.Errorf("leader's screen-pop %s", ev.ScreenPop)
	}
	must(t, s.Answered(bg, "call-1", "tl1"))
	h, err := s.Handling(bg, "call-1")
	must(t, err)
	if h.AgentID != "tl1" || len(h.Escalations) != 1 || h.Escalations[0].By != "a1" || h.Queue != "tl" {
		t.Errorf("handling %+v", h)
	}
}

// The disposition recorded during wrap-up lands on the handling record; a
// call whose agent recorded nothing by the end of wrap-up is marked "needs
// not recorded". Bad dispositions are refused with the field named.
func TestDispositionRecordedAndMissing(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	p.agent(t, s, "a1", []string{"general"}, nil, true)
	p.agent(t, s, "a2", []string{"billing"}, nil, true)
	talk := func(id, queue, agent string) {
		w := enq(t, s, CallEntry{CallID: id, Queue: queue})
		nextOffer(t, w)
		must(t, s.Answered(bg, id, agent))
	}
	talk("recorded", "general", "a1")
	talk("missing", "billing", "a2")
	err := s.Disposition(bg, "recorded", "a1", Disposition{Category: "complain"})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "category" || !errors.Is(err, ErrInvalid) {
		t.Errorf("bad category: %v", err)
	}
	if err := s.Disposition(bg, "recorded", "a1", Disposition{Category: CategoryComplaint, TicketID: "IN 1"}); !errors.As(err, &ve) || ve.Field != "ticket_id" {
		t.Errorf("bad ticket id: %v", err)
	}
	if err := s.Disposition(bg, "recorded", "a2", Disposition{Category: CategoryRequest}); !errors.Is(err, ErrConflict) {
		t.Errorf("disposition by another agent: %v, want conflict", err)
	}
	must(t, s.Ended(bg, "recorded", PartyCaller))
	must(t, s.Ended(bg, "missing", PartyAgent))
	must(t, s.Disposition(bg, "recorded", "a1", Disposition{Category: CategoryComplaint, TicketID: "IN-2026-0042",
		FurtherHelpOffered: true, StandardClosing: true}))
	p.clock.Advance(30 * time.Second)
	// Both wrap-ups end on the timer; wait until the agents are available.
	feed, cancel := s.SubscribeLeaders()
	defer cancel()
	for _, id := range []string{"a1", "a2"} {
		if state(t, s, id).State != Available {
			waitEvent(t, feed, "wrap-up end of "+id, func(e Event) bool { return e.Type == EventWrapUpEnd && e.AgentID == id })
		}
	}
	h, err := s.Handling(bg, "recorded")
	must(t, err)
	if h.Disposition == nil || h.Disposition.Category != CategoryComplaint || h.Disposition.TicketID != "IN-2026-0042" ||
		!h.Disposition.FurtherHelpOffered || !h.Disposition.StandardClosing || h.Disposition.AgentID != "a1" || h.NotRecorded {
		t.Errorf("recorded: %+v (disposition %+v)", h, h.Disposition)
	}
	h, err = s.Handling(bg, "missing")
	must(t, err)
	if h.Disposition != nil || !h.NotRecorded || !h.WrapUpDone {
		t.Errorf("missing: %+v", h)
	}
	if err := s.Disposition(bg, "missing", "a2", Disposition{Category: CategoryRequest}); !errors.Is(err, ErrConflict) {
		t.Errorf("disposition after wrap-up: %v, want conflict", err)
	}
}

// A caller who hangs up while waiting leaves the queue with its wait; one
// who hangs up while an agent rings frees the agent.
func TestCallerAbandonsInQueue(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	w := enq(t, s, CallEntry{CallID: "waiting", Queue: "general"})
	p.clock.Advance(42 * time.Second)
	must(t, s.Abandoned(bg, "waiting"))
	must(t, s.Abandoned(bg, "waiting")) // twice is fine
	noNotice(t, w)
	h, err := s.Handling(bg, "waiting")
	must(t, err)
	if !h.Abandoned || h.Wait != 42*time.Second || h.EndedBy != PartyCaller {
		t.Errorf("handling %+v", h)
	}
	q, err := s.Queue(bg, "general")
	must(t, err)
	if q.Waiting != 0 {
		t.Errorf("waiting %d after abandon", q.Waiting)
	}
	p.agent(t, s, "a1", []string{"general"}, nil, true)
	w2 := enq(t, s, CallEntry{CallID: "ringing", Queue: "general"})
	nextOffer(t, w2)
	must(t, s.Abandoned(bg, "ringing"))
	wantState(t, s, "a1", Available)
	if err := s.Ended(bg, "ringing", PartyCaller); !errors.Is(err, ErrConflict) {
		t.Errorf("Ended on an abandoned call: %v", err)
	}
}

// An endpoint that goes offline makes its available agent unavailable; back
// online, it takes the waiting call.
func TestEndpointOfflineWhileAvailable(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	p.agent(t, s, "a1", []string{"general"}, nil, true)
	must(t, s.EndpointState(bg, "PJSIP/a1", false))
	st := wantState(t, s, "a1", Available)
	if !st.Offline || st.CanTakeCalls() {
		t.Errorf("offline agent %+v", st)
	}
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "general"})
	noNotice(t, w)
	q, err := s.Queue(bg, "general")
	must(t, err)
	if q.Offline != 1 || q.Waiting != 1 {
		t.Errorf("queue figures %+v", q)
	}
	must(t, s.EndpointState(bg, "PJSIP/a1", true))
	if got := offeredIDs(nextOffer(t, w)); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("offered to %v", got)
	}
	if err := s.EndpointState(bg, "PJSIP/nobody", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown endpoint: %v", err)
	}
}

// Bad state changes are typed errors the API maps to 409 with a reason;
// unknown agents to 404; a plain agent changing another's state to 403.
func TestBadStateChangesAreTypedErrors(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	p.agent(t, s, "a1", []string{"general"}, nil, true)
	must(t, s.UpsertAgent(bg, Agent{ID: "sup", Name: "Sup", Endpoint: "PJSIP/sup", Role: RoleSupervisor}))
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "general"})
	nextOffer(t, w)
	var se *StateError
	if err := s.Pause(bg, "a1", "break"); !errors.As(err, &se) || se.State != Reserved {
		t.Errorf("pause while reserved: %v", err)
	}
	must(t, s.Answered(bg, "call-1", "a1"))
	err := s.Ready(bg, "a1")
	if !errors.As(err, &se) || !errors.Is(err, ErrConflict) || se.State != OnCall || se.CallID != "call-1" {
		t.Fatalf("ready while on call: %v", err)
	}
	if err.Error() != `agent "a1" cannot ready while on_call (call call-1)` {
		t.Errorf("reason %q", err)
	}
	if err := s.Logout(bg, "a1"); !errors.Is(err, ErrConflict) {
		t.Errorf("logout on call: %v", err)
	}
	if err := s.Login(bg, "a1"); !errors.Is(err, ErrConflict) {
		t.Errorf("login twice: %v", err)
	}
	var nf *NotFoundError
	if err := s.Ready(bg, "ghost"); !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) || nf.Kind != "agent" {
		t.Errorf("unknown agent: %v", err)
	}
	if _, err := s.Agent(bg, "ghost"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown agent status: %v", err)
	}
	if err := s.Answered(bg, "no-such-call", "a1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown call: %v", err)
	}
	if err := s.SetState(bg, "a1", "sup", Paused, "x"); !errors.Is(err, ErrForbidden) {
		t.Errorf("agent setting another's state: %v", err)
	}
	if err := s.Pause(bg, "sup", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("pause without reason: %v", err)
	}
	if _, err := s.Enqueue(bg, CallEntry{CallID: "x", Queue: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown queue: %v", err)
	}
	// A supervisor logs the agent in and out.
	must(t, s.SetState(bg, "sup", "sup", Available, ""))
	wantState(t, s, "sup", Available)
	must(t, s.SetState(bg, "sup", "sup", Paused, "meeting"))
	if st := wantState(t, s, "sup", Paused); st.Reason != "meeting" {
		t.Errorf("reason %q", st.Reason)
	}
	must(t, s.SetState(bg, "sup", "sup", LoggedOut, ""))
	wantState(t, s, "sup", LoggedOut)
}

// An offer the hand-off never reports on (it crashed, the notice was lost)
// is taken back after ring timeout + grace: agents free, call waits again.
func TestOfferNeverAnsweredForIsWithdrawn(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	p.agent(t, s, "a1", []string{"general"}, nil, true)
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "general"})
	nextOffer(t, w)
	p.clock.Advance(20*time.Second + offerGrace*time.Millisecond)
	n := nextNotice(t, w)
	if n.Kind != NoticeWithdrawn || !slices.Equal(n.Agents, []string{"a1"}) {
		t.Fatalf("notice %+v", n)
	}
	// The agent, not at fault, is available and is offered the call again.
	if got := offeredIDs(nextOffer(t, w)); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("re-offered to %v", got)
	}
}

// Position and estimated wait come from the queue's recent answers.
func TestPositionAndEstimatedWait(t *testing.T) {
	p := newPool(t)
	p.st.Queues["general"] = func(q QueueConfig) QueueConfig { q.MaxWait = 0; return q }(p.st.Queues["general"])
	s := p.start(t, "c1")
	p.agent(t, s, "a1", []string{"general"}, nil, false)
	ws := map[string]*Waiter{}
	for _, id := range callIDs(4, "q") {
		ws[id] = enq(t, s, CallEntry{CallID: id, Queue: "general"})
	}
	pos, err := s.Position(bg, "q-002")
	must(t, err)
	if pos.Position != 3 || pos.Waiting != 4 || pos.EstimateKnown {
		t.Errorf("position before any answer %+v", pos)
	}
	must(t, s.Login(bg, "a1"))
	// Answer two calls a minute apart: one call a minute.
	nextOffer(t, ws["q-000"])
	p.clock.Advance(time.Minute)
	must(t, s.Answered(bg, "q-000", "a1"))
	must(t, s.Ended(bg, "q-000", PartyCaller))
	must(t, s.Ready(bg, "a1"))
	nextOffer(t, ws["q-001"])
	p.clock.Advance(time.Minute)
	must(t, s.Answered(bg, "q-001", "a1"))
	must(t, s.Ended(bg, "q-001", PartyCaller))
	must(t, s.Pause(bg, "a1", "lunch"))
	pos, err = s.Position(bg, "q-003")
	must(t, err)
	if pos.Position != 2 || !pos.EstimateKnown || pos.EstimatedWait != 2*time.Minute {
		t.Errorf("position %+v, want 2nd with 2m estimated", pos)
	}
	q, err := s.Queue(bg, "general")
	must(t, err)
	if q.Answered != 2 || q.AnsweredWithin != 0 || q.ServiceLevel != 0 || q.OldestWait != 2*time.Minute ||
		q.Waiting != 2 || !q.EstimateKnown || q.EstimatedWait != 3*time.Minute || q.Agents[Paused] != 1 {
		t.Errorf("queue figures %+v", q)
	}
}
