package arisim

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// queued is the number of commands waiting on a channel's control queue.
func queued(s *Server, id string) int {
	s.lock()
	defer s.unlock()
	if ch := s.channels[id]; ch != nil {
		return len(ch.ctl)
	}
	return -1
}

// A request held by a playback (here POST variable behind a tone that plays
// until stopped) answers 404 when the channel is hung up under it, and a
// DELETE of the playback lets the next held request through at once.
func TestHeldRequestsEndWithThePlaybackOrTheChannel(t *testing.T) {
	s := newTestServer(t, Options{TimeScale: 0.01})
	dialEvents(t, s, "app=tenesa-ivr")
	waitActive(t, s, "tenesa-ivr")
	c := answeredCall(t, s, Wait(time.Hour))
	id := c.ChannelID()
	held := func() <-chan int {
		out := make(chan int, 1)
		go func() { // no t.Fatal off the test goroutine: a failure is status 0
			req, _ := http.NewRequest("POST", s.URL()+"/channels/"+id+"/variable?variable=X&value=1", nil)
			req.SetBasicAuth(testUser, testPass)
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				out <- 0
				return
			}
			_ = resp.Body.Close()
			out <- resp.StatusCode
		}()
		deadline := time.Now().Add(5 * time.Second)
		for queued(s, id) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the variable request never reached the control queue")
			}
			time.Sleep(time.Millisecond) // polling a condition
		}
		return out
	}

	rest(t, s, "POST", "/channels/"+id+"/play/p1", url.Values{"media": {"tone:ring"}})
	first := held()
	select {
	case st := <-first:
		t.Fatalf("POST variable answered %d while the tone played", st)
	default:
	}
	if st, b := rest(t, s, "DELETE", "/playbacks/p1", nil); st != http.StatusNoContent {
		t.Fatalf("stop: %d %s", st, b)
	}
	if st := <-first; st != http.StatusNoContent {
		t.Errorf("POST variable after the stop: %d, want 204", st)
	}

	rest(t, s, "POST", "/channels/"+id+"/play/p2", url.Values{"media": {"tone:ring"}})
	second := held()
	if st, b := rest(t, s, "DELETE", "/channels/"+id, nil); st != http.StatusNoContent {
		t.Fatalf("hangup: %d %s", st, b)
	}
	if st := <-second; st != http.StatusNotFound {
		t.Errorf("held POST variable of a hung-up channel: %d, want 404", st)
	}
}
