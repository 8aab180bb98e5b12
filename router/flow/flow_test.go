package flow_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/router"
)

// menu waits for a menu prompt and presses keys.
func menu(prompt, keys string) []arisim.Step {
	return []arisim.Step{arisim.WaitForPrompt(prompt), arisim.Press(keys)}
}

// talk: the agent answers, the caller talks a while and hangs up.
var talk = []arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(60 * time.Second), arisim.HangUp()}

// TestPaths drives one call per SOP path through the simulator and checks
// its handling record and what the caller heard.
func TestPaths(t *testing.T) {
	w := newWorld(t, worldOpts{})
	tests := []struct {
		name     string
		caller   arisim.Caller
		outcome  router.Outcome
		method   string // identification method
		queue    string
		intent   string
		product  string
		language string
		heard    []string // prompt ids the caller must have heard
		notHeard []string
		check    func(t *testing.T, r *router.Record, tr arisim.CallReport)
	}{
		{
			name:    "known enterprise caller by number goes straight to the menu",
			caller:  arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "0"), talk)},
			outcome: router.OutcomeAgentAnswered, method: "ani", queue: "enterprise-care", intent: "agent",
			heard: []string{"greeting-pagi", "menu-main", "transfer-agent"}, notHeard: []string{"ask-service-id"},
			check: func(t *testing.T, r *router.Record, tr arisim.CallReport) {
				if r.CustomerID != "DES-T1" || r.Segment != "DES" || r.Tier != "gold" || r.AgentID == "" {
					t.Errorf("record: customer %q segment %q tier %q agent %q", r.CustomerID, r.Segment, r.Tier, r.AgentID)
				}
				if len(tr.BridgedWith) == 0 {
					t.Error("caller was never bridged with the agent")
				}
				if r.TalkSeconds <= 0 || r.AgentAnsweredAt == nil {
					t.Errorf("talk %v answered %v", r.TalkSeconds, r.AgentAnsweredAt)
				}
			},
		},
		{
			name: "unknown number then a valid service ID",
			caller: arisim.Caller{Number: aniUnknown, Script: steps(
				menu("ask-service-id", sidDES+"#"), menu("menu-main", "0"), talk)},
			outcome: router.OutcomeAgentAnswered, method: "sid", queue: "enterprise-care",
			heard: []string{"ask-service-id", "menu-main"},
			check: func(t *testing.T, r *router.Record, _ arisim.CallReport) {
				if r.Identification.Attempts != 1 || r.CustomerID != "DES-T1" {
					t.Errorf("attempts %d customer %q", r.Identification.Attempts, r.CustomerID)
				}
			},
		},
		{
			name: "unknown number and three invalid service IDs go to the general queue",
			caller: arisim.Caller{Number: aniUnknown, Script: steps(
				menu("ask-service-id", "111#"), menu("service-id-invalid", ""),
				menu("ask-service-id", "222#"), menu("service-id-invalid", ""),
				menu("ask-service-id", "333#"), talk)},
			outcome: router.OutcomeAgentAnswered, method: "none", queue: "general",
			heard:    []string{"service-id-invalid", "not-identified", "transfer-agent"},
			notHeard: []string{"menu-main"},
			check: func(t *testing.T, r *router.Record, _ arisim.CallReport) {
				if r.Identification.Attempts != 3 || r.CustomerID != "" {
					t.Errorf("attempts %d customer %q", r.Identification.Attempts, r.CustomerID)
				}
			},
		},
		{
			name:    "consumer caller is redirected to 147",
			caller:  arisim.Caller{Number: aniConsumer},
			outcome: router.OutcomeWrongSegment, method: "ani",
			heard: []string{"greeting-", "redirect-consumer"}, notHeard: []string{"menu-main"},
			check: func(t *testing.T, r *router.Record, tr arisim.CallReport) {
				if tr.HungUpBy != "continue" || tr.ContinuedTo != "tenesa-after-ivr,147,1" {
					t.Errorf("hung up by %q, continued to %q: want continue to tenesa-after-ivr,147,1", tr.HungUpBy, tr.ContinuedTo)
				}
				if r.SegmentServed == nil || *r.SegmentServed {
					t.Error("segment_served must be false")
				}
			},
		},
		{
			name:    "incident on the caller's product and region is announced before the menu",
			caller:  arisim.Caller{Number: aniIncident, Script: steps(menu("incident-continue", "1"), menu("menu-main", "0"), talk)},
			outcome: router.OutcomeAgentAnswered, method: "ani", queue: "business",
			heard: []string{"incident-generic", "incident-eta", "incident-continue", "menu-main"},
			check: func(t *testing.T, _ *router.Record, tr arisim.CallReport) {
				// expected end 17:00 WITA (Makassar, the caller's zone), not 16:00 WIB (the
				// line's), in Indonesian prompts: "dua puluh tujuh November pukul tujuh belas WITA"
				checkHeardAfter(t, tr, "id/incident-eta",
					"id/num-20", "id/num-7", "id/month-11", "id/at-time", "id/num-17", "id/tz-wita", "id/incident-continue")
			},
		},
		{
			name:    "English speaking customer hears English and goes to the English desk",
			caller:  arisim.Caller{Number: aniEnglish, Script: steps(menu("menu-main", "0"), talk)},
			outcome: router.OutcomeAgentAnswered, method: "ani", queue: "english-desk", language: "en",
			heard: []string{"en/greeting-pagi", "en/menu-main"},
		},
		{
			name:    "9 switches to English",
			caller:  arisim.Caller{Number: aniDES, Script: steps(menu("id/menu-main", "9"), menu("en/menu-main", "0"), talk)},
			outcome: router.OutcomeAgentAnswered, queue: "english-desk", language: "en",
			heard: []string{"id/menu-main", "en/language-switched", "en/menu-main"},
		},
		{
			name: "ticket status with an open ticket, then end",
			caller: arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "2"),
				menu("ask-service-id", sidDES+"#"), menu("offer-agent", "1"))},
			outcome: router.OutcomeSelfServed, method: "ani",
			heard: []string{"ticket-intro", "ticket-status-in-progress", "ticket-last-update", "ticket-eta", "offer-agent",
				"further-help", "closing"},
			check: func(t *testing.T, r *router.Record, tr arisim.CallReport) {
				if r.SelfServiceResult != "ticket_in_progress" || tr.HungUpBy != "controller" {
					t.Errorf("self-service %q, hung up by %q", r.SelfServiceResult, tr.HungUpBy)
				}
				// IN100234501 spelled, then "dua puluh tujuh November pukul delapan lima
				// belas W I B" and "... pukul empat belas W I B", all in Indonesian
				checkHeardAfter(t, tr, "id/ticket-intro",
					"id/letter-i", "id/letter-n", "id/num-1", "id/num-0", "id/num-0", "id/num-2", "id/num-3",
					"id/num-4", "id/num-5", "id/num-0", "id/num-1", "id/ticket-status-in-progress")
				checkHeardAfter(t, tr, "id/ticket-last-update",
					"id/num-20", "id/num-7", "id/month-11", "id/at-time", "id/num-8", "id/num-15", "id/tz-wib", "id/ticket-eta")
				checkHeardAfter(t, tr, "id/ticket-eta",
					"id/num-20", "id/num-7", "id/month-11", "id/at-time", "id/num-14", "id/tz-wib")
				if !r.FurtherHelp.Offered || r.FurtherHelp.Choice != "closing" {
					t.Errorf("further help %+v, want offered, closing on silence", r.FurtherHelp)
				}
				if h := heard(tr); len(h) < 2 || !strings.HasSuffix(h[len(h)-2], "/further-help") || !strings.HasSuffix(h[len(h)-1], "/closing") {
					t.Errorf("further help must come right before the closing: %v", h)
				}
			},
		},
		{
			name: "ticket status after switching to English is spoken in English",
			caller: arisim.Caller{Number: aniDES, Script: steps(menu("id/menu-main", "9"), menu("en/menu-main", "2"),
				menu("ask-service-id", sidDES+"#"), menu("offer-agent", "1"))},
			outcome: router.OutcomeSelfServed, language: "en",
			heard: []string{"en/ticket-intro", "en/ticket-status-in-progress"},
			check: func(t *testing.T, _ *router.Record, tr arisim.CallReport) {
				checkHeardAfter(t, tr, "en/ticket-intro",
					"en/letter-i", "en/letter-n", "en/num-1", "en/num-0", "en/num-0", "en/num-2", "en/num-3",
					"en/num-4", "en/num-5", "en/num-0", "en/num-1", "en/ticket-status-in-progress")
				// "November twenty seventh at eight fifteen a.m. Western Indonesia Time"
				checkHeardAfter(t, tr, "en/ticket-last-update",
					"en/month-11", "en/num-20", "en/ord-7", "en/at-time", "en/num-8", "en/num-15", "en/time-am", "en/tz-wib", "en/ticket-eta")
				// "November twenty seventh at two p.m. Western Indonesia Time"
				checkHeardAfter(t, tr, "en/ticket-eta",
					"en/month-11", "en/num-20", "en/ord-7", "en/at-time", "en/num-2", "en/time-pm", "en/tz-wib")
			},
		},
		{
			name: "further help after ticket status: 1 goes back to the main menu",
			caller: arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "2"),
				menu("ask-service-id", sidDES+"#"), menu("offer-agent", "1"), menu("further-help", "1"),
				menu("menu-main", "3"), menu("menu-information", "1"), talk)},
			outcome: router.OutcomeAgentAnswered, method: "ani", intent: "information", queue: "billing",
			heard:    []string{"ticket-intro", "further-help", "menu-information", "transfer-agent"},
			notHeard: []string{"closing"},
			check: func(t *testing.T, r *router.Record, _ arisim.CallReport) {
				if !r.FurtherHelp.Offered || r.FurtherHelp.Choice != "main_menu" || r.SelfServiceResult != "ticket_in_progress" {
					t.Errorf("further help %+v, self-service %q", r.FurtherHelp, r.SelfServiceResult)
				}
			},
		},
		{
			name: "further help after ticket status: 0 goes to an agent",
			caller: arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "2"),
				menu("ask-service-id", sidDES+"#"), menu("offer-agent", "1"), menu("further-help", "0"), talk)},
			outcome: router.OutcomeAgentAnswered, method: "ani", intent: "ticket_status",
			heard:    []string{"further-help", "transfer-agent"},
			notHeard: []string{"closing"},
			check: func(t *testing.T, r *router.Record, _ arisim.CallReport) {
				if r.FurtherHelp.Choice != "agent" {
					t.Errorf("further help %+v, want agent", r.FurtherHelp)
				}
			},
		},
		{
			name: "further help after ticket status: 2 ends with the closing",
			caller: arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "2"),
				menu("ask-service-id", sidDES+"#"), menu("offer-agent", "1"), menu("further-help", "2"))},
			outcome: router.OutcomeSelfServed, method: "ani",
			heard: []string{"further-help", "closing"},
			check: func(t *testing.T, r *router.Record, tr arisim.CallReport) {
				if r.FurtherHelp.Choice != "closing" || tr.HungUpBy != "controller" {
					t.Errorf("further help %+v, hung up by %q", r.FurtherHelp, tr.HungUpBy)
				}
			},
		},
		{
			name: "caller identified by number never hears another customer's ticket",
			caller: arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "2"),
				menu("ask-service-id", sidPlatinum+"#"), menu("offer-agent", "0"), talk)},
			outcome: router.OutcomeAgentAnswered, method: "ani", intent: "ticket_status",
			heard: []string{"ticket-none", "offer-agent"},
			// no ticket id spelled (letter-*), no status
			notHeard: []string{"ticket-intro", "ticket-status-", "letter-"},
			check: func(t *testing.T, r *router.Record, tr arisim.CallReport) {
				if r.SelfServiceResult != "service_not_owned" || r.CustomerID != "DES-T1" {
					t.Errorf("self-service %q customer %q", r.SelfServiceResult, r.CustomerID)
				}

			},
		},
		{
			name: "caller identified by the service ID hears that service's ticket",
			caller: arisim.Caller{Number: aniUnknown, Script: steps(menu("ask-service-id", sidPlatinum+"#"),
				menu("menu-main", "2"), menu("offer-agent", "0"), talk)},
			outcome: router.OutcomeAgentAnswered, method: "sid", intent: "ticket_status",
			heard: []string{"ticket-intro", "ticket-status-resolved", "offer-agent"},
			check: func(t *testing.T, r *router.Record, _ arisim.CallReport) {
				if r.SelfServiceResult != "ticket_resolved" || r.CustomerID != "DES-P" {
					t.Errorf("self-service %q customer %q", r.SelfServiceResult, r.CustomerID)
				}
			},
		},
		{
			name: "ticket status without an open ticket, then an agent",
			caller: arisim.Caller{Number: aniUnknown, Script: steps(menu("ask-service-id", sidNoTicket+"#"),
				menu("menu-main", "2"), menu("offer-agent", "0"), talk)},
			outcome: router.OutcomeAgentAnswered, method: "sid", queue: "english-desk", intent: "ticket_status",
			heard:    []string{"ticket-none", "offer-agent"},
			notHeard: []string{"ticket-intro"},
		},
		{
			name:    "platinum customer goes to the VIP desk with top priority",
			caller:  arisim.Caller{Number: aniPlatinum, Script: steps(menu("menu-main", "1"), menu("menu-complaint-product", "1"), talk)},
			outcome: router.OutcomeAgentAnswered, queue: "vip-platinum", intent: "complaint", product: "data_internet",
			check: func(t *testing.T, r *router.Record, _ arisim.CallReport) {
				if r.Priority != 10 {
					t.Errorf("priority %d, want 10 (platinum)", r.Priority)
				}
			},
		},
		{
			name: "invalid keys and silence re-prompt, then an agent with what is known",
			caller: arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "7"),
				menu("invalid-option", ""), menu("menu-main", ""), []arisim.Step{arisim.WaitForPrompt("no-input"),
					arisim.WaitForPrompt("menu-main"), arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(60 * time.Second), hangUp})},
			outcome: router.OutcomeAgentAnswered, queue: "enterprise-care",
			heard: []string{"invalid-option", "no-input", "transfer-agent"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, tr := w.call(t, tt.caller)
			if r.Outcome != tt.outcome {
				t.Fatalf("outcome %q (stage %q, %s), want %q; heard %v", r.Outcome, r.AbandonStage, r.FailReason, tt.outcome, heard(tr))
			}
			if tt.method != "" && r.Identification.Method != tt.method {
				t.Errorf("identification %q, want %q", r.Identification.Method, tt.method)
			}
			if tt.queue != "" && r.Queue != tt.queue {
				t.Errorf("queue %q, want %q", r.Queue, tt.queue)
			}
			if tt.intent != "" && r.Intent != tt.intent {
				t.Errorf("intent %q, want %q", r.Intent, tt.intent)
			}
			if tt.product != "" && r.Product != tt.product {
				t.Errorf("product %q, want %q", r.Product, tt.product)
			}
			if tt.language != "" && r.Language != tt.language {
				t.Errorf("language %q, want %q", r.Language, tt.language)
			}
			for _, p := range tt.heard {
				if !heardPromptSub(tr, p) {
					t.Errorf("caller did not hear %q; heard %v", p, heard(tr))
				}
			}
			for _, p := range tt.notHeard {
				if heardPromptSub(tr, p) {
					t.Errorf("caller heard %q; heard %v", p, heard(tr))
				}
			}
			if tt.check != nil {
				tt.check(t, r, tr)
			}
		})
	}
}

// TestEveryMenuOption presses each option of the default menus and checks
// the route request: intent, product or topic, and the queue its rule picks.
func TestEveryMenuOption(t *testing.T) {
	w := newWorld(t, worldOpts{})
	tests := []struct {
		name            string
		keys            []arisim.Step
		intent, product string
		queue           string
	}{
		{"1-1 complaint data & internet", steps(menu("menu-main", "1"), menu("menu-complaint-product", "1")), "complaint", "data_internet", "enterprise-data"},
		{"1-2 complaint IndiHome", steps(menu("menu-main", "1"), menu("menu-complaint-product", "2")), "complaint", "indihome", "indihome-enterprise"},
		{"1-3 complaint telephony", steps(menu("menu-main", "1"), menu("menu-complaint-product", "3")), "complaint", "telephony", "enterprise-care"},
		{"1-4 complaint wifi.id", steps(menu("menu-main", "1"), menu("menu-complaint-product", "4")), "complaint", "wifi_id", "enterprise-care"},
		{"3-1 information billing", steps(menu("menu-main", "3"), menu("menu-information", "1")), "information", "", "billing"},
		{"3-2 information products", steps(menu("menu-main", "3"), menu("menu-information", "2")), "information", "", "enterprise-care"},
		{"4-1 request new installation", steps(menu("menu-main", "4"), menu("menu-request", "1")), "request", "", "sales"},
		{"4-2 request upgrade", steps(menu("menu-main", "4"), menu("menu-request", "2")), "request", "", "sales"},
		{"0 agent", menu("menu-main", "0"), "agent", "", "enterprise-care"},
		{"invalid key in a sub-menu re-prompts it", steps(menu("menu-main", "4"), menu("menu-request", "7"),
			menu("invalid-option", ""), menu("menu-request", "1")), "request", "", "sales"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, tr := w.call(t, arisim.Caller{Number: aniDES, Script: steps(tt.keys, talk)})
			if r.Outcome != router.OutcomeAgentAnswered || r.Intent != tt.intent || r.Product != tt.product || r.Queue != tt.queue {
				t.Errorf("outcome %q intent %q product %q queue %q; want intent %q product %q queue %q; heard %v",
					r.Outcome, r.Intent, r.Product, r.Queue, tt.intent, tt.product, tt.queue, heard(tr))
			}
		})
	}
}

// checkHeardAfter checks that the prompts heard right after the first
// prompt ending in after are want, in order ("id/num-7" matches
// "tenesa/id/num-7").
func checkHeardAfter(t *testing.T, tr arisim.CallReport, after string, want ...string) {
	t.Helper()
	h := heard(tr)
	for i, p := range h {
		if !strings.HasSuffix(p, after) {
			continue
		}
		got := h[i+1 : min(i+1+len(want), len(h))]
		if !slices.Equal(got, want) {
			t.Errorf("after %s heard %v, want %v", after, got, want)
		}
		return
	}
	t.Errorf("caller did not hear %s; heard %v", after, h)
}

// A date of another year is said with its year: in January 2027 the
// ticket's November 2026 update is "dua puluh tujuh November dua ribu dua
// puluh enam pukul delapan lima belas W I B".
func TestTicketDateOfAnotherYearSaysTheYear(t *testing.T) {
	w := newWorld(t, worldOpts{now: time.Date(2027, 1, 5, 3, 0, 0, 0, time.UTC)})
	r, tr := w.call(t, arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "2"),
		menu("ask-service-id", sidDES+"#"), menu("offer-agent", "1"))})
	if r.Outcome != router.OutcomeSelfServed {
		t.Fatalf("outcome %q, want self-served; heard %v", r.Outcome, heard(tr))
	}
	checkHeardAfter(t, tr, "id/ticket-last-update",
		"id/num-20", "id/num-7", "id/month-11", "id/num-2", "id/num-thousands", "id/num-20", "id/num-6",
		"id/at-time", "id/num-8", "id/num-15", "id/tz-wib", "id/ticket-eta")
}
