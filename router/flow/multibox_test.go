package flow_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/deployments/asterisk/sounds"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// Several Asterisks (ari.servers) served by one controller process: one
// flow, one acd on real Redis, one ARI controller per box. Box "a" is the
// world's simulator; box "b" a second simulator. Agent 1001 is registered
// on box a only, agent 1003 on box b only; a call must stay on its box, so
// its agent leg is originated there.

// connObserver counts a controller's WebSocket going down and up.
type connObserver struct {
	ari.NopObserver
	ups, downs atomic.Int64
}

func (o *connObserver) Connected(up bool) {
	if up {
		o.ups.Add(1)
	} else {
		o.downs.Add(1)
	}
}

type twoBoxes struct {
	*acdWorld
	simB       *arisim.Server
	ctlB       *ari.Controller
	obsA, obsB *connObserver
}

// newTwoBoxes builds the world: trunks are the boxes' agent_trunk
// templates (none: each box reaches only its own agents).
func newTwoBoxes(t *testing.T, trunks map[string]string) *twoBoxes {
	t.Helper()
	aw := newACDWorld(t, acdOpts{tweak: func(cfg *configs.Config) {
		// the boxes as configured (the controllers below dial the simulators)
		cfg.ARI.Servers = []configs.ARIServer{{Name: "a", URL: "http://127.0.0.1:8088/ari"},
			{Name: "b", URL: "http://127.0.0.2:8088/ari"}}
		cfg.Agents[0].Box = "a" // 1001: registered on box a only
	}})
	aw.h.Reach = acd.Reach{Trunks: trunks}
	tb := &twoBoxes{acdWorld: aw, obsA: &connObserver{}, obsB: &connObserver{}}
	// box a: the world's controller, now named
	aw.ctlOpts.Server, aw.ctlOpts.Observer = "a", tb.obsA
	aw.restartController(t)

	// 1003 is created after the world's presence watch started (so box a
	// never watches it) and lives on box b.
	ctx := context.Background()
	if err := aw.svc.UpsertAgent(ctx, acd.Agent{ID: "1003", Name: "Agent 1003", Endpoint: ag1003, Box: "b",
		Role: acd.RoleAgent, Skills: []string{"segment:DES", "lang:id"}, Queues: []string{"enterprise-care"}}); err != nil {
		t.Fatal(err)
	}

	durations, err := sounds.Durations()
	if err != nil {
		t.Fatal(err)
	}
	sd := make(map[string]time.Duration, len(durations))
	for k, v := range durations {
		sd["sound:"+k] = v
	}
	simB := arisim.New(arisim.Options{Username: "tenesa", Password: "test", TimeScale: simTimeScale,
		PromptDurations: sd, SystemName: "b", Logger: testLog(t).With().Str("component", "arisim-b").Logger()})
	if err := simB.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	simB.AddAgent(arisim.Agent{Endpoint: ag1003, AnswerAfter: time.Second})
	tb.simB = simB

	opts := aw.ctlOpts
	opts.URL, opts.WebsocketURL, opts.Server, opts.Observer = simB.URL(), simB.WebsocketURL(), "b", tb.obsB
	opts.Logger = testLog(t).With().Str("server", "b").Logger()
	ctlB, err := ari.NewController(opts)
	if err != nil {
		t.Fatal(err)
	}
	// presence: box b follows the endpoints of its own agents
	agents := append(slices.Clone(aw.svc.Settings().Agents), acd.Agent{ID: "1003", Endpoint: ag1003, Box: "b"})
	ctlB.WatchEndpoints(acd.PresenceEndpoints(agents, "b", false), func(ep string, online bool) {
		if err := aw.svc.EndpointState(context.Background(), ep, online); err != nil {
			t.Errorf("presence of %s: %v", ep, err)
		}
	})
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ctlB.Run(rctx, aw.flow.Handle) }()
	tb.ctlB = ctlB
	// registered after newACDWorld's cleanup: runs before it (the acd and
	// the record writer are still up while box b's calls end)
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("box b controller: %v", err)
		}
		_ = simB.Close()
	})
	waitUntil(t, "box b connected", ctlB.Connected)
	return tb
}

// place puts a caller asking for an agent on sim and waits until the acd
// has the call waiting (or further).
func (tb *twoBoxes) place(t *testing.T, sim *arisim.Server) *arisim.Call {
	t.Helper()
	call, err := sim.PlaceCall(toAgent(arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "call in Stasis", func() bool { return call.ChannelID() != "" })
	waitUntil(t, "call queued in the acd", func() bool {
		h, err := tb.svc.Handling(context.Background(), call.ChannelID())
		return err == nil && !h.EnqueuedAt.IsZero()
	})
	return call
}

// waitBridged waits until the caller is bridged with an answered leg of
// endpoint on sim, and returns that leg.
func waitBridged(t *testing.T, sim *arisim.Server, endpoint string, call *arisim.Call) arisim.AgentLeg {
	t.Helper()
	var leg arisim.AgentLeg
	waitUntil(t, endpoint+" bridged with "+call.ChannelID(), func() bool {
		for _, l := range sim.AgentReport(endpoint) {
			if l.Answered && slices.Contains(l.BridgedWith, call.ChannelID()) {
				leg = l
				return true
			}
		}
		return false
	})
	return leg
}

func (tb *twoBoxes) login(t *testing.T, id string) {
	t.Helper()
	if err := tb.svc.Login(context.Background(), id); err != nil {
		t.Fatal(err)
	}
}

// hangUpAndRecord hangs the caller up once the acd has the agent's answer
// (the flow reports it right after bridging: a hang-up in between is an
// abandon) and returns its one handling record (the world fails the test
// on a second one).
func (tb *twoBoxes) hangUpAndRecord(t *testing.T, call *arisim.Call) *router.Record {
	t.Helper()
	waitUntil(t, "the acd has the answer of "+call.ChannelID(), func() bool {
		h, err := tb.svc.Handling(context.Background(), call.ChannelID())
		return err == nil && !h.AnsweredAt.IsZero()
	})
	call.HangUp()
	return tb.waitRecord(t, call.ChannelID())
}

func checkAnswered(t *testing.T, r *router.Record, agent, server string) {
	t.Helper()
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != agent || r.Server != server {
		t.Errorf("call %s: outcome %s agent %q server %q, want agent_answered by %s on %s (%s)",
			r.CallID, r.Outcome, r.AgentID, r.Server, agent, server, r.FailReason)
	}
}

// TestMultiBoxEachCallBridgedOnItsOwnBox: a call on box a is bridged with
// an agent leg originated on box a, a call on box b with one originated on
// box b; the agent of the other box never rings for it (its phone is not
// registered there); each call has one record naming its box.
func TestMultiBoxEachCallBridgedOnItsOwnBox(t *testing.T) {
	tb := newTwoBoxes(t, nil)
	tb.login(t, "1001")
	tb.login(t, "1003")
	callA := tb.place(t, tb.sim)
	callB := tb.place(t, tb.simB)
	waitBridged(t, tb.sim, ag1001, callA)
	waitBridged(t, tb.simB, ag1003, callB)
	checkAnswered(t, tb.hangUpAndRecord(t, callA), "1001", "a")
	checkAnswered(t, tb.hangUpAndRecord(t, callB), "1003", "b")
	if n := len(tb.simB.AgentReport(ag1001)); n != 0 {
		t.Errorf("box b originated %d legs to %s (registered on box a only)", n, ag1001)
	}
	if n := len(tb.sim.AgentReport(ag1003)); n != 0 {
		t.Errorf("box a originated %d legs to %s (registered on box b only)", n, ag1003)
	}
}

// TestMultiBoxAgentOfTheOtherBoxNeverOfferedWithoutTrunk: the only agent
// logged in is on box b while a call waits on box a (no trunk): logging in
// (an atomic take of the best waiting call) leaves the agent available and
// the call waiting; the agent of box a takes it when it logs in, and box
// b's agent takes box b's call at once.
func TestMultiBoxAgentOfTheOtherBoxNeverOfferedWithoutTrunk(t *testing.T) {
	tb := newTwoBoxes(t, nil)
	callA := tb.place(t, tb.sim)
	tb.login(t, "1003")
	if st := tb.agentState(t, "1003"); st.State != acd.Available || st.CallID != "" {
		t.Fatalf("agent 1003 (box b) after login with only box a's call waiting: %s for %q, want available", st.State, st.CallID)
	}
	if h, err := tb.svc.Handling(context.Background(), callA.ChannelID()); err != nil || !h.AnsweredAt.IsZero() {
		t.Fatalf("box a's call: %+v %v, want still waiting", h, err)
	}
	callB := tb.place(t, tb.simB)
	waitBridged(t, tb.simB, ag1003, callB)
	tb.login(t, "1001")
	waitBridged(t, tb.sim, ag1001, callA)
	checkAnswered(t, tb.hangUpAndRecord(t, callA), "1001", "a")
	checkAnswered(t, tb.hangUpAndRecord(t, callB), "1003", "b")
	for _, sim := range []*arisim.Server{tb.sim, tb.simB} {
		for _, l := range sim.AgentReport(ag1003) {
			if slices.Contains(l.BridgedWith, callA.ChannelID()) {
				t.Errorf("agent 1003 was bridged with box a's call")
			}
		}
	}
	if n := len(tb.simB.AgentReport(ag1003)); n != 1 {
		t.Errorf("agent 1003 rang %d times, want once (box b's call)", n)
	}
}

// TestMultiBoxTrunkReachesTheOtherBoxsAgent: box a has an agent_trunk; the
// only agent logged in is on box b: box a's call is offered to it and the
// leg is originated on box a through the trunk (the call stays on box a).
func TestMultiBoxTrunkReachesTheOtherBoxsAgent(t *testing.T) {
	const trunkDial = "PJSIP/agent1003@trunk-to-b"
	tb := newTwoBoxes(t, map[string]string{"a": "PJSIP/{resource}@trunk-to-b"})
	tb.sim.AddAgent(arisim.Agent{Endpoint: trunkDial, AnswerAfter: time.Second})
	tb.login(t, "1003")
	callA := tb.place(t, tb.sim)
	waitBridged(t, tb.sim, trunkDial, callA)
	checkAnswered(t, tb.hangUpAndRecord(t, callA), "1003", "a")
	if n := len(tb.simB.AgentReport(ag1003)); n != 0 {
		t.Errorf("box b originated %d legs for box a's call: the call must stay on box a", n)
	}
}

// TestMultiBoxWebSocketDropOnOneBoxLeavesTheOtherAlone: both boxes have a
// bridged call; box a's events WebSocket drops and comes back: box b's
// controller never went down, its call stays bridged and ends normally;
// box a's call is adopted back and ends with one record too.
func TestMultiBoxWebSocketDropOnOneBoxLeavesTheOtherAlone(t *testing.T) {
	tb := newTwoBoxes(t, nil)
	tb.login(t, "1001")
	tb.login(t, "1003")
	callA := tb.place(t, tb.sim)
	callB := tb.place(t, tb.simB)
	waitBridged(t, tb.sim, ag1001, callA)
	legB := waitBridged(t, tb.simB, ag1003, callB)
	upsA := tb.obsA.ups.Load()
	tb.sim.DropWebSockets()
	waitUntil(t, "box a reconnected", func() bool { return tb.obsA.ups.Load() > upsA && tb.ctl.Connected() })
	if d := tb.obsB.downs.Load(); d != 0 {
		t.Errorf("box b's WebSocket went down %d times when box a's dropped", d)
	}
	for _, l := range tb.simB.AgentReport(ag1003) {
		if l.ChannelID == legB.ChannelID && !l.Ended.IsZero() {
			t.Errorf("box b's agent leg ended (%s) when box a's WebSocket dropped", l.HungUpBy)
		}
	}
	select {
	case <-callB.Done():
		t.Fatal("box b's caller left when box a's WebSocket dropped")
	default:
	}
	checkAnswered(t, tb.hangUpAndRecord(t, callB), "1003", "b")
	rA := tb.hangUpAndRecord(t, callA)
	if rA.Outcome != router.OutcomeAgentAnswered || rA.Server != "a" {
		t.Errorf("box a's call after the reconnect: outcome %s server %q", rA.Outcome, rA.Server)
	}
}
