package flow_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	"github.com/tenesa-ivr/tenesa-ivr/router/agentapi"
)

// agentAPI serves the agent API over the world's acd, with a token for
// agent 1001.
func (aw *acdWorld) agentAPI(t *testing.T) (url, token string) {
	t.Helper()
	token = "agent-1001-token-0123456789abcdef"
	api, err := agentapi.New(aw.svc, agentapi.Options{Tokens: map[string]string{"1001": token}, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(func() { api.Close(); srv.Close() })
	return srv.URL, token
}

func post(t *testing.T, url, token, body string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestACDAgentEscalatesThroughTheAPI: the agent talking to the caller
// records the disposition and escalates through the agent API; the caller
// moves to the team leader queue with the screen-pop, the agent's leg is
// hung up and it wraps up, the leader takes the call; one record with the
// escalation (by 1001) and the disposition.
func TestACDAgentEscalatesThroughTheAPI(t *testing.T) {
	aw := newACDWorld(t, acdOpts{login: []string{"1001"}})
	url, token := aw.agentAPI(t)
	call := aw.place(t, toAgent(arisim.WaitPromptEnd("transfer-agent"), arisim.WaitPromptEnd("escalation-supervisor"),
		arisim.Wait(30*time.Second), hangUp))
	aw.waitAgent(t, "1001", acd.OnCall)
	waitUntil(t, "caller bridged", func() bool { return len(call.Transcript().BridgedWith) > 0 })
	id := call.ChannelID()
	if st := post(t, url+"/api/v1/calls/"+id+"/disposition", token,
		`{"category":"complaint","ticket_id":"IN100234501","further_help_offered":true,"standard_closing":true}`); st != http.StatusOK {
		t.Fatalf("disposition: %d", st)
	}
	if st := post(t, url+"/api/v1/calls/"+id+"/escalate", token, `{"reason":"billing dispute above my limit"}`); st/100 != 2 {
		t.Fatalf("escalate: %d", st)
	}
	waitUntil(t, "escalation announced", func() bool { return heardPromptSub(call.Transcript(), "escalation-supervisor") })
	if err := aw.svc.Login(context.Background(), "1004"); err != nil {
		t.Fatal(err)
	}
	r := aw.waitRecord(t, id)
	if r.Outcome != router.OutcomeAgentAnswered || r.AgentID != "1004" || r.Queue != "team-leader" {
		t.Fatalf("record: outcome %s agent %q queue %q", r.Outcome, r.AgentID, r.Queue)
	}
	if len(r.Escalations) != 1 || r.Escalations[0].By != "1001" || r.Escalations[0].Reason != string(acd.EscalationAgent) {
		t.Errorf("escalations %+v", r.Escalations)
	}
	if leg := aw.sim.AgentReport(ag1001)[0]; leg.HungUpBy != "controller" {
		t.Errorf("escalating agent's leg hung up by %q", leg.HungUpBy)
	}
	if st := aw.agentState(t, "1001"); st.State != acd.WrapUp && st.State != acd.Available {
		t.Errorf("1001 is %s after escalating, want wrap-up (or done with it)", st.State)
	}
}
