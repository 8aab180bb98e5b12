package flow_test

import (
	"context"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// TestACDReportsAfterLongRingAndLongTalk: what the hand-off reports to the
// acd after a ring or a conversation longer than one report's time bound
// (5 s) still arrives: the agent who let the call ring 6 s is paused
// no_answer at once (not when the acd's own offer timer fires, minutes
// later), and the end of an 8 s conversation puts the agent in wrap-up, so
// the record has the talk and the wrap-up. Real time: the simulator gets
// sim durations (simDur).
func TestACDReportsAfterLongRingAndLongTalk(t *testing.T) {
	const ring, talk = 6 * time.Second, 8 * time.Second
	aw := newACDWorld(t, acdOpts{login: []string{"1002"}, tweak: func(cfg *configs.Config) {
		q := cfg.Routing.Queues["enterprise-care"]
		q.RingTimeout = simDur(ring)
		cfg.Routing.Queues["enterprise-care"] = q
	}, agents: []arisim.Agent{{Endpoint: ag1002, NeverAnswer: true},
		{Endpoint: ag1001, AnswerAfter: time.Second, HangupAfter: simDur(talk)}}})
	call := aw.place(t, toAgent(arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(time.Hour)))
	waitLong(t, "1002 paused no_answer", func() bool {
		st := aw.agentState(t, "1002")
		return st.State == acd.Paused && st.Reason == acd.ReasonNoAnswer
	})
	if err := aw.svc.Login(context.Background(), "1001"); err != nil {
		t.Fatal(err)
	}
	r := aw.recordOf(t, call.ChannelID())
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1001" || r.EndedBy != "agent" {
		t.Fatalf("record: outcome %s agent %q ended by %q (%s)", r.Outcome, r.AgentID, r.EndedBy, r.FailReason)
	}
	if r.WaitSeconds < ring.Seconds() || r.TalkSeconds <= 0 || r.WrapUpSeconds <= 0 {
		t.Errorf("wait %.3f s, talk %.3f s, wrap-up %.3f s: want the ring (%v) in the wait, the talk (%v), a wrap-up",
			r.WaitSeconds, r.TalkSeconds, r.WrapUpSeconds, ring, talk)
	}
	if leg := lastLeg(t, aw.sim, ag1002); leg.Answered || leg.HungUpBy != "timeout" {
		t.Errorf("1002's leg %+v: want rung out", leg)
	}
}
