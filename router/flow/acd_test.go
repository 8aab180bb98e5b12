package flow_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	"github.com/tenesa-ivr/tenesa-ivr/router/flow"
)

// Agents of the acd tests: two enterprise agents and a team leader, all
// on the simulated PBX's PJSIP endpoints.
const (
	ag1001 = "PJSIP/agent1001"
	ag1002 = "PJSIP/agent1002"
	ag1004 = "PJSIP/agent1004"
)

// acdWorld is a world whose queueing side is the acd on the test Redis.
type acdWorld struct {
	*world
	svc *acd.Service
	h   *flow.ACDHandoff
}

type acdOpts struct {
	login     []string       // agents logged in at start (ids)
	agents    []arisim.Agent // how the endpoints behave (default: answer after 1 s)
	tweak     func(*configs.Config)
	timeScale float64
	metrics   *metrics.Metrics // the acd, the flow and the controller count into these, as in serve (nil: none)
	durations func(map[string]time.Duration)
}

func testAgents(login []string) []configs.Agent {
	in := func(id string) bool { return slices.Contains(login, id) }
	skills := []string{"segment:DES", "segment:DGS", "segment:DBS", "lang:id", "lang:en"}
	return []configs.Agent{
		{ID: "1001", Name: "Agent 1001", Endpoint: ag1001, Role: "agent", Skills: skills,
			Queues: []string{"general", "enterprise-care"}, LoginAtStart: in("1001")},
		{ID: "1002", Name: "Agent 1002", Endpoint: ag1002, Role: "agent", Skills: skills,
			Queues: []string{"general", "enterprise-care"}, LoginAtStart: in("1002")},
		{ID: "1004", Name: "Team Leader 1004", Endpoint: ag1004, Role: "team_leader",
			Skills: []string{"lang:id", "lang:en"}, Queues: []string{"team-leader"}, LoginAtStart: in("1004")},
	}
}

func newACDWorld(t *testing.T, o acdOpts) *acdWorld {
	t.Helper()
	aw := &acdWorld{}
	stop := func() {}
	w := newWorld(t, worldOpts{timeScale: o.timeScale, metrics: o.metrics, durations: o.durations, tweak: func(cfg *configs.Config) {
		d := &cfg.ACD.QueueDefaults
		d.WrapUp, d.RingTimeout, d.MaxWait, d.AnnounceEvery = 300*time.Millisecond, 20*time.Second, 10*time.Minute, 0
		cfg.Agents = testAgents(o.login)
		if o.tweak != nil {
			o.tweak(cfg)
		}
	}, handoff: func(w *world, log zerolog.Logger) flow.Handoff {
		st, err := acd.FromConfig(w.cfg)
		if err != nil {
			t.Fatal(err)
		}
		svc, err := acd.New(acd.Options{Client: w.rdb, KeyPrefix: w.cfg.Redis.KeyPrefix, Pool: w.cfg.ACD.Pool,
			Instance: "ctl-a", Log: log, Metrics: o.metrics}, st)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		if err := svc.Start(ctx); err != nil {
			cancel()
			t.Fatal(err)
		}
		aw.svc, aw.h = svc, flow.NewACDHandoff(svc, log)
		stop = func() { aw.h.Close(); cancel(); svc.Wait() }
		return aw.h
	}, beforeRun: func(ctl *ari.Controller) { watchAgents(ctl, aw.svc, testLog(t)) }})
	aw.world = w
	for _, ep := range []string{ag1001, ag1002, ag1004} {
		w.sim.AddAgent(arisim.Agent{Endpoint: ep, AnswerAfter: time.Second})
	}
	for _, a := range o.agents {
		w.sim.AddAgent(a)
	}
	t.Cleanup(func() { stop() }) // before the world's: records still have their writer
	return aw
}

// patient: after the transfer announcement the caller stays on the line
// for 150 s (sim; 3 s at the tests' scale: time enough for an agent on a
// loaded machine), then hangs up.
var patient = []arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(150 * time.Second), arisim.HangUp()}

// toAgent: a DES caller known by number asks for an agent (queue
// enterprise-care), then does what rest says.
func toAgent(rest ...arisim.Step) arisim.Caller {
	return arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "0"), rest)}
}

func (aw *acdWorld) agentState(t *testing.T, id string) acd.AgentStatus {
	t.Helper()
	st, err := aw.svc.Agent(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (aw *acdWorld) waitAgent(t *testing.T, id string, want acd.State) {
	t.Helper()
	waitUntil(t, "agent "+id+" "+string(want), func() bool { return aw.agentState(t, id).State == want })
}

func (aw *acdWorld) place(t *testing.T, c arisim.Caller) *arisim.Call {
	t.Helper()
	call, err := aw.sim.PlaceCall(c)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "call in Stasis", func() bool { return call.ChannelID() != "" })
	return call
}

func lastLeg(t *testing.T, sim *arisim.Server, ep string) arisim.AgentLeg {
	t.Helper()
	legs := sim.AgentReport(ep)
	if len(legs) == 0 {
		t.Fatalf("%s never rang", ep)
	}
	return legs[len(legs)-1]
}

// TestACDCallerHangsUpFirst: the acd offers the call to the logged-in
// agent, who answers; the caller is bridged, then hangs up; the agent's leg
// is hung up, the agent wraps up, and the one record carries queue, wait,
// agent, talk, wrap-up and "needs not recorded" (nothing was recorded).
func TestACDCallerHangsUpFirst(t *testing.T) {
	aw := newACDWorld(t, acdOpts{login: []string{"1001"}})
	r, tr := aw.call(t, toAgent(patient...))
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1001" || r.Queue != "enterprise-care" ||
		r.FirstQueue != "enterprise-care" || r.EndedBy != "caller" {
		t.Fatalf("record: outcome %s agent %q queue %q first %q ended by %q", r.Outcome, r.AgentID, r.Queue, r.FirstQueue, r.EndedBy)
	}
	if r.WaitSeconds <= 0 || r.TalkSeconds <= 0 || r.WrapUpSeconds <= 0 || r.AgentAnsweredAt == nil {
		t.Errorf("wait %v talk %v wrap-up %v answered %v", r.WaitSeconds, r.TalkSeconds, r.WrapUpSeconds, r.AgentAnsweredAt)
	}
	if !r.DispositionMissing || r.Disposition != nil {
		t.Errorf("disposition %+v missing %v: want missing", r.Disposition, r.DispositionMissing)
	}
	if len(tr.BridgedWith) == 0 || tr.HungUpBy != "caller" {
		t.Errorf("caller bridged with %v, hung up by %q", tr.BridgedWith, tr.HungUpBy)
	}
	if leg := lastLeg(t, aw.sim, ag1001); !leg.Answered || leg.HungUpBy != "controller" {
		t.Errorf("agent leg %+v: want answered, hung up by the controller", leg)
	}
	if tr.MusicOnHold || len(tr.MOHStarts) != 1 {
		t.Errorf("music on hold on %v, started %d times: want stopped for the agent, started once", tr.MusicOnHold, len(tr.MOHStarts))
	}
	aw.waitAgent(t, "1001", acd.Available) // wrap-up over
}

// TestACDAgentHangsUpFirst: the agent ends the conversation; the caller is
// hung up by the controller (not left alone in the bridge) and the agent
// wraps up.
func TestACDAgentHangsUpFirst(t *testing.T) {
	aw := newACDWorld(t, acdOpts{login: []string{"1001"},
		agents: []arisim.Agent{{Endpoint: ag1001, AnswerAfter: time.Second, HangupAfter: 20 * time.Second}}})
	r, tr := aw.call(t, toAgent(arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(time.Hour)))
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1001" || r.EndedBy != "agent" {
		t.Fatalf("record: outcome %s agent %q ended by %q", r.Outcome, r.AgentID, r.EndedBy)
	}
	if tr.HungUpBy != "controller" {
		t.Errorf("caller hung up by %q, want the controller", tr.HungUpBy)
	}
	if leg := lastLeg(t, aw.sim, ag1001); leg.HungUpBy != "agent" {
		t.Errorf("agent leg hung up by %q", leg.HungUpBy)
	}
	if r.WrapUpSeconds <= 0 {
		t.Errorf("wrap-up %v", r.WrapUpSeconds)
	}
}

// TestACDEndOfATalkLongerThanTheReportTimeoutReachesTheACD: a
// conversation lasting longer than the bound of one report to the acd
// (100 s sim, 2 s here, against 500 ms) still reports its end: each report
// has its own deadline, not one started with the talk, so the agent wraps
// up and becomes available instead of staying on_call for ever.
func TestACDEndOfATalkLongerThanTheReportTimeoutReachesTheACD(t *testing.T) {
	aw := newACDWorld(t, acdOpts{login: []string{"1001"},
		agents: []arisim.Agent{{Endpoint: ag1001, AnswerAfter: time.Second, HangupAfter: 100 * time.Second}}})
	aw.h.ReportTimeout = 500 * time.Millisecond
	r, _ := aw.call(t, toAgent(arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(time.Hour)))
	if r.Outcome != router.OutcomeAgentAnswered || r.EndedBy != "agent" || r.WrapUpSeconds <= 0 {
		t.Fatalf("record: outcome %s ended by %q wrap-up %v: want agent_answered, ended by the agent, wrapped up",
			r.Outcome, r.EndedBy, r.WrapUpSeconds)
	}
	if r.TalkSeconds < 1 {
		t.Fatalf("talk %.2fs (wall): the conversation did not outlast the report timeout", r.TalkSeconds)
	}
	aw.waitAgent(t, "1001", acd.Available)
}

// TestACDCallerAbandonsInQueue: nobody is logged in; the caller gives up
// after waiting on music: abandoned_queue, with the wait on the record.
func TestACDCallerAbandonsInQueue(t *testing.T) {
	aw := newACDWorld(t, acdOpts{})
	r, tr := aw.call(t, toAgent(arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(30*time.Second), hangUp))
	if r.Outcome != router.OutcomeAbandonedQueue || r.AbandonStage != router.StageQueue || r.Queue != "enterprise-care" {
		t.Fatalf("record: outcome %s stage %s queue %q", r.Outcome, r.AbandonStage, r.Queue)
	}
	if r.WaitSeconds < 0.3 { // 30 s sim at 0.02: 0.6 s
		t.Errorf("wait %v s, want the time on hold", r.WaitSeconds)
	}
	if !tr.MusicOnHold {
		t.Error("caller was not on music on hold while waiting")
	}
	h, err := aw.svc.Handling(context.Background(), r.CallID)
	if err != nil || !h.Abandoned {
		t.Errorf("acd handling %+v, %v: want abandoned", h, err)
	}
}

// TestACDNoAnswerNextAgentAndAutopause: the first agent lets it ring out;
// the call goes to the next agent at once, and the first is paused
// no_answer.
func TestACDNoAnswerNextAgentAndAutopause(t *testing.T) {
	aw := newACDWorld(t, acdOpts{login: []string{"1001", "1002"},
		agents: []arisim.Agent{{Endpoint: ag1001, NeverAnswer: true}}})
	r, tr := aw.call(t, toAgent(patient...))
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1002" {
		t.Fatalf("record: outcome %s agent %q, want 1002", r.Outcome, r.AgentID)
	}
	if leg := lastLeg(t, aw.sim, ag1001); leg.Answered || leg.HungUpBy != "timeout" {
		t.Errorf("1001's leg %+v: want rung out", leg)
	}
	if st := aw.agentState(t, "1001"); st.State != acd.Paused || st.Reason != acd.ReasonNoAnswer {
		t.Errorf("1001 is %s (%s), want paused no_answer", st.State, st.Reason)
	}
	if len(tr.MOHStarts) != 1 {
		t.Errorf("music on hold started %d times, want once (kept while the next agent rang)", len(tr.MOHStarts))
	}
}

// TestACDMaxWaitOverflowsToTeamLeader: nobody of enterprise-care is in;
// past the queue's maximum wait the caller hears why, moves to the team
// leader queue and the team leader takes the call.
func TestACDMaxWaitOverflowsToTeamLeader(t *testing.T) {
	aw := newACDWorld(t, acdOpts{tweak: func(cfg *configs.Config) {
		q := cfg.Routing.Queues["enterprise-care"]
		q.MaxWait = 500 * time.Millisecond
		cfg.Routing.Queues["enterprise-care"] = q
	}})
	// The leader ends the talk; the caller waits for them far longer than a
	// loaded machine can stretch the leader's log-in, offer and ring (30
	// min sim, 36 s wall at the tests' scale), so only a missing overflow
	// leaves the caller to hang up unserved.
	aw.sim.AddAgent(arisim.Agent{Endpoint: ag1004, AnswerAfter: time.Second, HangupAfter: 20 * time.Second})
	const patience = 30 * time.Minute
	call := aw.place(t, toAgent(arisim.WaitPromptEnd("queue-overflow"), arisim.Wait(patience), hangUp))
	// Bounds of the waits: the caller's patience in wall time, doubled (IVR
	// before it, talk after it), and never under a minute.
	bound := max(time.Minute, 2*time.Duration(float64(patience)*simTimeScale))
	// The leader logs in once the caller heard why they moved (an offer
	// stops the announcement, so one at once would cut it).
	waitUntilWithin(t, "overflow announced", bound, func() bool { return heardPromptSub(call.Transcript(), "queue-overflow") })
	if err := aw.svc.Login(context.Background(), "1004"); err != nil {
		t.Fatal(err)
	}
	r := aw.waitRecordWithin(t, call.ChannelID(), bound)
	tr := call.Transcript()
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1004" || r.Queue != "team-leader" || r.FirstQueue != "enterprise-care" {
		t.Fatalf("record: outcome %s agent %q queue %q first %q", r.Outcome, r.AgentID, r.Queue, r.FirstQueue)
	}
	if len(r.Escalations) != 1 || r.Escalations[0].Reason != string(acd.EscalationMaxWait) || r.Escalations[0].To != "team-leader" {
		t.Errorf("escalations %+v", r.Escalations)
	}
	if !heardPromptSub(tr, "queue-overflow") {
		t.Errorf("caller heard %v, want the overflow announcement", heard(tr))
	}
}

// TestACDAgentEscalatesToTeamLeader: the agent escalates a live call; the
// caller goes back on hold for the team leader queue with the screen-pop,
// the first agent's leg is hung up and it wraps up; the leader answers.
// Both escalation and disposition land on the one record.
func TestACDAgentEscalatesToTeamLeader(t *testing.T) {
	aw := newACDWorld(t, acdOpts{login: []string{"1001"}})
	call := aw.place(t, toAgent(arisim.WaitPromptEnd("transfer-agent"), arisim.WaitPromptEnd("escalation-supervisor"),
		arisim.Wait(30*time.Second), hangUp))
	aw.waitAgent(t, "1001", acd.OnCall)
	waitUntil(t, "caller bridged", func() bool { return len(call.Transcript().BridgedWith) > 0 })
	ctx := context.Background()
	if err := aw.svc.Disposition(ctx, call.ChannelID(), "1001", acd.Disposition{Category: acd.CategoryComplaint,
		TicketID: "IN100234501", FurtherHelpOffered: true, StandardClosing: true}); err != nil {
		t.Fatal(err)
	}
	if err := aw.svc.Escalate(ctx, call.ChannelID(), "1001", acd.EscalationAgent); err != nil {
		t.Fatal(err)
	}
	// The leader logs in once the caller heard the escalation (an offer
	// stops the announcement, so one at once could cut it before it starts).
	waitUntil(t, "escalation announced", func() bool { return heardPromptSub(call.Transcript(), "escalation-supervisor") })
	if err := aw.svc.Login(ctx, "1004"); err != nil {
		t.Fatal(err)
	}
	r := aw.waitRecord(t, call.ChannelID())
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1004" || r.Queue != "team-leader" {
		t.Fatalf("record: outcome %s agent %q queue %q", r.Outcome, r.AgentID, r.Queue)
	}
	if len(r.Escalations) != 1 || r.Escalations[0].Reason != string(acd.EscalationAgent) || r.Escalations[0].By != "1001" {
		t.Errorf("escalations %+v", r.Escalations)
	}
	if leg := aw.sim.AgentReport(ag1001)[0]; leg.HungUpBy != "controller" {
		t.Errorf("escalating agent's leg hung up by %q", leg.HungUpBy)
	}
	if len(aw.sim.AgentReport(ag1004)) != 1 {
		t.Error("team leader never rang")
	}
	tr := call.Transcript()
	// queue; back on hold while the agent's leg and the bridge go; again
	// after the escalation prompt (a prompt ends the music, as in Asterisk).
	if len(tr.MOHStarts) != 3 {
		t.Errorf("music on hold started %d times, want 3 (queue, escalation, after its prompt)", len(tr.MOHStarts))
	}
}

// TestACDDispositionRecorded: what the agent records during the call
// lands on the record; it is not counted as missing.
func TestACDDispositionRecorded(t *testing.T) {
	aw := newACDWorld(t, acdOpts{login: []string{"1001"}})
	call := aw.place(t, toAgent(patient...))
	aw.waitAgent(t, "1001", acd.OnCall)
	if err := aw.svc.Disposition(context.Background(), call.ChannelID(), "1001", acd.Disposition{
		Category: acd.CategoryRequest, FurtherHelpOffered: true, StandardClosing: true}); err != nil {
		t.Fatal(err)
	}
	r := aw.waitRecord(t, call.ChannelID())
	if r.Disposition == nil || r.Disposition.Category != "request" || r.Disposition.AgentID != "1001" || r.DispositionMissing {
		t.Fatalf("disposition %+v missing %v", r.Disposition, r.DispositionMissing)
	}
}

// TestACDBridge404IsNotCallerGone: a 404 on adding the caller to the
// bridge (the bridge went away under the request) is the bridge's
// trouble: the caller stays, a new bridge is made, the call is answered.
func TestACDBridge404IsNotCallerGone(t *testing.T) {
	aw := newACDWorld(t, acdOpts{login: []string{"1001"}})
	restore := aw.sim.FailRequests(func(method, path string) bool {
		return method == http.MethodPost && strings.HasSuffix(path, "/addChannel")
	}, http.StatusNotFound, "Bridge not found", 1)
	defer restore()
	r, tr := aw.call(t, toAgent(patient...))
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1001" || len(tr.BridgedWith) == 0 {
		t.Fatalf("record: outcome %s agent %q (%s); bridged with %v", r.Outcome, r.AgentID, r.FailReason, tr.BridgedWith)
	}
	if tr.HungUpBy != "caller" {
		t.Errorf("caller hung up by %q", tr.HungUpBy)
	}
}

// TestACDBridgeFailureKeepsMusicForTheNextAgent: the bridge with the
// first agent fails for good; that agent's leg is hung up, music on hold
// never stops (it is stopped only once a bridge is up) while the next
// agent rings, and the next agent gets the call.
func TestACDBridgeFailureKeepsMusicForTheNextAgent(t *testing.T) {
	aw := newACDWorld(t, acdOpts{login: []string{"1001", "1002"},
		agents: []arisim.Agent{{Endpoint: ag1002, AnswerAfter: 10 * time.Second}}})
	restore := aw.sim.FailRequests(func(method, path string) bool {
		return method == http.MethodPost && strings.HasSuffix(path, "/addChannel")
	}, http.StatusConflict, "Bridge not in Stasis application", 2)
	defer restore()
	r, tr := aw.call(t, toAgent(patient...))
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1002" {
		t.Fatalf("record: outcome %s agent %q (%s)", r.Outcome, r.AgentID, r.FailReason)
	}
	if leg := lastLeg(t, aw.sim, ag1001); leg.HungUpBy != "controller" {
		t.Errorf("1001's leg hung up by %q", leg.HungUpBy)
	}
	if len(tr.MOHStarts) != 1 {
		t.Fatalf("music on hold starts %v: want it started once and never stopped before 1002's bridge", tr.MOHStarts)
	}
	if d, from := longestSilenceSince(tr, tr.MOHStarts[0]); d > 0 {
		t.Errorf("caller in silence %v from %v once queued: want none", d, from)
	}
}

// TestACDAnnouncementStoppedForTheAgent: an agent becomes available while
// the position announcement plays; the announcement is stopped at once
// (a playback holds the channel's command queue) and the caller is bridged
// without waiting for its end.
//
// The agent must log in while the announcement (2.4 s sim) still plays:
// the test runs at half speed so a loaded machine cannot let it end first.
func TestACDAnnouncementStoppedForTheAgent(t *testing.T) {
	aw := newACDWorld(t, acdOpts{timeScale: 0.5, tweak: func(cfg *configs.Config) {
		q := cfg.Routing.Queues["enterprise-care"]
		q.AnnounceEvery = 50 * time.Millisecond
		cfg.Routing.Queues["enterprise-care"] = q
	}})
	call := aw.place(t, toAgent(arisim.WaitForPrompt("queue-position"), arisim.Wait(12*time.Second), hangUp))
	waitUntil(t, "position announcement playing", func() bool { return heardPromptSub(call.Transcript(), "queue-position") })
	if err := aw.svc.Login(context.Background(), "1001"); err != nil {
		t.Fatal(err)
	}
	r := aw.waitRecord(t, call.ChannelID())
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1001" {
		t.Fatalf("record: outcome %s agent %q (%s)", r.Outcome, r.AgentID, r.FailReason)
	}
	tr := call.Transcript()
	var stopped bool
	for _, h := range tr.Heard {
		if strings.Contains(h.Media, "queue-position") && h.Status == "stopped" {
			stopped = true
		}
	}
	if !stopped {
		t.Errorf("caller heard %+v: want the position announcement stopped for the agent", tr.Heard)
	}
}

// controller is a second controller process: its own ARI connection (app),
// acd Service (instance) and flow, on the same simulated PBX, Redis pool
// and record writer.
type controller struct {
	svc  *acd.Service
	h    *flow.ACDHandoff
	ctl  *ari.Controller
	stop func()
}

func (aw *acdWorld) startSecond(t *testing.T, instance, app string) *controller {
	t.Helper()
	st, err := acd.FromConfig(aw.cfg)
	if err != nil {
		t.Fatal(err)
	}
	log := testLog(t).With().Str("instance", instance).Logger()
	svc, err := acd.New(acd.Options{Client: aw.rdb, KeyPrefix: aw.cfg.Redis.KeyPrefix, Pool: aw.cfg.ACD.Pool,
		Instance: instance, Log: log}, st)
	if err != nil {
		t.Fatal(err)
	}
	actx, cancelACD := context.WithCancel(context.Background())
	if err := svc.Start(actx); err != nil {
		cancelACD()
		t.Fatal(err)
	}
	c := &controller{svc: svc, h: flow.NewACDHandoff(svc, log)}
	f := &flow.Flow{Instance: instance, Plans: aw.flow.Plans, Customers: aw.flow.Customers, Zones: aw.flow.Zones,
		Handoff: c.h, Handover: aw.flow.Handover, Records: aw.flow.Records, Log: log, Now: aw.flow.Now}
	opts := aw.ctlOpts
	opts.Application, opts.Logger = app, log
	ctl, err := ari.NewController(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ctl.Run(ctx, f.Handle) }()
	c.ctl = ctl
	var once sync.Once
	c.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			c.h.Close()
			cancelACD()
			svc.Wait()
		})
	}
	t.Cleanup(c.stop)
	waitUntil(t, "second controller connected", ctl.Connected)
	return c
}

// TestACDReconnectWhileAgentRingsIsNotAnAnswer: the events socket drops
// while the agent rings; after the reconnect, GET /applications lists the
// ringing leg (it is subscribed to the app), which must not be taken for
// answered: the caller is bridged when the agent really answers.
func TestACDReconnectWhileAgentRingsIsNotAnAnswer(t *testing.T) {
	aw := newACDWorld(t, acdOpts{login: []string{"1001"}, tweak: func(cfg *configs.Config) {
		cfg.ACD.QueueDefaults.RingTimeout = 300 * time.Second
	}, agents: []arisim.Agent{{Endpoint: ag1001, AnswerAfter: 150 * time.Second}}})
	call := aw.place(t, toAgent(arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(250*time.Second), hangUp))
	waitUntil(t, "agent ringing", func() bool { return len(aw.sim.AgentReport(ag1001)) == 1 })
	aw.sim.DropWebSockets()
	waitUntil(t, "controller reconnected", func() bool { return aw.sim.ActiveSockets("tenesa-ivr") == 1 })
	r := aw.waitRecord(t, call.ChannelID())
	leg := lastLeg(t, aw.sim, ag1001)
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1001" || !leg.Answered {
		t.Fatalf("record: outcome %s agent %q (%s); leg %+v", r.Outcome, r.AgentID, r.FailReason, leg)
	}
	if r.AgentAnsweredAt == nil || r.WaitSeconds < 2.5 { // the agent answered after 150 s sim = 3 s
		t.Errorf("answered %v after %v s: want the agent's real answer", r.AgentAnsweredAt, r.WaitSeconds)
	}
	if tr := call.Transcript(); len(tr.BridgedWith) == 0 {
		t.Error("caller never bridged")
	}
}

// TestACDAdoptedBridgedCallEndsWhenTheAgentHangsUp: the controller is
// replaced while the caller talks to the agent; the new one adopts the
// bridged call and, when the agent hangs up, hangs up the caller (nobody
// is left alone in the bridge); one record, with the agent's wrap-up.
func TestACDAdoptedBridgedCallEndsWhenTheAgentHangsUp(t *testing.T) {
	aw := newACDWorld(t, acdOpts{login: []string{"1001"},
		agents: []arisim.Agent{{Endpoint: ag1001, AnswerAfter: time.Second, HangupAfter: 100 * time.Second}}})
	call := aw.place(t, toAgent(arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(time.Hour)))
	waitUntil(t, "caller bridged", func() bool { return len(call.Transcript().BridgedWith) > 0 })
	aw.startSecond(t, "ctl-b", "tenesa-ivr") // takes the app: the first controller is replaced
	r := aw.waitRecord(t, call.ChannelID())
	tr := call.Transcript()
	if r.Outcome != router.OutcomeAgentAnswered || !r.Adopted || r.AgentID != "1001" || r.EndedBy != "agent" {
		t.Fatalf("record: outcome %s adopted %v agent %q ended by %q", r.Outcome, r.Adopted, r.AgentID, r.EndedBy)
	}
	if tr.HungUpBy != "controller" {
		t.Errorf("caller hung up by %q, want the controller once the agent left", tr.HungUpBy)
	}
	if r.WrapUpSeconds <= 0 {
		t.Errorf("wrap-up %v", r.WrapUpSeconds)
	}
}

// TestACDRestartedControllerResumesWaitingCalls: a controller goes away
// with a caller waiting (replaced: no clean-up); another controller (its
// own acd Service on the same Redis) adopts the caller, which keeps its
// queue and place; the agent logged in meanwhile takes it.
func TestACDRestartedControllerResumesWaitingCalls(t *testing.T) {
	aw := newACDWorld(t, acdOpts{})
	call := aw.place(t, toAgent(arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(time.Minute), hangUp))
	waitUntil(t, "call waiting in the acd", func() bool {
		h, err := aw.svc.Handling(context.Background(), call.ChannelID())
		return err == nil && h.Queue == "enterprise-care"
	})
	first, _ := aw.svc.Handling(context.Background(), call.ChannelID())
	if err := aw.svc.Login(context.Background(), "1004"); err != nil { // not of this queue
		t.Fatal(err)
	}
	b := aw.startSecond(t, "ctl-b", "tenesa-ivr")
	if st, err := b.svc.Agent(context.Background(), "1004"); err != nil || st.State != acd.Available {
		t.Fatalf("1004 after the restart: %+v, %v: want still logged in", st, err)
	}
	waitUntil(t, "call adopted by ctl-b", func() bool { return aw.ctl.Replaced() })
	if err := b.svc.Login(context.Background(), "1001"); err != nil {
		t.Fatal(err)
	}
	r := aw.waitRecord(t, call.ChannelID())
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1001" || !r.Adopted || r.Queue != "enterprise-care" {
		t.Fatalf("record: outcome %s agent %q adopted %v queue %q (%s)", r.Outcome, r.AgentID, r.Adopted, r.Queue, r.FailReason)
	}
	if r.EnqueuedAt == nil || !r.EnqueuedAt.Equal(first.EnqueuedAt) {
		t.Errorf("enqueued %v, first enqueued %v: the call must keep its place", r.EnqueuedAt, first.EnqueuedAt)
	}
}

// TestACDTwoControllersNeverRingOneAgentTwice: two controllers (two ARI
// apps on one simulated PBX, two acd Services on one Redis pool) take many
// simultaneous calls for three agents; no agent is ever rung for two calls
// at once, and every call has exactly one record.
func TestACDTwoControllersNeverRingOneAgentTwice(t *testing.T) {
	aw := newACDWorld(t, acdOpts{login: []string{"1001", "1002"}, tweak: func(cfg *configs.Config) {
		cfg.ACD.QueueDefaults.WrapUp = 50 * time.Millisecond
		cfg.Agents = append(cfg.Agents, configs.Agent{ID: "1003", Name: "Agent 1003", Endpoint: "PJSIP/agent1003",
			Role: "agent", Skills: []string{"segment:DES", "lang:id"}, Queues: []string{"enterprise-care"}, LoginAtStart: true})
	}})
	aw.sim.AddAgent(arisim.Agent{Endpoint: "PJSIP/agent1003", AnswerAfter: time.Second, HangupAfter: 30 * time.Second})
	for _, ep := range []string{ag1001, ag1002} {
		aw.sim.AddAgent(arisim.Agent{Endpoint: ep, AnswerAfter: time.Second, HangupAfter: 30 * time.Second})
	}
	aw.startSecond(t, "ctl-b", "tenesa-b")
	const n = 12
	var calls []*arisim.Call
	for i := range n {
		app := "tenesa-ivr"
		if i%2 == 1 {
			app = "tenesa-b"
		}
		c := toAgent(arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(time.Hour))
		c.App = app
		call, err := aw.sim.PlaceCall(c)
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, call)
	}
	for _, c := range calls {
		waitUntil(t, "call in Stasis", func() bool { return c.ChannelID() != "" })
		r := aw.waitRecord(t, c.ChannelID())
		if r.Outcome != router.OutcomeAgentAnswered {
			t.Errorf("call %s: outcome %s (%s)", r.CallID, r.Outcome, r.FailReason)
		}
	}
	for _, ep := range []string{ag1001, ag1002, "PJSIP/agent1003"} {
		legs := aw.sim.AgentReport(ep)
		for i := 1; i < len(legs); i++ {
			if legs[i].Originated.Before(legs[i-1].Ended) {
				t.Errorf("%s rung for a second call at %v while its previous leg lasted until %v", ep, legs[i].Originated, legs[i-1].Ended)
			}
		}
	}
}

// watchAgents feeds the acd the state of the agents' endpoints, as serve
// does.
func watchAgents(ctl *ari.Controller, svc *acd.Service, log zerolog.Logger) {
	var eps []string
	for _, a := range svc.Settings().Agents {
		eps = append(eps, a.Endpoint)
	}
	ctl.WatchEndpoints(eps, func(ep string, online bool) {
		if err := svc.EndpointState(context.Background(), ep, online); err != nil {
			log.Warn().Err(err).Str("endpoint", ep).Msg("presence not recorded")
		}
	})
}

// TestACDEndpointOfflineMakesAgentUnavailable: an available agent's
// endpoint goes offline (EndpointStateChange): the agent is never offered
// the call, the other agent takes it; back online, it takes calls again.
func TestACDEndpointOfflineMakesAgentUnavailable(t *testing.T) {
	aw := newACDWorld(t, acdOpts{login: []string{"1001", "1002"}})
	aw.sim.SetEndpointOnline(ag1001, false)
	waitUntil(t, "1001 offline in the acd", func() bool { return aw.agentState(t, "1001").Offline })
	if st := aw.agentState(t, "1001"); st.State != acd.Available || st.CanTakeCalls() {
		t.Fatalf("1001: %+v, want available but not taking calls", st)
	}
	r, _ := aw.call(t, toAgent(patient...))
	if r.AgentID != "1002" || len(aw.sim.AgentReport(ag1001)) != 0 {
		t.Fatalf("call went to %q; 1001 rang %d times", r.AgentID, len(aw.sim.AgentReport(ag1001)))
	}
	aw.sim.SetEndpointOnline(ag1001, true)
	waitUntil(t, "1001 online again", func() bool { return !aw.agentState(t, "1001").Offline })
}

// TestACDQueueMetricsCountedOnceOnRealCalls: the acd counts the queue
// facts of real calls into the controller's metrics, once each (the flow
// counts none of them): an answered call entered its queue, was answered,
// talked, and its agent wrapped up with no disposition; an abandoned one is
// counted abandoned.
func TestACDQueueMetricsCountedOnceOnRealCalls(t *testing.T) {
	reg := metrics.NewRegistry()
	m := metrics.New(reg, nil)
	aw := newACDWorld(t, acdOpts{login: []string{"1001"}, metrics: m})
	const q = "enterprise-care"
	aw.call(t, toAgent(patient...))
	waitUntil(t, "the agent's wrap-up counted", func() bool {
		return histCount(t, reg, "tenesa_queue_wrap_up_seconds", map[string]string{"queue": q}) == 1
	})
	check := func(what string, got, want float64) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("entered", counterSum(t, reg, "tenesa_queue_entered_total", map[string]string{"queue": q}), 1)
	check("answered", histCount(t, reg, "tenesa_queue_wait_seconds", map[string]string{"queue": q, "outcome": "answered"}), 1)
	check("talk", histCount(t, reg, "tenesa_queue_talk_seconds", map[string]string{"queue": q}), 1)
	check("needs not recorded", counterSum(t, reg, "tenesa_dispositions_total", map[string]string{"recorded": "false"}), 1)
	if err := aw.svc.Logout(context.Background(), "1001"); err != nil {
		t.Fatal(err)
	}
	aw.call(t, toAgent(arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(10*time.Second), hangUp))
	check("abandoned", histCount(t, reg, "tenesa_queue_wait_seconds", map[string]string{"queue": q, "outcome": "abandoned"}), 1)
	check("entered after both calls", counterSum(t, reg, "tenesa_queue_entered_total", map[string]string{"queue": q}), 2)
}

// series is the samples of name in reg whose labels hold every pair of match.
func series(t *testing.T, reg *prometheus.Registry, name string, match map[string]string) []*dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []*dto.Metric
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, mt := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range mt.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			ok := true
			for k, v := range match {
				ok = ok && labels[k] == v
			}
			if ok {
				out = append(out, mt)
			}
		}
	}
	return out
}

// histCount adds the observation counts of the histograms name{match}.
func histCount(t *testing.T, reg *prometheus.Registry, name string, match map[string]string) float64 {
	var n float64
	for _, mt := range series(t, reg, name, match) {
		n += float64(mt.GetHistogram().GetSampleCount())
	}
	return n
}

// counterSum adds the counters name{match}.
func counterSum(t *testing.T, reg *prometheus.Registry, name string, match map[string]string) float64 {
	var n float64
	for _, mt := range series(t, reg, name, match) {
		n += mt.GetCounter().GetValue()
	}
	return n
}

// TestACDRingAllFirstAnswerWins: a ring_all queue rings every available
// agent; the first to answer is bridged, the others' legs are hung up and
// they stay available (not paused).
func TestACDRingAllFirstAnswerWins(t *testing.T) {
	aw := newACDWorld(t, acdOpts{login: []string{"1001", "1002"}, tweak: func(cfg *configs.Config) {
		q := cfg.Routing.Queues["enterprise-care"]
		q.Strategy, q.RingTimeout = "ring_all", 300*time.Second
		cfg.Routing.Queues["enterprise-care"] = q
	}, agents: []arisim.Agent{{Endpoint: ag1001, AnswerAfter: 100 * time.Second}, {Endpoint: ag1002, AnswerAfter: time.Second}}})
	r, tr := aw.call(t, toAgent(patient...))
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1002" || len(tr.BridgedWith) == 0 {
		t.Fatalf("record: outcome %s agent %q; bridged %v", r.Outcome, r.AgentID, tr.BridgedWith)
	}
	if leg := lastLeg(t, aw.sim, ag1001); leg.Answered || leg.HungUpBy != "controller" {
		t.Errorf("1001's leg %+v: want rung, then hung up by the controller", leg)
	}
	if st := aw.agentState(t, "1001"); st.State != acd.Available {
		t.Errorf("1001 is %s (%s), want available", st.State, st.Reason)
	}
}

// TestACDShutdownTakesWaitingCallerOutOfTheQueue: a controller stopping
// gives a caller still waiting to the dialplan's fallback queue; the acd
// no longer offers that call to anyone, and the record says why.
func TestACDShutdownTakesWaitingCallerOutOfTheQueue(t *testing.T) {
	aw := newACDWorld(t, acdOpts{})
	call := aw.place(t, toAgent(arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(time.Minute), hangUp))
	waitUntil(t, "call waiting in the acd", func() bool {
		h, err := aw.svc.Handling(context.Background(), call.ChannelID())
		return err == nil && h.Queue == "enterprise-care"
	})
	aw.stopController()
	r := aw.waitRecord(t, call.ChannelID())
	if r.Outcome != router.OutcomeFailed || !strings.Contains(r.FailReason, "dialplan") {
		t.Errorf("record: outcome %s (%s)", r.Outcome, r.FailReason)
	}
	if tr := call.Transcript(); tr.ContinuedTo == "" {
		t.Error("caller not continued in the dialplan")
	}
	if h, err := aw.svc.Handling(context.Background(), call.ChannelID()); err != nil || !h.Abandoned {
		t.Errorf("acd handling %+v, %v: want out of the queue", h, err)
	}
}

// longestSilenceSince is the caller's longest silence (arisim sim time)
// that began at or after from, and when it began.
func longestSilenceSince(tr arisim.CallReport, from time.Time) (time.Duration, time.Time) {
	var d time.Duration
	var at time.Time
	for _, s := range tr.Silences {
		if !s.From.Before(from) && s.To.Sub(s.From) > d {
			d, at = s.To.Sub(s.From), s.From
		}
	}
	return d, at
}

// TestACDSlowARIAnswersNeverLeaveTheCallerInSilence: while the caller
// waits in the queue, every music-on-hold and play request on its channel
// acts at once but is answered 3 s late, past the controller's 2 s
// request timeout (arisim DelayResponses: an Asterisk whose replies are
// slow); then an agent answers, and the first bridge creation is answered
// late too. The caller hears the position announcements, then the agent,
// and never more than 2 s (sim) of silence once queued: music on hold is
// not stopped before the next media is in place, and a timed-out request
// is not taken as one that did nothing.
//
// At a quarter of real speed a 2 s (sim) silence is 0.5 s of real time,
// far more than a loaded machine needs between two requests; a request
// waited for until its timeout is 2 s real, 8 s sim.
func TestACDSlowARIAnswersNeverLeaveTheCallerInSilence(t *testing.T) {
	const scale = 0.25
	aw := newACDWorld(t, acdOpts{timeScale: scale,
		agents: []arisim.Agent{{Endpoint: ag1001, AnswerAfter: time.Second, HangupAfter: 40 * time.Second}},
		tweak: func(cfg *configs.Config) {
			q := cfg.Routing.Queues["enterprise-care"]
			q.AnnounceEvery = 500 * time.Millisecond
			cfg.Routing.Queues["enterprise-care"] = q
		}})
	// The caller stays until the agent hangs up (the bound is far away).
	call := aw.place(t, toAgent(arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(time.Hour), hangUp))
	waitUntil(t, "caller on hold", func() bool { return len(call.Transcript().MOHStarts) > 0 })

	var mu sync.Mutex // match runs under the simulator's lock; the test reads the counts
	var lateMedia, lateBridges int
	ch := "/ari/channels/" + call.ChannelID() + "/"
	restore := aw.sim.DelayResponses(func(method, path string) bool {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case strings.HasPrefix(path, ch+"moh") || strings.HasPrefix(path, ch+"play"):
			lateMedia++
			return true
		case method == http.MethodPost && strings.HasPrefix(path, "/ari/bridges/") &&
			!strings.Contains(strings.TrimPrefix(path, "/ari/bridges/"), "/") && lateBridges == 0:
			lateBridges++
			return true
		}
		return false
	}, 3*time.Second)
	defer restore()

	waitUntilWithin(t, "two announcements with late answers", time.Minute, func() bool {
		n := 0
		for _, h := range call.Transcript().Heard {
			if strings.Contains(h.Media, "queue-position") {
				n++
			}
		}
		return n >= 2
	})
	if err := aw.svc.Login(context.Background(), "1001"); err != nil {
		t.Fatal(err)
	}
	r := aw.waitRecordWithin(t, call.ChannelID(), time.Minute)
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1001" {
		t.Fatalf("record: outcome %s agent %q (%s)", r.Outcome, r.AgentID, r.FailReason)
	}
	mu.Lock()
	media, bridges := lateMedia, lateBridges
	mu.Unlock()
	if media < 2 || bridges != 1 {
		t.Fatalf("late answers: %d media, %d bridge creations: want the announcements' and the bridge's answers late", media, bridges)
	}
	tr := call.Transcript()
	if len(tr.BridgedWith) == 0 {
		t.Fatal("caller never bridged with the agent")
	}
	if d, from := longestSilenceSince(tr, tr.MOHStarts[0]); d > 2*time.Second {
		t.Errorf("caller in silence %v (sim) from %v once queued, want at most 2s; heard %+v", d, from, tr.Heard)
	}
}
