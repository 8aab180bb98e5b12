package flow_test

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/promtest"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// The queues of TestPrometheusEndToEndQueueFigures, each with its own
// thresholds (so the per-queue rules must use each queue's). Every length
// here is real time: the acd stamps each fact with the wall clock (its
// scripts' now), while the simulator's callers and agents act in sim time
// (simTimeScale: 1 s real = 50 s sim); simDur converts. The margins between
// a planned wait and the threshold it must fall on one side of are 1.7 s
// or more, and every planned wait that must exceed a threshold is a
// simulator timer that cannot fire early, so load only lengthens waits
// planned to be long.
type e2eQueue struct {
	name         string
	number       string        // a caller routed to this queue
	serviceLevel time.Duration // T: answered after waiting at most T counts toward SL
	shortAbandon time.Duration // S: abandons sooner are left out of SL and abandonment
	wrapUp       time.Duration
	// ringTimeout: how long an agent's phone rings before the originate
	// times out. The acd hands ring_timeout to the originate, whose
	// timeout the simulator (like Asterisk) counts in its own time: the
	// config gets simDur(ringTimeout).
	ringTimeout time.Duration
	talk        time.Duration // the agent hangs up after talking this long
	lateAnswer  time.Duration // the agent of an "answered after T" call rings this long (> T)
	shortWait   time.Duration // a short-abandon caller hangs up after this (< S)
	longWait    time.Duration // a long-abandon caller hangs up after this (> S)
	agent       string        // id of the queue's agent
	endpoint    string
	noAnswer    string // id of an agent who lets an offer ring out ("": none in this queue)
	noAnswerEP  string
}

const ag1003 = "PJSIP/agent1003"

var e2eQueues = []e2eQueue{
	{name: "enterprise-care", number: aniDES, serviceLevel: 2 * time.Second, shortAbandon: 2500 * time.Millisecond,
		wrapUp: 500 * time.Millisecond, ringTimeout: 6 * time.Second, talk: time.Second, lateAnswer: 4 * time.Second,
		shortWait: 300 * time.Millisecond, longWait: 4500 * time.Millisecond,
		agent: "1001", endpoint: ag1001, noAnswer: "1002", noAnswerEP: ag1002},
	{name: "government", number: aniJayapura, serviceLevel: 3 * time.Second, shortAbandon: 2 * time.Second,
		wrapUp: time.Second, ringTimeout: 7 * time.Second, talk: 1500 * time.Millisecond, lateAnswer: 5 * time.Second,
		shortWait: 300 * time.Millisecond, longWait: 4 * time.Second,
		agent: "1003", endpoint: ag1003},
}

// simDur is the sim duration the simulator needs for d of real time.
func simDur(d time.Duration) time.Duration { return time.Duration(float64(d) / simTimeScale) }

// e2eQueueConfig sets the queues' thresholds and gives each queue its own
// agents (none logged in at start).
func e2eQueueConfig(cfg *configs.Config) {
	for _, q := range e2eQueues {
		rq := cfg.Routing.Queues[q.name]
		rq.ServiceLevel, rq.ShortAbandon, rq.WrapUp, rq.RingTimeout = q.serviceLevel, q.shortAbandon, q.wrapUp, simDur(q.ringTimeout)
		cfg.Routing.Queues[q.name] = rq
	}
	skills := []string{"segment:DES", "segment:DGS", "lang:id", "lang:en"}
	cfg.Agents = []configs.Agent{
		{ID: "1001", Name: "Agent 1001", Endpoint: ag1001, Role: "agent", Skills: skills, Queues: []string{"enterprise-care"}},
		{ID: "1002", Name: "Agent 1002", Endpoint: ag1002, Role: "agent", Skills: skills, Queues: []string{"enterprise-care"}},
		{ID: "1003", Name: "Agent 1003", Endpoint: ag1003, Role: "agent", Skills: skills, Queues: []string{"government"}},
		{ID: "1004", Name: "Team Leader 1004", Endpoint: ag1004, Role: "team_leader", Skills: []string{"lang:id", "lang:en"},
			Queues: []string{"team-leader"}},
	}
}

// What each call of the mix is planned to be.
const (
	planWithin      = "answered within T"
	planWithinDispo = "answered within T, disposition recorded"
	planLate        = "answered after T"
	planNoAnswer    = "first agent rings out, next answers"
	planShort       = "abandoned before S (short)"
	planLong        = "abandoned after S"
)

// placedCall is one call of the mix and its handling record.
type placedCall struct {
	queue, plan string
	r           *router.Record
}

// waitLong polls cond (a state of the acd or the records) for up to a
// minute: the waits it covers include sim-scripted ringing of several
// seconds on a loaded machine.
func waitLong(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling the simulator and the acd, as waitUntil
	}
}

func (aw *acdWorld) recordOf(t testing.TB, callID string) *router.Record {
	t.Helper()
	var r *router.Record
	waitLong(t, "handling record of "+callID, func() bool {
		aw.mu.Lock()
		defer aw.mu.Unlock()
		r = aw.records[callID]
		return r != nil
	})
	return r
}

// placeMix places the calls of queue q one after the other (so the agent's
// state sets each call's wait), then the abandons together.
func placeMix(t *testing.T, aw *acdWorld, q e2eQueue, add func(placedCall)) {
	ctx := context.Background()
	agentOp := func(op func(context.Context, string) error, id string) {
		t.Helper()
		if err := op(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	caller := func(rest ...arisim.Step) arisim.Caller {
		return arisim.Caller{Number: q.number, Script: steps(menu("menu-main", "0"), rest)}
	}
	stays := []arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(time.Hour)} // until the call is ended for it
	givesUpAfter := func(d time.Duration) []arisim.Step {
		return []arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(simDur(d)), hangUp}
	}
	one := func(plan string, c arisim.Caller) {
		t.Helper()
		r, _ := aw.call(t, c)
		add(placedCall{q.name, plan, r})
	}
	fast := arisim.Agent{Endpoint: q.endpoint, AnswerAfter: time.Second, HangupAfter: simDur(q.talk)}

	aw.sim.AddAgent(fast)
	agentOp(aw.svc.Login, q.agent)
	for range 2 {
		one(planWithin, caller(stays...))
	}
	if q.noAnswer == "" {
		// The agent records a disposition (further help offered, no
		// standard closing) during the call; the caller ends it.
		aw.sim.AddAgent(arisim.Agent{Endpoint: q.endpoint, AnswerAfter: time.Second})
		call := aw.place(t, caller(stays...))
		waitLong(t, "agent "+q.agent+" on the call", func() bool {
			st := aw.agentState(t, q.agent)
			return st.State == acd.OnCall && st.CallID == call.ChannelID()
		})
		if err := aw.svc.Disposition(ctx, call.ChannelID(), q.agent, acd.Disposition{Category: acd.CategoryRequest,
			FurtherHelpOffered: true}); err != nil {
			t.Fatal(err)
		}
		call.HangUp()
		add(placedCall{q.name, planWithinDispo, aw.recordOf(t, call.ChannelID())})
	} else {
		one(planWithin, caller(stays...))
	}
	aw.sim.AddAgent(arisim.Agent{Endpoint: q.endpoint, AnswerAfter: simDur(q.lateAnswer), HangupAfter: simDur(q.talk)})
	for range 2 {
		one(planLate, caller(stays...))
	}
	aw.sim.AddAgent(fast)
	if q.noAnswer != "" {
		// Only the no-answer agent is in: it rings out (ring timeout) and is
		// paused no_answer; then the queue's agent logs in and answers.
		agentOp(aw.svc.Logout, q.agent)
		aw.sim.AddAgent(arisim.Agent{Endpoint: q.noAnswerEP, NeverAnswer: true})
		agentOp(aw.svc.Login, q.noAnswer)
		call := aw.place(t, caller(stays...))
		waitLong(t, "agent "+q.noAnswer+" paused no_answer", func() bool {
			st := aw.agentState(t, q.noAnswer)
			return st.State == acd.Paused && st.Reason == acd.ReasonNoAnswer
		})
		agentOp(aw.svc.Login, q.agent)
		add(placedCall{q.name, planNoAnswer, aw.recordOf(t, call.ChannelID())})
	}
	agentOp(aw.svc.Logout, q.agent) // nobody answers now
	t.Run("abandons", func(t *testing.T) {
		for i, a := range []struct {
			plan string
			wait time.Duration
		}{{planShort, q.shortWait}, {planShort, q.shortWait}, {planLong, q.longWait}, {planLong, q.longWait}} {
			t.Run(fmt.Sprintf("%d %s", i+1, a.plan), func(t *testing.T) {
				t.Parallel()
				r, _ := aw.call(t, caller(givesUpAfter(a.wait)...))
				add(placedCall{q.name, a.plan, r})
			})
		}
	})
}

// tally is what the handling records of one queue (or of all: queue "")
// say, counted the way deployments/prometheus/README.md defines the
// figures, with each queue's own thresholds.
type tally struct {
	entered, answered, within, abandoned, short float64
	waitSum, talkSum, wrapSum                   float64 // waits, talk and wrap-up of the answered calls
	dispositions, furtherHelp, closing          float64
}

func (a *tally) add(b tally) {
	a.entered += b.entered
	a.answered += b.answered
	a.within += b.within
	a.abandoned += b.abandoned
	a.short += b.short
	a.waitSum += b.waitSum
	a.talkSum += b.talkSum
	a.wrapSum += b.wrapSum
	a.dispositions += b.dispositions
	a.furtherHelp += b.furtherHelp
	a.closing += b.closing
}

// tallyOf counts one record of queue q.
func tallyOf(t *testing.T, q e2eQueue, r *router.Record) tally {
	t.Helper()
	if r.EnqueuedAt == nil || r.Queue != q.name || len(r.Escalations) > 0 {
		t.Fatalf("call %s: queue %q (first %q), enqueued %v, escalations %v: the mix has calls of one queue each",
			r.CallID, r.Queue, r.FirstQueue, r.EnqueuedAt, r.Escalations)
	}
	x := tally{entered: 1}
	switch r.Outcome {
	case router.OutcomeAgentAnswered:
		x.answered, x.waitSum, x.talkSum, x.wrapSum = 1, r.WaitSeconds, r.TalkSeconds, r.WrapUpSeconds
		if r.WaitSeconds <= q.serviceLevel.Seconds() {
			x.within = 1
		}
		if d := r.Disposition; d != nil {
			x.dispositions = 1
			if d.FurtherHelpOffered {
				x.furtherHelp = 1
			}
			if d.StandardClosing {
				x.closing = 1
			}
		}
	case router.OutcomeAbandonedQueue:
		x.abandoned = 1
		if r.WaitSeconds < q.shortAbandon.Seconds() {
			x.short = 1
		}
	default:
		t.Fatalf("call %s: outcome %s (%s), the mix has answered and abandoned calls only", r.CallID, r.Outcome, r.FailReason)
	}
	return x
}

// queueFigure is a recording rule of rules/queue.rules.yml (or a KPI of
// ivr.rules.yml over agent-handled calls) and the same figure from a tally.
type queueFigure struct {
	rule     string // without the window suffix; per queue "queue:" + rule
	perQueue bool
	of       func(x tally) (num, den float64)
}

// ended: calls whose wait in the queue ended (none overflows in the mix).
func (x tally) ended() float64 { return x.answered + x.abandoned }

var queueFigures = []queueFigure{
	{"tenesa_service_level:ratio", true, func(x tally) (float64, float64) { return x.within, x.ended() - x.short }},
	{"tenesa_asa_seconds:avg", true, func(x tally) (float64, float64) { return x.waitSum, x.answered }},
	{"tenesa_aht_seconds:avg", true, func(x tally) (float64, float64) { return x.talkSum + x.wrapSum, x.answered }},
	{"tenesa_abandonment:ratio", true, func(x tally) (float64, float64) { return x.abandoned - x.short, x.ended() - x.short }},
	{"tenesa_needs_recorded:ratio", false, func(x tally) (float64, float64) { return x.dispositions, x.answered }},
	{"tenesa_further_help_offered:ratio", false, func(x tally) (float64, float64) { return x.furtherHelp, x.dispositions }},
	{"tenesa_standard_closing:ratio", false, func(x tally) (float64, float64) { return x.closing, x.dispositions }},
}

// rawCounter is a raw series of the queue metrics, summed by queue, and
// what the records say it holds (exactly: no window, no extrapolation).
var rawCounters = []struct {
	expr string
	of   func(x tally) float64
}{
	{`tenesa_queue_entered_total`, func(x tally) float64 { return x.entered }},
	{`tenesa_queue_wait_seconds_count{outcome="answered"}`, func(x tally) float64 { return x.answered }},
	{`tenesa_queue_wait_seconds_count{outcome="abandoned"}`, func(x tally) float64 { return x.abandoned }},
	{`tenesa_queue_wait_seconds_count{outcome="overflowed"}`, func(tally) float64 { return 0 }},
	{`tenesa_queue_answered_within_threshold_total`, func(x tally) float64 { return x.within }},
	{`tenesa_queue_abandoned_short_total`, func(x tally) float64 { return x.short }},
	{`tenesa_queue_wait_seconds_sum{outcome="answered"}`, func(x tally) float64 { return x.waitSum }},
	{`tenesa_queue_talk_seconds_count`, func(x tally) float64 { return x.answered }},
	{`tenesa_queue_talk_seconds_sum`, func(x tally) float64 { return x.talkSum }},
	{`tenesa_queue_wrap_up_seconds_count`, func(x tally) float64 { return x.answered }},
	{`tenesa_queue_wrap_up_seconds_sum`, func(x tally) float64 { return x.wrapSum }},
}

// same: equal but for float rounding (sums of millisecond durations in a
// different order; increase()'s extrapolation factor, the same for
// numerator and denominator, divided out).
func same(got, want float64) bool {
	return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

// TestPrometheusEndToEndQueueFigures runs a real Prometheus (Debian's
// prometheus package; the test fails without it) with the project's rule
// files, scraping a controller whose calls go through the flow and the acd
// (router/acd on the test Redis) against the simulator. Two queues with
// different thresholds take a known mix: answered within the service-level
// threshold T, answered after it, an agent who lets the call ring out
// before the next answers, abandoned before the short-abandon threshold S
// and after it, agents' talk and wrap-up of set lengths, one disposition.
// The recording rules operations use (SL, ASA, AHT, abandonment, per queue
// and overall, 5m and 1h; needs recorded, further help, closing) are
// queried through the HTTP API at an evaluation after the last count was
// scraped and must equal the figures computed from the handling records of
// the same calls; so must the raw queue counters.
//
// Exactness: SL is counted directly (no histogram bucket involved), ASA and
// AHT divide histogram _sum by _count (no interpolation), and increase()
// extrapolates every series of one scrape target by the same factor (all
// are created at zero before the first scrape and scraped together), which
// cancels in each ratio; what remains is float rounding (same).
func TestPrometheusEndToEndQueueFigures(t *testing.T) {
	reg := metrics.NewRegistry()
	m := metrics.New(reg, nil)
	aw := newACDWorld(t, acdOpts{metrics: m, tweak: e2eQueueConfig})
	m.Configure(metrics.FromConfig(aw.cfg)) // as serve: the queues' series at zero, their thresholds
	m.SetLive(aw.svc.Live)
	srv := httptest.NewServer(metrics.Handler(reg))
	t.Cleanup(srv.Close)
	rules, err := filepath.Abs("../../deployments/prometheus/rules/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	prom := promtest.Start(t, promtest.Options{Target: strings.TrimPrefix(srv.URL, "http://"), Rules: []string{rules}})
	ctx := context.Background()
	v := prom.WaitFor(t, "the first scrape (every queue series at zero)", `max(timestamp(tenesa_queue_entered_total))`,
		30*time.Second, func(v []promtest.Sample) bool { return len(v) == 1 })
	start := v[0].Value // a scrape before any call

	var mu sync.Mutex
	var calls []placedCall
	add := func(c placedCall) {
		mu.Lock()
		calls = append(calls, c)
		mu.Unlock()
	}
	t.Run("calls", func(t *testing.T) {
		for _, q := range e2eQueues {
			t.Run(q.name, func(t *testing.T) {
				t.Parallel()
				placeMix(t, aw, q, add)
			})
		}
	})
	if t.Failed() {
		return
	}

	// what the records say, per queue and overall; each call as recorded
	var report strings.Builder
	byQueue := map[string]*tally{"": {}}
	fmt.Fprintf(&report, "\nthe calls (handling records; times in seconds):\n%-16s %-42s %-16s %7s %7s %7s  %s\n",
		"queue", "planned", "outcome", "wait", "talk", "wrap-up", "disposition")
	slices.SortStableFunc(calls, func(a, b placedCall) int { return strings.Compare(a.queue, b.queue) })
	for _, c := range calls {
		q := e2eQueues[slices.IndexFunc(e2eQueues, func(q e2eQueue) bool { return q.name == c.queue })]
		x := tallyOf(t, q, c.r)
		if byQueue[q.name] == nil {
			byQueue[q.name] = &tally{}
		}
		byQueue[q.name].add(x)
		byQueue[""].add(x)
		dispo := "-"
		if d := c.r.Disposition; d != nil {
			dispo = fmt.Sprintf("%s further_help=%v closing=%v", d.Category, d.FurtherHelpOffered, d.StandardClosing)
		} else if c.r.DispositionMissing {
			dispo = "not recorded"
		}
		fmt.Fprintf(&report, "%-16s %-42s %-16s %7.3f %7.3f %7.3f  %s\n", c.queue, c.plan, c.r.Outcome,
			c.r.WaitSeconds, c.r.TalkSeconds, c.r.WrapUpSeconds, dispo)
		checkPlanned(t, q, c)
	}
	for _, q := range e2eQueues {
		x := byQueue[q.name]
		if x == nil || x.within == 0 || x.within == x.answered || x.short == 0 || x.short == x.abandoned {
			t.Fatalf("queue %s: records %+v: the mix must have calls answered within and after T and abandons before "+
				"and after S (were waits planned 1.7 s off a threshold pushed across it?)", q.name, x)
		}
	}
	all := byQueue[""]

	// Every fact counted, then scraped; then each rule evaluated after that scrape.
	n := float64(len(calls))
	for _, w := range []struct {
		expr string
		want float64
	}{{`sum(tenesa_calls_total)`, n}, {`sum(tenesa_queue_wait_seconds_count)`, all.entered},
		{`sum(tenesa_queue_wrap_up_seconds_count)`, all.answered}, {`sum(tenesa_dispositions_total)`, all.answered}} {
		prom.WaitFor(t, "every call counted and scraped", w.expr, 30*time.Second,
			func(v []promtest.Sample) bool { return len(v) == 1 && v[0].Value == w.want })
	}
	scraped, err := prom.Scalar(ctx, `max(timestamp(tenesa_queue_entered_total))`)
	if err != nil {
		t.Fatal(err)
	}
	var lastEval time.Time
	// recorded returns a recording rule's value at its latest evaluation,
	// which must come over two scrape intervals after the last count was
	// scraped.
	recorded := func(sel string) float64 {
		t.Helper()
		v := prom.WaitFor(t, sel+" evaluated after the last scrape", `max(timestamp(`+sel+`))`, 30*time.Second,
			func(v []promtest.Sample) bool { return len(v) == 1 && v[0].Value > scraped+2 })
		at := time.UnixMilli(int64(math.Round(v[0].Value * 1000)))
		got, err := prom.ScalarAt(ctx, sel, at)
		if err != nil {
			t.Fatal(err)
		}
		if win := 5 * time.Minute; strings.HasSuffix(sel, "5m") || strings.Contains(sel, "5m{") {
			if span := at.Sub(time.UnixMilli(int64(start * 1000))); span >= win {
				t.Fatalf("%s: the calls took %v from the zero scrape to the evaluation, longer than the rule's 5m window "+
					"(the mix takes about a minute even on a loaded machine)", sel, span)
			}
		}
		if at.After(lastEval) {
			lastEval = at
		}
		return got
	}

	fmt.Fprintf(&report, "\nthresholds (real seconds): ")
	for _, q := range e2eQueues {
		fmt.Fprintf(&report, "%s T=%v S=%v wrap-up=%v; ", q.name, q.serviceLevel.Seconds(), q.shortAbandon.Seconds(), q.wrapUp.Seconds())
	}
	fmt.Fprintf(&report, "\n\n%-62s %12s %12s  %s\n", "recording rule (queried at its evaluation)", "prometheus", "records", "records: num/den")
	for _, win := range []string{"5m", "1h"} {
		for _, f := range queueFigures {
			type target struct {
				sel string
				x   tally
			}
			targets := []target{{f.rule + win, *all}}
			if f.perQueue {
				targets = targets[:0]
				for _, q := range e2eQueues {
					targets = append(targets, target{fmt.Sprintf(`queue:%s%s{queue=%q}`, f.rule, win, q.name), *byQueue[q.name]})
				}
				targets = append(targets, target{f.rule + win, *all})
			}
			for _, tg := range targets {
				num, den := f.of(tg.x)
				if den == 0 {
					t.Fatalf("%s: the mix has no call it counts", tg.sel)
				}
				got := recorded(tg.sel)
				fmt.Fprintf(&report, "%-62s %12.6f %12.6f  %.3f/%v\n", tg.sel, got, num/den, num, den)
				if !same(got, num/den) {
					t.Errorf("%s = %v, records give %v/%v = %v", tg.sel, got, num, den, num/den)
				}
			}
		}
	}

	fmt.Fprintf(&report, "\n%-76s %12s %12s\n", "raw series, sum by queue (at the last scrape)", "prometheus", "records")
	at := time.UnixMilli(int64(math.Round(scraped * 1000)))
	for _, c := range rawCounters {
		got, err := prom.QueryAt(ctx, `sum by (queue) (`+c.expr+`)`, at)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]float64{}
		for _, s := range got {
			seen[s.Labels["queue"]] = s.Value
		}
		for _, q := range e2eQueues {
			want := c.of(*byQueue[q.name])
			fmt.Fprintf(&report, "%-76s %12.6f %12.6f\n", c.expr+" "+q.name, seen[q.name], want)
			if g, ok := seen[q.name]; !ok || !same(g, want) {
				t.Errorf("%s{queue=%q} = %v (present %v), records give %v", c.expr, q.name, g, ok, want)
			}
		}
	}
	fmt.Fprintf(&report, "\nzero scrape to the last rule evaluation queried: %v (the 5m rules need under 5m)\n",
		lastEval.Sub(time.UnixMilli(int64(start*1000))).Round(time.Millisecond))
	t.Log(report.String())

	// the live figures came through the same scrape: nobody waits, the
	// no-answer agent is paused
	for _, q := range []string{`tenesa_acd_figures_up == 1`, `sum(tenesa_queue_calls_waiting) == 0`,
		`tenesa_agents{state="paused"} == 1`, `tenesa_queue_agents{queue="enterprise-care",state="paused"} == 1`,
		`tenesa_queue_service_level_threshold_seconds{queue="government"} == 3`} {
		if v, err := prom.Query(ctx, q); err != nil || len(v) != 1 {
			t.Errorf("%s: %v %v, want one sample", q, v, err)
		}
	}
}

// checkPlanned checks what the plan makes certain whatever the load: a
// planned wait that exceeds a threshold is a simulator timer that cannot
// fire early, and a wrap-up lasts at least its configured time. (Waits
// planned short are only checked as a whole, in the test: load lengthens
// them.)
func checkPlanned(t *testing.T, q e2eQueue, c placedCall) {
	t.Helper()
	r := c.r
	wantOutcome := router.OutcomeAgentAnswered
	if c.plan == planShort || c.plan == planLong {
		wantOutcome = router.OutcomeAbandonedQueue
	}
	if r.Outcome != wantOutcome {
		t.Errorf("%s call %s (%s): outcome %s (%s), want %s", q.name, r.CallID, c.plan, r.Outcome, r.FailReason, wantOutcome)
		return
	}
	var minWait time.Duration
	switch c.plan {
	case planLate:
		minWait = q.lateAnswer
	case planNoAnswer:
		minWait = q.ringTimeout
	case planLong:
		minWait = q.shortAbandon // the caller's wait began as the transfer prompt ended, just before the enqueue
	}
	if r.WaitSeconds < minWait.Seconds() {
		t.Errorf("%s call %s (%s): waited %.3f s, the simulator's script makes it at least %v", q.name, r.CallID, c.plan, r.WaitSeconds, minWait)
	}
	if wantOutcome == router.OutcomeAgentAnswered && (r.WrapUpSeconds < q.wrapUp.Seconds() || r.TalkSeconds <= 0) {
		t.Errorf("%s call %s (%s): talk %.3f s, wrap-up %.3f s: want a talk and a wrap-up of at least %v",
			q.name, r.CallID, c.plan, r.TalkSeconds, r.WrapUpSeconds, q.wrapUp)
	}
}
