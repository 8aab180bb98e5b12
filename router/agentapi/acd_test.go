package agentapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	"github.com/tenesa-ivr/tenesa-ivr/router/agentapi"
)

// *acd.Service is the Backend.
var _ agentapi.Backend = (*acd.Service)(nil)

const (
	tokA = "agent-1001-token-xxxxxxxx"
	tokB = "agent-1002-token-yyyyyyyy"
	tokL = "leader-2001-token-zzzzzzz"
)

// live is the API over a real acd on the test Redis.
type live struct {
	svc *acd.Service
	url string
}

func startLive(t *testing.T) *live {
	t.Helper()
	q := func(name string) acd.QueueConfig {
		return acd.QueueConfig{Name: name, Strategy: "longest_idle", ServiceLevel: 20 * time.Second,
			WrapUp: 30 * time.Second, RingTimeout: 20 * time.Second}
	}
	st := &acd.Settings{
		Queues:          map[string]acd.QueueConfig{"general": q("general"), "tl": q("tl")},
		TeamLeaderQueue: "tl", EscalationPriority: 200, LoginAtStart: map[string]bool{},
		Agents: []acd.Agent{
			{ID: "1001", Name: "Agent 1001", Endpoint: "PJSIP/agent1001", Role: acd.RoleAgent, Queues: []string{"general"}},
			{ID: "1002", Name: "Agent 1002", Endpoint: "PJSIP/agent1002", Role: acd.RoleAgent, Queues: []string{"general"}},
			{ID: "2001", Name: "Leader 2001", Endpoint: "PJSIP/agent2001", Role: acd.RoleTeamLeader, Queues: []string{"tl"}},
		},
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	svc, err := acd.New(acd.Options{Client: redistest.Client(t), KeyPrefix: redistest.Prefix(t), Pool: "api",
		Instance: "ctl-1", Clock: acd.NewManualClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)), Log: log}, st)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := svc.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	api, err := agentapi.New(svc, agentapi.Options{Log: log,
		Tokens: map[string]string{"1001": tokA, "1002": tokB, "2001": tokL}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(func() { srv.Close(); api.Close(); cancel(); svc.Wait() })
	return &live{svc: svc, url: srv.URL}
}

func (l *live) call(t *testing.T, method, path, token, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, l.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (l *live) want(t *testing.T, method, path, token, body string, status int, fragment string) string {
	t.Helper()
	code, got := l.call(t, method, path, token, body)
	if code != status || !strings.Contains(got, fragment) {
		t.Fatalf("%s %s: %d %s, want %d with %s", method, path, code, got, status, fragment)
	}
	return got
}

// stream reads event types and data from an SSE response.
type stream struct {
	events chan [2]string
}

func (l *live) open(t *testing.T, path, token string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, l.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("open %s: %v %v", path, err, resp)
	}
	s := &stream{events: make(chan [2]string, 256)}
	go func() {
		defer close(s.events)
		r := bufio.NewReader(resp.Body)
		var typ string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch line = strings.TrimRight(line, "\n"); {
			case strings.HasPrefix(line, "event: "):
				typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				s.events <- [2]string{typ, line[6:]}
			}
		}
	}()
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	return s
}

// until returns the data of the next event of type typ whose data contains
// fragment, skipping others.
func (s *stream) until(t *testing.T, typ, fragment string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatalf("stream ended before %s %s", typ, fragment)
			}
			if ev[0] == typ && strings.Contains(ev[1], fragment) {
				return ev[1]
			}
		case <-deadline:
			t.Fatalf("no %s event with %s within 10s", typ, fragment)
		}
	}
}

// TestAgentWorksACallThroughTheAPIOnTheRealACD: an agent logs in, is
// offered a call and connected with the screen-pop on its stream, cannot
// get ready while on the call (409 with the acd's reason), another agent
// cannot record the call's disposition (403), the agent records it (it
// lands on the handling record) and escalates the call (the leaders'
// stream shows it and the agent wraps up); a leader pauses an agent.
func TestAgentWorksACallThroughTheAPIOnTheRealACD(t *testing.T) {
	l := startLive(t)
	ag := l.open(t, "/api/v1/agents/1001/events", tokA)
	ag.until(t, "snapshot", `"state":"logged_out"`)
	leaders := l.open(t, "/api/v1/leaders/events", tokL)
	leaders.until(t, "snapshot", `"queues":[{"name":"general"`)

	l.want(t, "POST", "/api/v1/agents/1001/login", tokA, "", 200, `"state":"available"`)
	ag.until(t, "state", `"state":"available"`)

	w, err := l.svc.Enqueue(context.Background(), acd.CallEntry{CallID: "call-1", Queue: "general", Priority: 5,
		ScreenPop: json.RawMessage(`{"customer_name":"PT Contoh <b>"}`)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ag.until(t, "offer", `"call_id":"call-1"`)
	if err := l.svc.Answered(context.Background(), "call-1", "1001"); err != nil {
		t.Fatal(err)
	}
	connected := ag.until(t, "connected", `"call_id":"call-1"`)
	var ev acd.Event
	if err := json.Unmarshal([]byte(connected), &ev); err != nil || !strings.Contains(string(ev.ScreenPop), "PT Contoh") {
		t.Fatalf("connected event %s (%v) without the screen-pop", connected, err)
	}

	l.want(t, "POST", "/api/v1/agents/1001/ready", tokA, "", 409, `cannot ready while on_call`)
	l.want(t, "GET", "/api/v1/calls/call-1", tokB, "", 403, `not agent 1002's`)
	l.want(t, "POST", "/api/v1/calls/call-1/disposition", tokB,
		`{"category":"request","further_help_offered":true,"standard_closing":true}`, 403, `not agent 1002's`)
	l.want(t, "POST", "/api/v1/calls/call-1/disposition", tokA,
		`{"category":"rumour","further_help_offered":true,"standard_closing":true}`, 400, `"field":"category"`)
	l.want(t, "POST", "/api/v1/calls/call-1/disposition", tokA,
		`{"category":"complaint","ticket_id":"IN-42","further_help_offered":true,"standard_closing":true}`, 200,
		`"disposition":{"category":"complaint","ticket_id":"IN-42","further_help_offered":true,"standard_closing":true,"agent_id":"1001"`)
	h, err := l.svc.Handling(context.Background(), "call-1")
	if err != nil || h.Disposition == nil || h.Disposition.TicketID != "IN-42" {
		t.Fatalf("handling record %+v (%v) without the disposition", h, err)
	}

	l.want(t, "POST", "/api/v1/calls/call-1/help", tokA, `{"note":"angry caller"}`, 202, "leaders notified")
	leaders.until(t, "help_request", `"note":"angry caller"`)
	l.want(t, "POST", "/api/v1/calls/call-1/escalate", tokA, `{"reason":"wants a manager"}`, 200, `"queue":"tl"`)
	leaders.until(t, "escalation", `"reason":"agent_request"`)
	ag.until(t, "state", `"state":"wrap_up"`)
	l.want(t, "GET", "/api/v1/agents/1001", tokA, "", 200, `"state":"wrap_up"`)
	l.want(t, "POST", "/api/v1/calls/call-1/escalate", tokA, `{"reason":"again"}`, 409, `already in the team leader queue`)

	l.want(t, "PUT", "/api/v1/agents/1002/state", tokB, `{"state":"paused","reason":"x"}`, 403, "team leader or supervisor")
	l.want(t, "PUT", "/api/v1/agents/1002/state", tokL, `{"state":"available"}`, 200, `"state":"available"`)
	l.want(t, "PUT", "/api/v1/agents/1002/state", tokL, `{"state":"paused","reason":"coaching"}`, 200, `"reason":"coaching"`)
	l.want(t, "PUT", "/api/v1/agents/nobody/state", tokL, `{"state":"logged_out"}`, 404, `unknown agent \"nobody\"`)
	l.want(t, "GET", "/api/v1/agents", tokA, "", 200, `{"agents":[{"id":"1001"`)
	body := l.want(t, "GET", "/api/v1/agents", tokL, "", 200, `"id":"2001"`)
	if strings.Count(body, `"endpoint"`) != 3 {
		t.Errorf("leader's list %s, want 3 agents", body)
	}
	l.want(t, "GET", "/api/v1/queues", tokA, "", 200, `{"name":"tl","waiting":1`)
}
