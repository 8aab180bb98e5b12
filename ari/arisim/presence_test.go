package arisim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestEndpointPresence: an app subscribed to endpoint:PJSIP/agent1001 gets
// EndpointStateChange when the endpoint goes offline and back; GET
// /endpoints shows the state; an offline endpoint cannot be originated
// (500 Allocation failed); an unknown endpoint is no event source (422).
func TestEndpointPresence(t *testing.T) {
	s := newTestServer(t, Options{TimeScale: 0.01})
	s.AddAgent(Agent{Endpoint: "PJSIP/agent1001", AnswerAfter: time.Second})
	ev := dialEvents(t, s, "app=tenesa-ivr")
	waitActive(t, s, "tenesa-ivr")
	sub := url.Values{"eventSource": {"endpoint:PJSIP/agent1001"}}
	if status, body := rest(t, s, http.MethodPost, "/applications/tenesa-ivr/subscription", sub); status != 200 {
		t.Fatalf("subscribe: %d %s", status, body)
	}
	bad := url.Values{"eventSource": {"endpoint:PJSIP/nobody"}}
	if status, _ := rest(t, s, http.MethodPost, "/applications/tenesa-ivr/subscription", bad); status != 422 {
		t.Errorf("subscribe to an unknown endpoint: %d, want 422", status)
	}

	s.SetEndpointOnline("PJSIP/agent1001", false)
	e := ev.waitEvent(t, "EndpointStateChange", nil)
	ep, _ := e["endpoint"].(map[string]any)
	if ep["resource"] != "agent1001" || ep["state"] != "offline" || e["application"] != "tenesa-ivr" {
		t.Errorf("event %v", e)
	}
	if status, body := rest(t, s, http.MethodGet, "/endpoints/PJSIP/agent1001", nil); status != 200 || !strings.Contains(string(body), `"state":"offline"`) {
		t.Errorf("GET endpoint: %d %s", status, body)
	}
	orig := url.Values{"endpoint": {"PJSIP/agent1001"}, "app": {"tenesa-ivr"}}
	if status, body := rest(t, s, http.MethodPost, "/channels", orig); status != 500 || !strings.Contains(string(body), "Allocation failed") {
		t.Errorf("originate offline: %d %s", status, body)
	}

	s.SetEndpointOnline("PJSIP/agent1001", true)
	ev.waitEvent(t, "EndpointStateChange", func(m map[string]any) bool {
		ep, _ := m["endpoint"].(map[string]any)
		return ep["state"] == "online"
	})
	if status, body := rest(t, s, http.MethodPost, "/channels", orig); status != 200 {
		t.Errorf("originate online: %d %s", status, body)
	}
}
