package agentapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// server serves the harness's API over HTTP; ended receives once per
// request when its handler returns (a stream that stopped).
func (h *harness) server(t *testing.T) (*httptest.Server, <-chan string) {
	t.Helper()
	ended := make(chan string, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.api.ServeHTTP(w, r)
		ended <- r.URL.Path
	}))
	t.Cleanup(srv.Close)
	return srv, ended
}

func waitEnded(t *testing.T, ended <-chan string, path string) {
	t.Helper()
	for {
		select {
		case p := <-ended:
			if p == path {
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("stream %s did not stop within 10s", path)
		}
	}
}

// TestAgentStreamDeliversItsEventsAndStopsWhenTheClientGoes: the stream
// opens with a snapshot, delivers the agent's offer and connection (with
// the screen-pop) pushed by the backend, not another agent's events nor the
// queue figures, and its handler returns when the client disconnects.
func TestAgentStreamDeliversItsEventsAndStopsWhenTheClientGoes(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, Options{})
	srv, ended := h.server(t)
	s := openStream(t, srv.URL+"/api/v1/agents/1002/events", tok1002, "")
	if ct := s.resp.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if s.resp.Header.Get("Cache-Control") != "no-store" || s.resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("stream without the security headers: %v", s.resp.Header)
	}
	snap := s.nextEvent(t)
	if snap.typ != "snapshot" || !strings.Contains(snap.data, `"id":"1002"`) || snap.id == "" {
		t.Fatalf("first event %+v, want the agent's snapshot with an id", snap)
	}
	f.events <- acd.Event{Type: acd.EventOffer, AgentID: "1001", CallID: "c9"}
	f.events <- acd.Event{Type: acd.EventQueues, Queues: []acd.QueueStatus{{Name: "general"}}}
	f.events <- acd.Event{Type: acd.EventOffer, AgentID: "1002", CallID: "c7", Queue: "general"}
	f.events <- acd.Event{Type: acd.EventConnected, AgentID: "1002", CallID: "c7",
		ScreenPop: json.RawMessage(`{"customer_name":"<script>alert(1)</script>\nid: x"}`)}
	offer := s.nextEvent(t)
	if offer.typ != "offer" || !strings.Contains(offer.data, `"call_id":"c7"`) {
		t.Fatalf("got %+v, want 1002's offer of c7 (not 1001's, not the queues)", offer)
	}
	conn := s.nextEvent(t)
	var ev struct {
		ScreenPop struct {
			Name string `json:"customer_name"`
		} `json:"screen_pop"`
	}
	if err := json.Unmarshal([]byte(conn.data), &ev); err != nil || conn.typ != "connected" ||
		ev.ScreenPop.Name != "<script>alert(1)</script>\nid: x" {
		t.Fatalf("got %+v (%v), want the connection with the screen-pop in one data line", conn, err)
	}
	if offer.id == conn.id || offer.id == snap.id {
		t.Errorf("ids not distinct: %s %s %s", snap.id, offer.id, conn.id)
	}
	s.close()
	waitEnded(t, ended, "/api/v1/agents/1002/events")
}

// TestLeaderStreamGetsEscalationsHelpAndFigures: the leaders' stream opens
// with agents and queues, then carries every event of the pool.
func TestLeaderStreamGetsEscalationsHelpAndFigures(t *testing.T) {
	f := newFake(t)
	f.queues = func() ([]acd.QueueStatus, error) { return []acd.QueueStatus{{Name: "general", Waiting: 2}}, nil }
	h := newHarness(t, f, Options{})
	srv, ended := h.server(t)
	s := openStream(t, srv.URL+"/api/v1/leaders/events", tok2001, "")
	snap := s.nextEvent(t)
	if snap.typ != "snapshot" || !strings.Contains(snap.data, `"queues":[{"name":"general","waiting":2`) ||
		!strings.Contains(snap.data, `"id":"1001"`) {
		t.Fatalf("first event %+v, want agents and queues", snap)
	}
	f.events <- acd.Event{Type: acd.EventEscalation, AgentID: "1001", CallID: "c1",
		Escalation: &acd.Escalation{From: "general", To: "tl", Reason: acd.EscalationAgent, By: "1001"}}
	f.events <- acd.Event{Type: acd.EventHelp, AgentID: "1002", CallID: "c2", Note: "need a hand"}
	f.events <- acd.Event{Type: acd.EventQueues, Queues: []acd.QueueStatus{{Name: "general", Waiting: 5}}}
	for _, want := range []string{"escalation", "help_request", "queues"} {
		if ev := s.nextEvent(t); ev.typ != want {
			t.Fatalf("got %+v, want %s", ev, want)
		}
	}
	s.close()
	waitEnded(t, ended, "/api/v1/leaders/events")
}

// TestLastEventIDResumesWithoutSnapshot: a client reconnecting with the id
// of the last event it saw gets the events it missed, and no snapshot; an
// id this process does not know gets a snapshot.
func TestLastEventIDResumesWithoutSnapshot(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, Options{})
	srv, ended := h.server(t)
	s := openStream(t, srv.URL+"/api/v1/agents/1002/events", tok1002, "")
	s.nextEvent(t) // snapshot
	f.events <- acd.Event{Type: acd.EventState, AgentID: "1002", State: acd.Paused, Reason: "break"}
	seen := s.nextEvent(t)
	s.close()
	waitEnded(t, ended, "/api/v1/agents/1002/events")

	f.events <- acd.Event{Type: acd.EventState, AgentID: "1002", State: acd.Available}
	f.events <- acd.Event{Type: acd.EventOffer, AgentID: "1002", CallID: "c8"}
	r := openStream(t, srv.URL+"/api/v1/agents/1002/events", tok1002, seen.id)
	if ev := r.nextEvent(t); ev.typ != "state" || !strings.Contains(ev.data, `"state":"available"`) {
		t.Fatalf("first event after resuming %+v, want the missed state change", ev)
	}
	if ev := r.nextEvent(t); ev.typ != "offer" {
		t.Fatalf("second event after resuming %+v, want the missed offer", ev)
	}

	u := openStream(t, srv.URL+"/api/v1/agents/1002/events", tok1002, "0badc0de-1")
	if ev := u.nextEvent(t); ev.typ != "snapshot" {
		t.Fatalf("unknown Last-Event-ID: got %+v, want a snapshot", ev)
	}
}

// TestSlowClientGetsANewSnapshot: a client whose last event fell out of
// the replay ring is sent a snapshot instead of a gap.
func TestSlowClientGetsANewSnapshot(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, Options{Replay: 4})
	srv, _ := h.server(t)
	s := openStream(t, srv.URL+"/api/v1/agents/1002/events", tok1002, "")
	s.nextEvent(t)
	f.events <- acd.Event{Type: acd.EventState, AgentID: "1002", State: acd.Paused, Reason: "break"}
	last := s.nextEvent(t)
	s.close()
	for i := 0; i < 10; i++ {
		f.events <- acd.Event{Type: acd.EventOfferEnd, AgentID: "1002", CallID: "c"}
	}
	// The tenth event in the ring proves the hub has seen them all.
	waitSeq(t, h.api.hub, 11)
	r := openStream(t, srv.URL+"/api/v1/agents/1002/events", tok1002, last.id)
	if ev := r.nextEvent(t); ev.typ != "snapshot" {
		t.Fatalf("got %+v, want a snapshot (the ring holds 4 events)", ev)
	}
}

func waitSeq(t *testing.T, h *hub, seq uint64) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		_, last, wake, _, _ := h.since(seq, allEvents)
		if last >= seq {
			return
		}
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("hub at %d, want %d", last, seq)
		}
	}
}

// TestKeepAliveComments: an idle stream gets keep-alive comments.
func TestKeepAliveComments(t *testing.T) {
	h := newHarness(t, newFake(t), Options{KeepAlive: 20 * time.Millisecond})
	srv, _ := h.server(t)
	s := openStream(t, srv.URL+"/api/v1/agents/1002/events", tok1002, "")
	s.nextEvent(t)
	if c := s.next(t); !c.comment || c.data != ": keep-alive" {
		t.Fatalf("got %+v, want a keep-alive comment", c)
	}
}

// TestCloseEndsStreams: closing the API (shutdown) ends open streams.
func TestCloseEndsStreams(t *testing.T) {
	f := newFake(t)
	f.queues = func() ([]acd.QueueStatus, error) { return nil, nil }
	h := newHarness(t, f, Options{})
	srv, ended := h.server(t)
	s := openStream(t, srv.URL+"/api/v1/leaders/events", tok2001, "")
	s.nextEvent(t)
	h.api.Close()
	waitEnded(t, ended, "/api/v1/leaders/events")
}

// TestStreamOutlivesTheServersWriteTimeout: serve bounds every response
// with a write timeout; an event stream clears its own deadline and keeps
// delivering past it.
func TestStreamOutlivesTheServersWriteTimeout(t *testing.T) {
	h := newHarness(t, newFake(t), Options{KeepAlive: 20 * time.Millisecond})
	srv := httptest.NewUnstartedServer(h.api)
	srv.Config.WriteTimeout = 100 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	s := openStream(t, srv.URL+"/api/v1/agents/1002/events", tok1002, "")
	s.nextEvent(t)
	start := time.Now()
	for n := 0; time.Since(start) < 4*srv.Config.WriteTimeout; n++ {
		if c := s.next(t); !c.comment {
			t.Fatalf("got %+v, want keep-alive comments", c)
		}
	}
}
