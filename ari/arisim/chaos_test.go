package arisim

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestDropWebSocketCutsOnlyThatApplication: the per-application cut ends
// the named application's socket and leaves another application's socket
// connected; an application without a socket reports nothing cut.
func TestDropWebSocketCutsOnlyThatApplication(t *testing.T) {
	s := newTestServer(t, Options{})
	a := dialEvents(t, s, "app=tenesa-ivr-a")
	b := dialEvents(t, s, "app=tenesa-ivr-b")
	waitActive(t, s, "tenesa-ivr-a")
	waitActive(t, s, "tenesa-ivr-b")
	if !s.DropWebSocket("tenesa-ivr-a") {
		t.Fatal("DropWebSocket(tenesa-ivr-a) cut nothing")
	}
	<-a.done
	if n := s.ActiveSockets("tenesa-ivr-a"); n != 0 {
		t.Fatalf("tenesa-ivr-a still has %d socket after the cut", n)
	}
	if n := s.ActiveSockets("tenesa-ivr-b"); n != 1 {
		t.Fatalf("tenesa-ivr-b lost its socket (%d) when tenesa-ivr-a was cut", n)
	}
	select {
	case <-b.done:
		t.Fatal("tenesa-ivr-b's socket closed")
	default:
	}
	if s.DropWebSocket("tenesa-ivr-a") {
		t.Error("second cut of an application without a socket reported a cut")
	}
	if s.DropWebSocket("nobody") {
		t.Error("cut of an unknown application reported a cut")
	}
}

// TestDelayResponsesActsAtOnceAndAnswersLate: a matching request takes
// effect at once while its answer is held back: a client with a shorter
// timeout gives up on a request that did happen (the variable is set),
// a patient client gets the real answer, unmatched requests and the
// events socket are not held, and restore ends it.
func TestDelayResponsesActsAtOnceAndAnswersLate(t *testing.T) {
	s := newTestServer(t, Options{TimeScale: 0.01})
	dialEvents(t, s, "app=tenesa-ivr")
	waitActive(t, s, "tenesa-ivr")
	c := answeredCall(t, s)
	id := c.ChannelID()
	varPath := "/ari/channels/" + id + "/variable"
	hold := time.Minute
	restore := s.DelayResponses(func(method, path string) bool { return method == "POST" && path == varPath }, hold)

	u := s.URL() + "/channels/" + id + "/variable?" + url.Values{"variable": {"SOAK"}, "value": {"1"}}.Encode()
	req, _ := http.NewRequest("POST", u, nil)
	req.SetBasicAuth(testUser, testPass)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if resp, err := http.DefaultClient.Do(req.WithContext(ctx)); err == nil {
		resp.Body.Close()
		t.Fatalf("a response held for %v came before the client's deadline: %s", hold, resp.Status)
	}
	// unmatched: answered at once, and it shows the held request acted
	st, b := rest(t, s, "GET", "/channels/"+id+"/variable", url.Values{"variable": {"SOAK"}})
	if st != http.StatusOK || !strings.Contains(string(b), `"1"`) {
		t.Fatalf("GET variable after the held POST: %d %s; want SOAK=1 already set", st, b)
	}
	// a second socket still connects (the upgrade is never held)
	dialEvents(t, s, "app=other")
	waitActive(t, s, "other")
	restore()
	if st, b := rest(t, s, "POST", "/channels/"+id+"/variable", url.Values{"variable": {"SOAK"}, "value": {"2"}}); st != http.StatusNoContent {
		t.Fatalf("POST variable after restore: %d %s", st, b)
	}

	// a patient client gets the handler's own status and body
	restore = s.DelayResponses(func(method, path string) bool { return method == "GET" && path == "/ari/channels/"+id+"/variable" }, 50*time.Millisecond)
	defer restore()
	if st, b := rest(t, s, "GET", "/channels/"+id+"/variable", url.Values{"variable": {"SOAK"}}); st != http.StatusOK || !strings.Contains(string(b), `"2"`) {
		t.Fatalf("late GET variable: %d %s", st, b)
	}
	if st, _ := rest(t, s, "GET", "/channels/"+id+"/variable", url.Values{"variable": {"NOPE"}}); st != http.StatusNotFound {
		t.Fatalf("late GET of a missing variable: %d, want 404 passed through", st)
	}
}
