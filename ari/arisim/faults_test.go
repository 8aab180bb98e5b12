package arisim

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// rest sends one authenticated REST request; query may be nil.
func rest(t *testing.T, s *Server, method, path string, query url.Values) (int, []byte) {
	t.Helper()
	u := s.URL() + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(s.opts.Username, s.opts.Password)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// answeredCall places a Local call and answers it over REST.
func answeredCall(t *testing.T, s *Server, script ...Step) *Call {
	t.Helper()
	c, err := s.PlaceCall(Caller{Number: "5550100", Script: script})
	if err != nil {
		t.Fatal(err)
	}
	if c.ChannelID() == "" {
		t.Fatal("call did not enter Stasis")
	}
	if st, b := rest(t, s, "POST", "/channels/"+c.ChannelID()+"/answer", nil); st != http.StatusNoContent {
		t.Fatalf("answer: %d %s", st, b)
	}
	return c
}

func eventTypes(msgs [][]byte) []string {
	var out []string
	for _, b := range msgs {
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		out = append(out, m["type"].(string))
	}
	return out
}

func TestFaultInjection(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *Server)
	}{
		{"InjectRawEvent reaches the app socket verbatim", func(t *testing.T, s *Server) {
			ws := dialEvents(t, s, "app=tenesa-ivr")
			other := dialEvents(t, s, "app=other")
			waitActive(t, s, "tenesa-ivr")
			waitActive(t, s, "other")
			raw := `{"type":"SomethingNew","x":1}`
			s.InjectRawEvent("tenesa-ivr", []byte(raw))
			s.InjectRawEvent("tenesa-ivr", []byte(`{"type":"ChannelToneDetected"}`))
			if !ws.waitFor(5*time.Second, func(m [][]byte) bool { return len(m) == 2 }) {
				t.Fatalf("got %d messages", ws.count())
			}
			if got := string(ws.all()[0]); got != raw {
				t.Errorf("got %s, want %s", got, raw)
			}
			if other.count() != 0 {
				t.Errorf("other app got %d messages", other.count())
			}
		}},
		{"DropWebSockets cuts sockets, calls stay, missed events are lost", func(t *testing.T, s *Server) {
			ws := dialEvents(t, s, "app=tenesa-ivr")
			waitActive(t, s, "tenesa-ivr")
			c := answeredCall(t, s, Wait(time.Second), Press("5"))
			s.DropWebSockets()
			<-ws.done
			if n := s.ActiveSockets("tenesa-ivr"); n != 0 {
				t.Fatalf("active sockets %d after drop", n)
			}
			// The DTMF is sent while nobody listens.
			deadline := time.Now().Add(5 * time.Second)
			for c.Transcript().DTMFSent != "5" {
				if time.Now().After(deadline) {
					t.Fatal("DTMF never sent")
				}
				time.Sleep(time.Millisecond) // polling a condition
			}
			ws2 := dialEvents(t, s, "app=tenesa-ivr")
			waitActive(t, s, "tenesa-ivr")
			st, b := rest(t, s, "GET", "/applications/tenesa-ivr", nil)
			if st != 200 || !strings.Contains(string(b), c.ChannelID()) {
				t.Fatalf("application after reconnect: %d %s", st, b)
			}
			if st, _ := rest(t, s, "DELETE", "/channels/"+c.ChannelID(), nil); st != http.StatusNoContent {
				t.Fatalf("delete: %d", st)
			}
			ws2.waitEvent(t, "StasisEnd", nil)
			if got := strings.Join(eventTypes(ws2.all()), ","); got != "ChannelHangupRequest,StasisEnd" {
				t.Errorf("events after reconnect %s (nothing replayed, no DTMF)", got)
			}
		}},
		{"HoldEvents keeps events in order until the user event request, which follows them", func(t *testing.T, s *Server) {
			ws := dialEvents(t, s, "app=tenesa-ivr")
			waitActive(t, s, "tenesa-ivr")
			release := s.HoldEvents("tenesa-ivr", func(method, path string) bool {
				return method == "POST" && strings.HasPrefix(path, "/ari/events/user/")
			})
			defer release()
			s.InjectRawEvent("tenesa-ivr", []byte(`{"type":"Direct"}`)) // raw: not held
			if _, err := s.PlaceCall(Caller{Number: "5550100"}); err != nil {
				t.Fatal(err)
			}
			if got := s.HeldEvents("tenesa-ivr"); !slices.Contains(got, "StasisStart") {
				t.Fatalf("held %v, want the StasisStart", got)
			}
			if !ws.waitFor(5*time.Second, func(m [][]byte) bool { return len(m) == 1 }) || ws.count() != 1 {
				t.Fatalf("got %d messages, want only the raw one while held", ws.count())
			}
			st, b := rest(t, s, "POST", "/events/user/barrier-1", url.Values{"application": {"tenesa-ivr"}})
			if st != http.StatusNoContent {
				t.Fatalf("user event: %d %s", st, b)
			}
			ws.waitEvent(t, "ChannelUserevent", nil)
			types := eventTypes(ws.all())
			start, user := slices.Index(types, "StasisStart"), slices.Index(types, "ChannelUserevent")
			if start < 0 || user < start {
				t.Fatalf("events %v: want the held StasisStart before the user event", types)
			}
			if len(s.HeldEvents("tenesa-ivr")) != 0 {
				t.Errorf("still held after release: %v", s.HeldEvents("tenesa-ivr"))
			}
			var ev struct{ Eventname string }
			_ = json.Unmarshal(ws.all()[user], &ev)
			if ev.Eventname != "barrier-1" {
				t.Errorf("eventname %q, want barrier-1", ev.Eventname)
			}
			if st, _ := rest(t, s, "POST", "/events/user/x", nil); st != http.StatusBadRequest {
				t.Errorf("user event without application: %d, want 400", st)
			}
			if st, _ := rest(t, s, "POST", "/events/user/x", url.Values{"application": {"nobody"}}); st != http.StatusNotFound {
				t.Errorf("user event for an unknown app: %d, want 404", st)
			}
		}},
		{"GateRequests holds matching requests until opened", func(t *testing.T, s *Server) {
			entered, open := s.GateRequests(func(method, path string) bool {
				return method == "GET" && path == "/ari/channels"
			})
			done := make(chan int, 1)
			go func() { st, _ := rest(t, s, "GET", "/channels", nil); done <- st }()
			select {
			case <-entered:
			case <-time.After(5 * time.Second):
				t.Fatal("request never reached the gate")
			}
			if st, _ := rest(t, s, "GET", "/asterisk/ping", nil); st != 200 {
				t.Errorf("an unmatched request: %d", st)
			}
			select {
			case st := <-done:
				t.Fatalf("gated request answered (%d) before the gate opened", st)
			default:
			}
			open()
			select {
			case st := <-done:
				if st != 200 {
					t.Errorf("gated request: %d after opening", st)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("gated request not answered after opening")
			}
			open() // idempotent
		}},
		{"StallRequests delays matching requests only, restore undoes it", func(t *testing.T, s *Server) {
			const d = 300 * time.Millisecond
			restore := s.StallRequests(func(method, path string) bool {
				return method == "GET" && path == "/ari/channels"
			}, d)
			start := time.Now()
			if st, _ := rest(t, s, "GET", "/channels", nil); st != 200 {
				t.Fatalf("status %d", st)
			}
			if el := time.Since(start); el < d {
				t.Errorf("stalled request took %v, want >= %v", el, d)
			}
			start = time.Now()
			rest(t, s, "GET", "/bridges", nil)
			if el := time.Since(start); el >= d {
				t.Errorf("unmatched request took %v", el)
			}
			restore()
			start = time.Now()
			rest(t, s, "GET", "/channels", nil)
			if el := time.Since(start); el >= d {
				t.Errorf("request after restore took %v", el)
			}
		}},
		{"SetBridgeAddDelay delays addChannel", func(t *testing.T, s *Server) {
			dialEvents(t, s, "app=tenesa-ivr")
			waitActive(t, s, "tenesa-ivr")
			c := answeredCall(t, s)
			rest(t, s, "POST", "/bridges", url.Values{"bridgeId": {"b1"}, "type": {"mixing"}})
			const d = 300 * time.Millisecond
			s.SetBridgeAddDelay(d)
			start := time.Now()
			if st, b := rest(t, s, "POST", "/bridges/b1/addChannel", url.Values{"channel": {c.ChannelID()}}); st != http.StatusNoContent {
				t.Fatalf("addChannel %d %s", st, b)
			}
			if el := time.Since(start); el < d {
				t.Errorf("addChannel took %v, want >= %v", el, d)
			}
		}},
		{"Channels and ActiveSockets report live state", func(t *testing.T, s *Server) {
			if n := s.ActiveSockets("tenesa-ivr"); n != 0 {
				t.Fatalf("active %d before connect", n)
			}
			a := dialEvents(t, s, "app=tenesa-ivr")
			waitActive(t, s, "tenesa-ivr")
			dialEvents(t, s, "app=tenesa-ivr")
			a.waitEvent(t, "ApplicationReplaced", nil)
			if n := s.ActiveSockets("tenesa-ivr"); n != 1 {
				t.Errorf("active %d with a replaced and a current socket", n)
			}
			c := answeredCall(t, s)
			if got := s.Channels(); len(got) != 2 {
				t.Errorf("channels %v, want both Local halves", got)
			}
			rest(t, s, "DELETE", "/channels/"+c.ChannelID(), nil)
			<-c.Done()
			if got := s.Channels(); len(got) != 0 {
				t.Errorf("channels %v after hangup", got)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newTestServer(t, Options{TimeScale: 0.01}))
		})
	}
}

// A client that stops reading is dropped after the write timeout, like
// Asterisk's websocket_write_timeout. The client is a raw TCP connection
// that completes the upgrade and then never reads.
func TestSlowSocketIsDropped(t *testing.T) {
	s := newTestServer(t, Options{WebsocketWriteTimeout: 100 * time.Millisecond})
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "GET /ari/events?app=tenesa-ivr&api_key=" + testUser + ":" + testPass + " HTTP/1.1\r\n" +
		"Host: " + s.Addr() + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", err, resp)
	}
	waitActive(t, s, "tenesa-ivr")
	big := []byte(`{"type":"Big","pad":"` + strings.Repeat("x", 256<<10) + `"}`)
	start := time.Now()
	deadline := start.Add(10 * time.Second)
	sent := 0
	for s.ActiveSockets("tenesa-ivr") > 0 {
		if time.Now().After(deadline) {
			t.Fatal("socket of a client that does not read was never dropped")
		}
		s.InjectRawEvent("tenesa-ivr", big)
		sent++
		time.Sleep(5 * time.Millisecond) // pacing the producer, not synchronising
	}
	// The queue (4096) never filled: the drop came from the write timeout.
	if sent >= 4096 {
		t.Errorf("dropped only after %d messages", sent)
	}
}

func TestEventsAuth(t *testing.T) {
	s := newTestServer(t, Options{})
	tests := []struct {
		name   string
		url    string
		auth   bool
		status int
	}{
		{"api_key accepted", s.WebsocketURL() + "?app=a&api_key=" + testUser + ":" + testPass, false, http.StatusSwitchingProtocols},
		{"no credentials", s.WebsocketURL() + "?app=a", false, http.StatusUnauthorized},
		{"missing app", s.WebsocketURL(), true, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", strings.Replace(tc.url, "ws://", "http://", 1), nil)
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Sec-WebSocket-Version", "13")
			req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			if tc.auth {
				req.SetBasicAuth(testUser, testPass)
			}
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") != `Basic realm="Asterisk REST Interface"` {
				t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// A 3-minute scripted call runs in a fraction of a second at TimeScale 0.001.
func TestTimeScale(t *testing.T) {
	s := newTestServer(t, Options{TimeScale: 0.001})
	dialEvents(t, s, "app=tenesa-ivr")
	waitActive(t, s, "tenesa-ivr")
	start := time.Now()
	c := answeredCall(t, s, Wait(90*time.Second), Press("1W2"), Wait(90*time.Second), HangUp())
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("3-minute call did not finish within 5 s at TimeScale 0.001")
	}
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("call ended after %v real time, the clock is not scaled", el)
	}
	if r := c.Transcript(); r.HungUpBy != "caller" || r.DTMFSent != "12" {
		t.Errorf("report %+v", r)
	}
}

// Close leaves no goroutine behind, even with sockets, timers, playbacks
// and a stalled request in flight.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := New(Options{TimeScale: 0.01, Username: testUser, Password: testPass})
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ws := dialEvents(t, s, "app=tenesa-ivr")
	waitActive(t, s, "tenesa-ivr")
	c := answeredCall(t, s, Wait(time.Hour))
	rest(t, s, "POST", "/channels/"+c.ChannelID()+"/play/p1", url.Values{"media": {"sound:tt-monkeys"}})
	rest(t, s, "POST", "/channels", url.Values{"endpoint": {"Local/1001@agent-noanswer"}, "app": {"tenesa-ivr"}, "timeout": {"60"}})
	restore := s.StallRequests(func(string, string) bool { return true }, time.Hour)
	defer restore()
	stalled := make(chan struct{})
	go func() {
		defer close(stalled)
		req, _ := http.NewRequest("GET", s.URL()+"/channels", nil)
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
	}()
	if err := s.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	<-stalled
	<-ws.done
	select {
	case <-c.Done():
	default:
		t.Error("call not done after Close")
	}
}
