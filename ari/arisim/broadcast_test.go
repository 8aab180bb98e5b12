package arisim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

func claim(t *testing.T, s *Server, chID, app string) int {
	t.Helper()
	q := url.Values{"channelId": {chID}, "application": {app}}
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/events/claim?"+q.Encode(), nil)
	if err != nil {
		t.Error(err)
		return 0
	}
	req.SetBasicAuth(testUser, testPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// Many apps claiming one broadcast call at the same moment: exactly one
// 204, every other claim 409, and only the winner gets StasisStart.
func TestConcurrentClaimsHaveExactlyOneWinner(t *testing.T) {
	// the window is long enough that no claim of the test can miss it
	s := newTestServer(t, Options{TimeScale: 0.01, BroadcastTimeout: time.Hour})
	apps := []string{"tenesa-ivr-a", "tenesa-ivr-b", "tenesa-ivr-c"}
	socks := map[string]*eventSocket{}
	for _, a := range apps {
		socks[a] = dialEvents(t, s, "app="+a)
		waitActive(t, s, a)
	}
	seen := map[string]bool{}
	for round := range 20 {
		c, err := s.PlaceCall(Caller{Number: "5550100", Broadcast: true})
		if err != nil {
			t.Fatal(err)
		}
		var chID string
		for _, a := range apps {
			m := socks[a].waitEvent(t, "CallBroadcast", func(m map[string]any) bool {
				id := m["channel"].(map[string]any)["id"].(string)
				return !seen[id] && (chID == "" || id == chID)
			})
			chID = m["channel"].(map[string]any)["id"].(string)
		}
		seen[chID] = true
		var wg sync.WaitGroup
		codes := make([]int, len(apps))
		for i, a := range apps {
			wg.Go(func() { codes[i] = claim(t, s, chID, a) })
		}
		wg.Wait()
		won := 0
		for _, code := range codes {
			switch code {
			case http.StatusNoContent:
				won++
			case http.StatusConflict:
			default:
				t.Errorf("round %d: claim status %d, want 204 or 409", round, code)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d claims won (%v), want exactly one", round, won, codes)
		}
		winner := c.Transcript().ClaimedBy
		socks[winner].waitEvent(t, "StasisStart", func(m map[string]any) bool {
			return m["channel"].(map[string]any)["id"] == chID
		})
		for _, a := range apps {
			if a == winner {
				continue
			}
			for _, b := range socks[a].all() {
				var m struct {
					Type    string `json:"type"`
					Channel struct {
						ID string `json:"id"`
					} `json:"channel"`
				}
				if json.Unmarshal(b, &m) == nil && m.Type == "StasisStart" && m.Channel.ID == chID {
					t.Errorf("round %d: loser %s got StasisStart", round, a)
				}
			}
		}
		if code := claim(t, s, chID, winner); code != http.StatusConflict {
			t.Errorf("round %d: claim during the session: %d, want 409", round, code)
		}
	}
}

// Nobody claims: the broadcast times out (sim time), STASISSTATUS is
// TIMEOUT and the call goes on in the dialplan; a late claim gets 404.
func TestUnclaimedBroadcastTimesOutToTheDialplan(t *testing.T) {
	s := newTestServer(t, Options{TimeScale: 0.01, BroadcastTimeout: 3 * time.Second})
	a := dialEvents(t, s, "app=tenesa-ivr-a")
	waitActive(t, s, "tenesa-ivr-a")
	start := time.Now()
	c, err := s.PlaceCall(Caller{Number: "5550101", Broadcast: true})
	if err != nil {
		t.Fatal(err)
	}
	m := a.waitEvent(t, "CallBroadcast", nil)
	chID := m["channel"].(map[string]any)["id"].(string)
	if m["channel"].(map[string]any)["dialplan"].(map[string]any)["app_data"] != "3000,^tenesa-ivr-,8000" {
		t.Errorf("app_data %v", m["channel"].(map[string]any)["dialplan"])
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the unclaimed call never ended")
	}
	// 3 s timeout + Wait(1) in sim time = 40 ms at scale 100
	if d := time.Since(start); d < 39*time.Millisecond {
		t.Errorf("the call ended after %v real time, before the 3 s (sim) timeout", d)
	}
	rep := c.Transcript()
	if rep.Broadcast != "TIMEOUT" || rep.ClaimedBy != "" {
		t.Errorf("report: broadcast %q claimed by %q, want TIMEOUT and nobody", rep.Broadcast, rep.ClaimedBy)
	}
	if code := claim(t, s, chID, "tenesa-ivr-a"); code != http.StatusNotFound {
		t.Errorf("late claim: %d, want 404", code)
	}
}
