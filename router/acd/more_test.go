package acd

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
)

// A caller whose maximum wait passes while an agent rings overflows as
// soon as that agent lets it ring out, instead of being offered again in
// the old queue.
func TestMaxWaitPassedWhileRingingOverflowsOnNoAnswer(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	p.agent(t, s, "a1", []string{"general"}, nil, false)
	p.agent(t, s, "a2", []string{"general"}, nil, false)
	p.agent(t, s, "tl1", []string{"tl"}, nil, true)
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "general"})
	p.clock.Advance(5*time.Minute - 10*time.Second)
	must(t, s.Login(bg, "a1"))
	nextOffer(t, w)
	p.clock.Advance(20 * time.Second) // the max wait passes while a1 rings
	must(t, s.Login(bg, "a2"))
	must(t, s.NoAnswer(bg, "call-1", "a1"))
	n := nextNotice(t, w)
	if n.Kind != NoticeMoved || n.Move.Reason != EscalationMaxWait {
		t.Fatalf("notice %+v, want a move (max wait)", n)
	}
	if got := offeredIDs(nextOffer(t, w)); !slices.Equal(got, []string{"tl1"}) {
		t.Errorf("offered to %v, want the team leader", got)
	}
	wantState(t, s, "a2", Available)
}

// An agent created through the API can be removed once logged out.
func TestRemoveAgent(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	p.agent(t, s, "a1", []string{"general"}, nil, true)
	if err := s.RemoveAgent(bg, "a1"); !errors.Is(err, ErrConflict) {
		t.Errorf("removing a logged-in agent: %v", err)
	}
	must(t, s.Logout(bg, "a1"))
	must(t, s.RemoveAgent(bg, "a1"))
	if _, err := s.Agent(bg, "a1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed agent: %v", err)
	}
	// Its endpoint is free for another agent.
	must(t, s.UpsertAgent(bg, Agent{ID: "a9", Name: "A9", Endpoint: "PJSIP/a1", Role: RoleAgent}))
	if err := s.UpsertAgent(bg, Agent{ID: "a8", Name: "A8", Endpoint: "PJSIP/a1", Role: RoleAgent}); !errors.Is(err, ErrConflict) {
		t.Errorf("two agents on one endpoint: %v", err)
	}
	if err := s.UpsertAgent(bg, Agent{ID: "a7", Name: "A7", Endpoint: "PJSIP/a7", Role: "boss"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad role: %v", err)
	}
	all, err := s.Agents(bg)
	must(t, err)
	if len(all) != 1 || all[0].ID != "a9" {
		t.Errorf("agents %+v", all)
	}
}

// The gauges scraped for Prometheus are read from Redis: waiting calls by
// queue, agents by state.
func TestMetricsFiguresReadAtScrape(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	p.agent(t, s, "a1", []string{"general"}, nil, true)
	must(t, s.Pause(bg, "a1", "break"))
	p.agent(t, s, "a2", []string{"billing"}, nil, false)
	enq(t, s, CallEntry{CallID: "call-1", Queue: "general"})
	p.clock.Advance(12 * time.Second)
	f, err := s.MetricsFigures()
	must(t, err)
	if f.AgentsByState["paused"] != 1 || f.AgentsByState["logged_out"] != 1 || f.AgentsByState["on_call"] != 0 {
		t.Errorf("agents by state %v", f.AgentsByState)
	}
	for _, q := range f.Queues {
		if q.Queue == "general" && (q.Waiting != 1 || q.OldestWait != 12*time.Second) {
			t.Errorf("general %+v", q)
		}
	}
}

// Every key of a pool carries the pool's hash tag (one Cluster slot), or
// the prefix's own tag when it has one.
func TestKeysShareOneHashTag(t *testing.T) {
	for _, tc := range []struct{ prefix, tag string }{{"tenesa:", "{main}"}, {"{tenesa}:", "{tenesa}"}} {
		k, err := newKeys(tc.prefix, "main")
		must(t, err)
		for _, key := range []string{k.agents(), k.agent("a1"), k.call("c1"), k.timers(), k.lease("i1"),
			k.notices("i1"), k.events(), k.repeat("470301000101"), k.waiting("general")} {
			o, c := strings.IndexByte(key, '{'), strings.IndexByte(key, '}')
			if o < 0 || c < o || key[o:c+1] != tc.tag {
				t.Errorf("prefix %q: key %q does not hash on %s", tc.prefix, key, tc.tag)
			}
		}
	}
	if _, err := newKeys("tenesa:", "a{b"); err == nil {
		t.Error("a pool name with a brace must be refused")
	}
}

// Notices and events come from Redis pub/sub: whatever arrives there must
// not break the controller.
func FuzzPubSubPayloads(f *testing.F) {
	f.Add(`{"kind":"offer","call_id":"c1","offer":{"call_id":"c1","agents":[{"id":"a1"}]}}`)
	f.Add(`{"type":"state","agent_id":"a1","state":"available","at":"2026-11-30T09:00:00Z"}`)
	f.Add(`{"kind":"moved","move":null}`)
	f.Add(`not json`)
	s, err := New(Options{Client: redistest.Client(f), KeyPrefix: redistest.Prefix(f), Instance: "fuzz"}, testSettings())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		s.onNotice(payload)
		s.onEvent(payload)
	})
}

// Leaders get the queue figures (published by one controller per period)
// and help requests.
func TestLeadersFeedHasQueueFiguresAndHelpRequests(t *testing.T) {
	p := newPool(t)
	s, err := New(Options{Client: p.rdb, KeyPrefix: p.prefix, Pool: "test", Instance: "c1", Clock: p.clock}, p.st)
	must(t, err)
	leaders, cancel := s.SubscribeLeaders()
	defer cancel()
	c, stop := context.WithCancel(bg)
	t.Cleanup(func() { stop(); s.Wait() })
	must(t, s.Start(c))
	ev := waitEvent(t, leaders, "queue figures", func(e Event) bool { return e.Type == EventQueues })
	if len(ev.Queues) != len(p.st.Queues) || ev.Queues[0].Name != "billing" {
		t.Errorf("figures %+v", ev.Queues)
	}
	p.agent(t, s, "a1", []string{"general"}, nil, true)
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "general"})
	nextOffer(t, w)
	must(t, s.Answered(bg, "call-1", "a1"))
	must(t, s.RequestHelp(bg, "a1", "call-1", "customer asks for a manager"))
	ev = waitEvent(t, leaders, "help request", func(e Event) bool { return e.Type == EventHelp })
	if ev.AgentID != "a1" || ev.CallID != "call-1" || ev.State != OnCall || ev.Note != "customer asks for a manager" {
		t.Errorf("help request %+v", ev)
	}
	if err := s.RequestHelp(bg, "a1", "other-call", ""); !errors.Is(err, ErrConflict) {
		t.Errorf("help on a call not the agent's: %v", err)
	}
}

// ring_all: when every rung agent lets the call ring out, each is paused
// no_answer and the call waits again (the first no-answer leaves it
// ringing the others).
func TestRingAllEveryoneRingsOut(t *testing.T) {
	p := newPool(t)
	s := p.start(t, "c1")
	p.agent(t, s, "a", []string{"small"}, nil, true)
	p.agent(t, s, "b", []string{"small"}, nil, true)
	w := enq(t, s, CallEntry{CallID: "call-1", Queue: "small"})
	if got := offeredIDs(nextOffer(t, w)); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("offered to %v", got)
	}
	must(t, s.NoAnswer(bg, "call-1", "a"))
	wantState(t, s, "b", Reserved)
	if q, _ := s.Queue(bg, "small"); q.Waiting != 0 {
		t.Errorf("call back in the queue while b still rings")
	}
	must(t, s.NoAnswer(bg, "call-1", "b"))
	wantState(t, s, "a", Paused)
	wantState(t, s, "b", Paused)
	q, err := s.Queue(bg, "small")
	must(t, err)
	if q.Waiting != 1 || q.Agents[Paused] != 2 {
		t.Errorf("queue %+v", q)
	}
	must(t, s.Ready(bg, "b"))
	if got := offeredIDs(nextOffer(t, w)); !slices.Equal(got, []string{"b"}) {
		t.Errorf("re-offered to %v", got)
	}
}
