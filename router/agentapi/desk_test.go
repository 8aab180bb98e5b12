package agentapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// TestEscalationInboxKeepsTheReasonAndIsTakenAndResolvedByALeader: an
// agent's escalation keeps its reason text as an open case in the inbox
// (leaders only; an agent is refused), the leaders' stream announces it,
// a leader takes it (another leader cannot take it then), resolves it with
// a note (required), and it leaves the inbox; the escalating agent's day
// lists the call as escalated.
func TestEscalationInboxKeepsTheReasonAndIsTakenAndResolvedByALeader(t *testing.T) {
	l := startLive(t)
	ctx := context.Background()
	leaders := l.open(t, "/api/v1/leaders/events", tokL)
	leaders.until(t, "snapshot", `"agents"`)
	l.want(t, "POST", "/api/v1/agents/1001/login", tokA, "", 200, `"state":"available"`)
	w, err := l.svc.Enqueue(ctx, acd.CallEntry{CallID: "call-e", Queue: "general"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	leaders.until(t, "offer", `"call_id":"call-e"`)
	if err := l.svc.Answered(ctx, "call-e", "1001"); err != nil {
		t.Fatal(err)
	}
	l.want(t, "POST", "/api/v1/calls/call-e/escalate", tokA, `{"reason":"minta bicara dengan <atasan>"}`, 200, `"queue":"tl"`)
	leaders.until(t, "escalation_case", `"reason":"open"`)

	l.want(t, "GET", "/api/v1/escalations", tokA, "", 403, "only team leaders")
	l.want(t, "GET", "/api/v1/escalations", tokL, "", 200,
		`{"escalations":[{"call_id":"call-e","agent_id":"1001","queue":"general","reason":"minta bicara dengan \u003catasan\u003e","status":"open"`)
	l.want(t, "POST", "/api/v1/escalations/call-e/take", tokA, "", 403, "only team leaders")
	l.want(t, "POST", "/api/v1/escalations/nope/take", tokL, "", 404, `unknown escalation \"nope\"`)
	l.want(t, "POST", "/api/v1/escalations/call-e/take", tokL, "", 200, `"status":"taken","leader":"2001"`)
	leaders.until(t, "escalation_case", `"reason":"taken"`)
	if _, err := l.svc.TakeCase(ctx, "call-e", "2002"); err == nil || !strings.Contains(err.Error(), "taken by 2001") {
		t.Fatalf("a second leader took a taken case: %v", err)
	}
	l.want(t, "POST", "/api/v1/escalations/call-e/resolve", tokL, `{"note":""}`, 400, `"field":"note"`)
	l.want(t, "POST", "/api/v1/escalations/call-e/resolve", tokL, `{"note":"called back, refund agreed"}`, 200,
		`"status":"resolved","leader":"2001","note":"called back, refund agreed"`)
	leaders.until(t, "escalation_case", `"note":"called back, refund agreed"`)
	l.want(t, "POST", "/api/v1/escalations/call-e/resolve", tokL, `{"note":"again"}`, 409, "it is resolved")
	l.want(t, "GET", "/api/v1/escalations", tokL, "", 200, `{"escalations":[]}`)

	l.want(t, "GET", "/api/v1/agents/1001/calls", tokA, "", 200, `{"calls":[{"call_id":"call-e"`)
	l.want(t, "GET", "/api/v1/agents/1001/calls", tokA, "", 200, `"queue":"general","outcome":"escalated"`)
}

// TestDayCallsShowOutcomesAndOnlyToTheAgentOrALeader: the calls an agent
// answered today are listed newest first with the disposition category and
// ticket; another agent is refused (403), a leader reads them.
func TestDayCallsShowOutcomesAndOnlyToTheAgentOrALeader(t *testing.T) {
	l := startLive(t)
	ctx := context.Background()
	ag := l.open(t, "/api/v1/agents/1001/events", tokA)
	ag.until(t, "snapshot", `"id":"1001"`)
	l.want(t, "POST", "/api/v1/agents/1001/login", tokA, "", 200, `"state":"available"`)
	for i, id := range []string{"call-d1", "call-d2"} {
		w, err := l.svc.Enqueue(ctx, acd.CallEntry{CallID: id, Queue: "general"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		ag.until(t, "offer", `"call_id":"`+id+`"`)
		if err := l.svc.Answered(ctx, id, "1001"); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			l.want(t, "POST", "/api/v1/calls/"+id+"/disposition", tokA,
				`{"category":"information","ticket_id":"IN-7","further_help_offered":true,"standard_closing":true}`, 200, `"IN-7"`)
			if err := l.svc.Ended(ctx, id, acd.PartyCaller); err != nil {
				t.Fatal(err)
			}
			l.want(t, "POST", "/api/v1/agents/1001/ready", tokA, "", 200, `"state":"available"`)
		}
	}
	body := l.want(t, "GET", "/api/v1/agents/1001/calls", tokA, "", 200, `{"calls":[{"call_id":"call-d2"`)
	for _, frag := range []string{`"outcome":"in_progress"`, `"call_id":"call-d1"`, `"outcome":"information","ticket_id":"IN-7"`} {
		if !strings.Contains(body, frag) {
			t.Errorf("day calls %s lack %s", body, frag)
		}
	}
	l.want(t, "GET", "/api/v1/agents/1001/calls", tokB, "", 403, "not agent 1001's")
	l.want(t, "GET", "/api/v1/agents/1001/calls", tokL, "", 200, `"call_id":"call-d1"`)
	l.want(t, "GET", "/api/v1/agents/nobody/calls", tokL, "", 404, "unknown agent")
}
