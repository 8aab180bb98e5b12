package acd

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/metrics"
)

// scrape is the metrics of one or more controllers, summed as Prometheus
// rules sum over instances.
type scrape []*prometheus.Registry

// newMetrics is one controller's metrics on a registry of its own, with
// the test queues' targets: service level 20 s everywhere, short abandons
// under 5 s in general.
func newMetrics(t *testing.T) (*prometheus.Registry, *metrics.Metrics) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, nil)
	qs := map[string]metrics.QueueTargets{}
	for name, q := range testSettings().Queues {
		qs[name] = metrics.QueueTargets{ServiceLevelThreshold: q.ServiceLevel, MaxWait: q.MaxWait}
	}
	qs["general"] = metrics.QueueTargets{ServiceLevelThreshold: 20 * time.Second, ShortAbandon: 5 * time.Second,
		MaxWait: 5 * time.Minute}
	m.Configure(metrics.Config{Queues: qs})
	return reg, m
}

// startMetered runs a controller of the pool that feeds m.
func (p *pool) startMetered(t *testing.T, instance string, m *metrics.Metrics) *Service {
	t.Helper()
	s, err := New(Options{Client: p.rdb, KeyPrefix: p.prefix, Pool: "test", Instance: instance, Clock: p.clock,
		Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel), Metrics: m}, p.st)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); s.Wait() })
	return s
}

// sample sums a series over the scrape: a counter's or gauge's value, a
// histogram's count (and sum in seconds). labels are name, value pairs;
// every series matching them is added.
func (sc scrape) sample(t *testing.T, metric string, labels ...string) (value, sum float64) {
	t.Helper()
	found := false
	for _, reg := range sc {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != metric {
				continue
			}
		next:
			for _, mm := range mf.GetMetric() {
				got := map[string]string{}
				for _, lp := range mm.GetLabel() {
					got[lp.GetName()] = lp.GetValue()
				}
				for i := 0; i+1 < len(labels); i += 2 {
					if got[labels[i]] != labels[i+1] {
						continue next
					}
				}
				found = true
				switch {
				case mm.Counter != nil:
					value += mm.GetCounter().GetValue()
				case mm.Gauge != nil:
					value += mm.GetGauge().GetValue()
				case mm.Histogram != nil:
					value += float64(mm.GetHistogram().GetSampleCount())
					sum += mm.GetHistogram().GetSampleSum()
				}
			}
		}
	}
	if !found {
		t.Fatalf("no series %s%v", metric, labels)
	}
	return value, sum
}

// want is one expected figure: the value (a histogram's count) and, for a
// histogram, the sum in seconds.
type want struct {
	name   string
	metric string
	labels []string
	value  float64
	sum    float64 // histograms only; anySum: not checked (wall-clock latencies)
}

const anySum = -1

func (sc scrape) check(t *testing.T, wants []want) {
	t.Helper()
	for _, w := range wants {
		v, sum := sc.sample(t, w.metric, w.labels...)
		if v != w.value || (w.sum != anySum && sum != w.sum) {
			t.Errorf("%s: %s%v = %v (sum %v), want %v (sum %v)", w.name, w.metric, w.labels, v, sum, w.value, w.sum)
		}
	}
}

func dispositions(recorded, fh, closing string) []string {
	return []string{"recorded", recorded, "further_help", fh, "closing", closing}
}

// An answered call counts its wait in the queue against the queue's
// threshold (12 s within 20 s, 70 s not), its talk when it ends, its agent's
// wrap-up when it ends (early by Ready, or by the timer) and, then, whether
// a disposition was recorded.
func TestMetricsAnsweredCallsCountWaitTalkWrapUpAndDisposition(t *testing.T) {
	p := newPool(t)
	reg, m := newMetrics(t)
	s := p.startMetered(t, "c1", m)
	feed, cancel := s.Subscribe("a1")
	defer cancel()
	p.agent(t, s, "a1", []string{"general"}, nil, false)

	w1 := enq(t, s, CallEntry{CallID: "call-1", Queue: "general"})
	p.clock.Advance(12 * time.Second)
	must(t, s.Login(bg, "a1"))
	nextOffer(t, w1)
	must(t, s.Answered(bg, "call-1", "a1"))
	w2 := enq(t, s, CallEntry{CallID: "call-2", Queue: "general"}) // waits: a1 talks
	p.clock.Advance(60 * time.Second)
	must(t, s.Ended(bg, "call-1", PartyCaller))
	must(t, s.Disposition(bg, "call-1", "a1", Disposition{Category: CategoryInformation,
		FurtherHelpOffered: true, StandardClosing: true}))
	p.clock.Advance(10 * time.Second)
	must(t, s.Ready(bg, "a1")) // ends the wrap-up early; a1 takes call-2
	nextOffer(t, w2)
	must(t, s.Answered(bg, "call-2", "a1"))
	p.clock.Advance(30 * time.Second)
	must(t, s.Ended(bg, "call-2", PartyAgent))
	p.clock.Advance(30 * time.Second) // the wrap-up timer: no disposition for call-2
	waitEvent(t, feed, "call-2's wrap-up end", func(ev Event) bool {
		return ev.Type == EventWrapUpEnd && ev.CallID == "call-2"
	})

	scrape{reg}.check(t, []want{
		{"entered", "tenesa_queue_entered_total", []string{"queue", "general"}, 2, 0},
		{"answered waits 12 s and 70 s", "tenesa_queue_wait_seconds", []string{"queue", "general", "outcome", "answered"}, 2, 82},
		{"within 20 s: the first only", "tenesa_queue_answered_within_threshold_total", []string{"queue", "general"}, 1, 0},
		{"no abandon", "tenesa_queue_wait_seconds", []string{"queue", "general", "outcome", "abandoned"}, 0, 0},
		{"talk 60 s and 30 s", "tenesa_queue_talk_seconds", []string{"queue", "general"}, 2, 90},
		{"wrap-up 10 s (ready) and 30 s (timer)", "tenesa_queue_wrap_up_seconds", []string{"queue", "general"}, 2, 40},
		{"call-1 recorded with further help and closing", "tenesa_dispositions_total", dispositions("true", "true", "true"), 1, 0},
		{"call-2 not recorded", "tenesa_dispositions_total", dispositions("false", "false", "false"), 1, 0},
		{"dispositions in all", "tenesa_dispositions_total", nil, 2, 0},
		{"two offers dispatched", "tenesa_dispatch_latency_seconds", nil, 2, anySum},
		{"no escalation", "tenesa_escalations_total", nil, 0, 0},
	})
}

// A caller who leaves under the queue's short-abandon threshold (5 s) is
// a short abandon; one who leaves after 40 s is not. A duplicate report
// and an adoption (the call enqueued again) count nothing more.
func TestMetricsAbandonsShortAndLong(t *testing.T) {
	p := newPool(t)
	reg, m := newMetrics(t)
	s := p.startMetered(t, "c1", m)

	enq(t, s, CallEntry{CallID: "call-1", Queue: "general"})
	p.clock.Advance(3 * time.Second)
	must(t, s.Abandoned(bg, "call-1"))
	must(t, s.Abandoned(bg, "call-1"))
	enq(t, s, CallEntry{CallID: "call-2", Queue: "general"})
	p.clock.Advance(20 * time.Second)
	enq(t, s, CallEntry{CallID: "call-2", Queue: "general"}) // adopted: keeps its place
	p.clock.Advance(20 * time.Second)
	must(t, s.Abandoned(bg, "call-2"))

	scrape{reg}.check(t, []want{
		{"entered once each", "tenesa_queue_entered_total", []string{"queue", "general"}, 2, 0},
		{"abandoned after 3 s and 40 s", "tenesa_queue_wait_seconds", []string{"queue", "general", "outcome", "abandoned"}, 2, 43},
		{"short: the first", "tenesa_queue_abandoned_short_total", []string{"queue", "general"}, 1, 0},
		{"nothing answered", "tenesa_queue_wait_seconds", []string{"queue", "general", "outcome", "answered"}, 0, 0},
	})
}

// Two controllers on one Redis, each with its own metrics: a call past its
// maximum wait (5 m) is moved by the one whose timer claims it, and the
// facts are counted once over both: overflowed from general after 300 s,
// entered tl, then answered in tl after 3 s there (the wait in the queue,
// not since the first enqueue), dispatched once.
func TestMetricsOverflowIsCountedOnceAcrossControllers(t *testing.T) {
	p := newPool(t)
	reg1, m1 := newMetrics(t)
	reg2, m2 := newMetrics(t)
	s1 := p.startMetered(t, "c1", m1)
	s2 := p.startMetered(t, "c2", m2)
	leaders, cancel := s1.SubscribeLeaders()
	defer cancel()
	p.agent(t, s2, "t1", []string{"tl"}, nil, false)

	w := enq(t, s1, CallEntry{CallID: "call-1", Queue: "general"})
	p.clock.Advance(5 * time.Minute)
	waitEvent(t, leaders, "the overflow", func(ev Event) bool {
		return ev.Type == EventEscalation && ev.CallID == "call-1"
	})
	if n := nextNotice(t, w); n.Kind != NoticeMoved {
		t.Fatalf("notice %+v, want moved", n)
	}
	p.clock.Advance(3 * time.Second)
	must(t, s2.Login(bg, "t1")) // on the other controller: it dispatches
	nextOffer(t, w)
	must(t, s1.Answered(bg, "call-1", "t1"))

	scrape{reg1, reg2}.check(t, []want{
		{"entered general", "tenesa_queue_entered_total", []string{"queue", "general"}, 1, 0},
		{"overflowed from general after 300 s", "tenesa_queue_wait_seconds", []string{"queue", "general", "outcome", "overflowed"}, 1, 300},
		{"entered tl by the move", "tenesa_queue_entered_total", []string{"queue", "tl"}, 1, 0},
		{"answered in tl after 3 s there", "tenesa_queue_wait_seconds", []string{"queue", "tl", "outcome", "answered"}, 1, 3},
		{"within tl's threshold", "tenesa_queue_answered_within_threshold_total", []string{"queue", "tl"}, 1, 0},
		{"one max-wait escalation", "tenesa_escalations_total", []string{"reason", "max_wait"}, 1, 0},
		{"escalations in all", "tenesa_escalations_total", nil, 1, 0},
		{"one offer dispatched", "tenesa_dispatch_latency_seconds", nil, 1, anySum},
	})
}

// An agent's escalation ends the agent's talk in its queue (the call was
// answered there: no overflow) and puts the call in the Team Leader queue;
// the escalating agent's wrap-up is counted for its queue, the
// disposition once, at the end of the last agent's wrap-up. A repeat caller
// enters the Team Leader queue only.
func TestMetricsEscalationsByAgentAndRepeatCaller(t *testing.T) {
	p := newPool(t)
	reg1, m1 := newMetrics(t)
	reg2, m2 := newMetrics(t)
	s1 := p.startMetered(t, "c1", m1)
	s2 := p.startMetered(t, "c2", m2)
	feed, cancel := s1.Subscribe("t1")
	defer cancel()
	p.agent(t, s1, "a1", []string{"general"}, nil, true)
	p.agent(t, s2, "t1", []string{"tl"}, nil, true)

	w := enq(t, s1, CallEntry{CallID: "call-1", Queue: "general"})
	nextOffer(t, w)
	must(t, s1.Answered(bg, "call-1", "a1"))
	p.clock.Advance(45 * time.Second)
	must(t, s2.Escalate(bg, "call-1", "a1", EscalationAgent)) // through the other controller (the agent API)
	if n := nextNotice(t, w); n.Kind != NoticeMoved {
		t.Fatalf("notice %+v, want moved", n)
	}
	nextOffer(t, w) // t1
	p.clock.Advance(5 * time.Second)
	must(t, s2.Ready(bg, "a1"))
	must(t, s1.Answered(bg, "call-1", "t1"))
	p.clock.Advance(20 * time.Second)
	must(t, s1.Ended(bg, "call-1", PartyCaller))
	must(t, s2.Disposition(bg, "call-1", "t1", Disposition{Category: CategoryComplaint, TicketID: "T-1", StandardClosing: true}))
	p.clock.Advance(30 * time.Second)
	waitEvent(t, feed, "t1's wrap-up end", func(ev Event) bool { return ev.Type == EventWrapUpEnd })

	for i := range 3 { // the third call about an open complaint goes to tl
		id := callIDs(3, "rep")[i]
		enq(t, s1, CallEntry{CallID: id, Queue: "billing", ServiceID: "470301000101", OpenComplaint: true})
	}

	scrape{reg1, reg2}.check(t, []want{
		{"general: one entered", "tenesa_queue_entered_total", []string{"queue", "general"}, 1, 0},
		{"general: answered, not overflowed", "tenesa_queue_wait_seconds", []string{"queue", "general"}, 1, 0},
		{"general: a1's talk 45 s", "tenesa_queue_talk_seconds", []string{"queue", "general"}, 1, 45},
		{"general: a1's wrap-up 5 s", "tenesa_queue_wrap_up_seconds", []string{"queue", "general"}, 1, 5},
		{"tl: the escalated call and the repeat caller", "tenesa_queue_entered_total", []string{"queue", "tl"}, 2, 0},
		{"tl: answered after 5 s there", "tenesa_queue_wait_seconds", []string{"queue", "tl", "outcome", "answered"}, 1, 5},
		{"tl: t1's talk 20 s", "tenesa_queue_talk_seconds", []string{"queue", "tl"}, 1, 20},
		{"tl: t1's wrap-up 30 s", "tenesa_queue_wrap_up_seconds", []string{"queue", "tl"}, 1, 30},
		{"billing: the first two repeat calls", "tenesa_queue_entered_total", []string{"queue", "billing"}, 2, 0},
		{"one disposition, recorded with closing", "tenesa_dispositions_total", dispositions("true", "false", "true"), 1, 0},
		{"dispositions in all", "tenesa_dispositions_total", nil, 1, 0},
		{"agent escalation", "tenesa_escalations_total", []string{"reason", "agent_request"}, 1, 0},
		{"repeat caller", "tenesa_escalations_total", []string{"reason", "repeat_caller"}, 1, 0},
		{"no overflow", "tenesa_escalations_total", []string{"reason", "max_wait"}, 0, 0},
	})
}

// The live figures are read from Redis at scrape time: calls waiting and
// the oldest wait by queue, members by state, every agent once by state.
func TestMetricsLiveFiguresReadAtScrape(t *testing.T) {
	p := newPool(t)
	reg, m := newMetrics(t)
	s := p.startMetered(t, "c1", m)
	m.SetLive(s.Live)
	p.agent(t, s, "a1", []string{"general", "billing"}, nil, true)
	must(t, s.Pause(bg, "a1", "break"))
	p.agent(t, s, "a2", []string{"billing"}, nil, false)
	enq(t, s, CallEntry{CallID: "call-1", Queue: "general"})
	p.clock.Advance(12 * time.Second)

	scrape{reg}.check(t, []want{
		{"figures up", "tenesa_acd_figures_up", nil, 1, 0},
		{"waiting in general", "tenesa_queue_calls_waiting", []string{"queue", "general"}, 1, 0},
		{"oldest wait in general", "tenesa_queue_oldest_wait_seconds", []string{"queue", "general"}, 12, 0},
		{"none waiting in billing", "tenesa_queue_calls_waiting", []string{"queue", "billing"}, 0, 0},
		{"general's paused member", "tenesa_queue_agents", []string{"queue", "general", "state", "paused"}, 1, 0},
		{"billing's members", "tenesa_queue_agents", []string{"queue", "billing"}, 2, 0},
		{"a1 counted once", "tenesa_agents", []string{"state", "paused"}, 1, 0},
		{"a2 logged out", "tenesa_agents", []string{"state", "logged_out"}, 1, 0},
		{"nobody on a call", "tenesa_agents", []string{"state", "on_call"}, 0, 0},
	})
}

// A wrap-up ended by a pause or a logout is a wrap-up end like the timer's:
// its time and the call's disposition are counted then.
func TestMetricsWrapUpEndedByPauseOrLogout(t *testing.T) {
	p := newPool(t)
	reg, m := newMetrics(t)
	s := p.startMetered(t, "c1", m)
	p.agent(t, s, "a1", []string{"general"}, nil, true)
	for i, end := range []func() error{
		func() error { return s.Pause(bg, "a1", "break") },
		func() error { return s.Logout(bg, "a1") },
	} {
		id := callIDs(2, "call")[i]
		w := enq(t, s, CallEntry{CallID: id, Queue: "general"})
		nextOffer(t, w)
		must(t, s.Answered(bg, id, "a1"))
		must(t, s.Ended(bg, id, PartyCaller))
		p.clock.Advance(time.Duration(7-3*i) * time.Second) // 7 s, then 4 s
		must(t, end())
		if i == 0 {
			must(t, s.Ready(bg, "a1")) // from the pause: not a wrap-up end
		}
	}
	scrape{reg}.check(t, []want{
		{"wrap-ups of 7 s and 4 s", "tenesa_queue_wrap_up_seconds", []string{"queue", "general"}, 2, 11},
		{"two calls not recorded", "tenesa_dispositions_total", dispositions("false", "false", "false"), 2, 0},
	})
}
