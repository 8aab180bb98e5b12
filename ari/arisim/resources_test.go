package arisim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRESTResources(t *testing.T) {
	type step struct {
		method, path string
		query        url.Values
		status       int
		body         string // substring expected in the response body
	}
	tests := []struct {
		name  string
		steps func(callID string) []step
	}{
		{"endpoints", func(string) []step {
			return []step{
				{"GET", "/endpoints", nil, 200, `"resource":"caller1"`},
				{"GET", "/endpoints/PJSIP", nil, 200, `"technology":"PJSIP"`},
				{"GET", "/endpoints/PJSIP/caller2", nil, 200, `"state":"online"`},
				{"GET", "/endpoints/PJSIP/nobody", nil, 404, `Endpoint not found`},
			}
		}},
		{"device states", func(string) []step {
			return []step{
				{"PUT", "/deviceStates/Stasis:agent1001", url.Values{"deviceState": {"INUSE"}}, 204, ""},
				{"GET", "/deviceStates/Stasis:agent1001", nil, 200, `{"name":"Stasis:agent1001","state":"INUSE"}`},
				{"GET", "/deviceStates", nil, 200, `"Stasis:agent1001"`},
				{"PUT", "/deviceStates/Stasis:agent1001", url.Values{"deviceState": {"SLEEPY"}}, 400, ""},
				{"PUT", "/deviceStates/PJSIP:x", url.Values{"deviceState": {"INUSE"}}, 409, ""},
				{"DELETE", "/deviceStates/Stasis:agent1001", nil, 204, ""},
				{"DELETE", "/deviceStates/Stasis:agent1001", nil, 404, ""},
			}
		}},
		{"variables and channel functions", func(id string) []step {
			return []step{
				{"GET", "/channels/" + id + "/variable", url.Values{"variable": {"CALLERID(num)"}}, 200, `{"value":"5550100"}`},
				{"GET", "/channels/" + id + "/variable", nil, 400, ""},
				{"POST", "/channels/" + id + "/variable", url.Values{"variable": {"X"}, "value": {"1"}}, 204, ""},
				{"GET", "/channels/" + id + "/variable", url.Values{"variable": {"X"}}, 200, `{"value":"1"}`},
			}
		}},
		{"application subscriptions", func(id string) []step {
			return []step{
				{"POST", "/applications/tenesa-ivr/subscription", url.Values{"eventSource": {"channel:" + id}}, 200, `"channel_ids":["` + id + `"]`},
				{"POST", "/applications/tenesa-ivr/subscription", url.Values{"eventSource": {"channel:nope"}}, 422, "Event source does not exist"},
				{"POST", "/applications/nope/subscription", url.Values{"eventSource": {"channel:" + id}}, 404, "Application not found"},
				{"POST", "/applications/tenesa-ivr/subscription", nil, 400, ""},
				{"DELETE", "/applications/tenesa-ivr/subscription", url.Values{"eventSource": {"channel:" + id}}, 200, `"channel_ids":[]`},
			}
		}},
		{"originate id rules", func(id string) []step {
			rig := url.Values{"endpoint": {"Local/8000@tenesa-in"}, "context": {"caller-sim"}, "extension": {"120"}, "callerId": {"5550120"}}
			with := func(ids ...string) url.Values {
				v := url.Values{}
				for k, vs := range rig {
					v[k] = vs
				}
				v.Set("channelId", ids[0])
				if len(ids) > 1 {
					v.Set("otherChannelId", ids[1])
				}
				return v
			}
			return []step{
				{"POST", "/channels", with("t1-caller", "t1"), 409, "Channel with given unique ID already exists"},
				{"POST", "/channels", with("callerx-t2", "t2"), 200, `"id":"callerx-t2"`},
				{"POST", "/channels", with(id), 409, "already exists"},
				{"POST", "/channels", with(id[:len(id)-1]), 409, "already exists"},
				// Asterisk's stale error state (09): the allocation failure right
				// after a duplicate id answers 409, the next one 500.
				{"POST", "/channels", url.Values{"endpoint": {"PJSIP/unknown"}, "app": {"tenesa-ivr"}}, 409, "already exists"},
				{"POST", "/channels", url.Values{"endpoint": {"PJSIP/unknown"}, "app": {"tenesa-ivr"}}, 500, `{"error":"Allocation failed"}`},
				{"POST", "/channels/o1", url.Values{"endpoint": {"Local/1001@agent-sim"}, "app": {"tenesa-ivr"}}, 200, `"id":"o1"`},
				{"GET", "/channels/o1;2", nil, 200, `"name":"Local/1001@agent-sim-`},
				{"POST", "/channels/" + id + "/dial", nil, 409, "Dialing a channel not created by ARI"},
				{"POST", "/channels/create", url.Values{"app": {"tenesa-ivr"}}, 400, "Endpoint must be specified"},
			}
		}},
		{"hangup reasons", func(id string) []step {
			return []step{
				{"DELETE", "/channels/" + id, url.Values{"reason": {"sleepy"}}, 400, "Invalid reason"},
				{"DELETE", "/channels/" + id, url.Values{"reason": {"busy"}}, 204, ""},
				{"GET", "/channels/" + id, nil, 404, "Channel not found"},
			}
		}},
		{"redirect leaves Stasis", func(id string) []step {
			return []step{
				{"POST", "/channels/" + id + "/redirect", nil, 400, ""},
				{"POST", "/channels/" + id + "/redirect", url.Values{"endpoint": {"nonsense"}}, 400, ""},
				{"POST", "/channels/" + id + "/redirect", url.Values{"endpoint": {"PJSIP/147"}}, 204, ""},
			}
		}},
		{"bridges", func(id string) []step {
			return []step{
				{"POST", "/bridges/hold1", url.Values{"type": {"holding"}}, 200, `"technology":"holding_bridge"`},
				{"POST", "/bridges/hold1", url.Values{"type": {"holding"}}, 200, `"id":"hold1"`},
				{"POST", "/bridges/hold1/addChannel", url.Values{"channel": {id}}, 204, ""},
				{"GET", "/bridges", nil, 200, `"channels":["` + id + `"]`},
				{"POST", "/bridges/hold1/play/bp1", url.Values{"media": {"sound:tenesa/queue-position"}}, 201, `"target_uri":"bridge:hold1"`},
				{"GET", "/playbacks/bp1", nil, 200, `"state":"playing"`},
				{"POST", "/playbacks/bp1/control", url.Values{"operation": {"pause"}}, 204, ""},
				{"POST", "/playbacks/bp1/control", url.Values{"operation": {"dance"}}, 400, ""},
				{"GET", "/bridges/nope", nil, 404, "Bridge not found"},
				{"DELETE", "/bridges/hold1", nil, 204, ""},
				{"GET", "/playbacks/bp1", nil, 404, "Playback not found"},
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, Options{TimeScale: 0.01, PromptDurations: map[string]time.Duration{"sound:tenesa/queue-position": time.Hour}})
			dialEvents(t, s, "app=tenesa-ivr")
			waitActive(t, s, "tenesa-ivr")
			c := answeredCall(t, s)
			for _, st := range tc.steps(c.ChannelID()) {
				status, body := rest(t, s, st.method, st.path, st.query)
				if status != st.status || !strings.Contains(string(body), st.body) {
					t.Errorf("%s %s %v: %d %s, want %d containing %q", st.method, st.path, st.query, status, body, st.status, st.body)
				}
			}
		})
	}
}

// A caller in a holding bridge hears bridge playbacks (queue announcements).
func TestBridgePlaybackIsHeard(t *testing.T) {
	s := newTestServer(t, Options{TimeScale: 0.01})
	ws := dialEvents(t, s, "app=tenesa-ivr")
	waitActive(t, s, "tenesa-ivr")
	c := answeredCall(t, s, WaitPromptEnd("queue"), HangUp())
	rest(t, s, "POST", "/bridges", url.Values{"bridgeId": {"q"}, "type": {"holding"}})
	rest(t, s, "POST", "/bridges/q/addChannel", url.Values{"channel": {c.ChannelID()}})
	rest(t, s, "POST", "/bridges/q/play", url.Values{"media": {"sound:tenesa/queue"}})
	waitDone(t, c)
	if r := c.Transcript(); len(r.Heard) != 1 || r.Heard[0].Status != "done" {
		t.Errorf("heard %+v", r.Heard)
	}
	ev := ws.waitEvent(t, "PlaybackFinished", nil)
	if pb := ev["playback"].(map[string]any); pb["target_uri"] != "bridge:q" {
		t.Errorf("playback %v", pb)
	}
}

// continue sends StasisEnd and then nothing; the channel runs the dialplan
// ([after-continue] beeps and hangs up) and is gone later (08).
func TestContinueToDialplan(t *testing.T) {
	s := newTestServer(t, Options{TimeScale: 0.01})
	ws := dialEvents(t, s, "app=tenesa-ivr")
	waitActive(t, s, "tenesa-ivr")
	c := answeredCall(t, s)
	st, _ := rest(t, s, "POST", "/channels/"+c.ChannelID()+"/continue", url.Values{"context": {"after-continue"}, "extension": {"s"}, "priority": {"1"}})
	if st != http.StatusNoContent {
		t.Fatalf("continue: %d", st)
	}
	waitDone(t, c)
	ws.waitEvent(t, "StasisEnd", nil)
	if got := s.Channels(); len(got) != 0 {
		t.Errorf("channels left: %v", got)
	}
	var types []string
	for _, b := range ws.all() {
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		types = append(types, m["type"].(string))
	}
	if strings.Join(types, ",") != "StasisStart,ChannelStateChange,StasisEnd" {
		t.Errorf("events %v", types)
	}
	if r := c.Transcript(); r.HungUpBy != "continue" || r.ContinuedTo != "after-continue,s,1" {
		t.Errorf("report %+v", r)
	}
}

func TestRedirect(t *testing.T) {
	s := newTestServer(t, Options{TimeScale: 0.01})
	ws := dialEvents(t, s, "app=tenesa-ivr")
	waitActive(t, s, "tenesa-ivr")
	c := answeredCall(t, s)
	if st, _ := rest(t, s, "POST", "/channels/"+c.ChannelID()+"/redirect", url.Values{"endpoint": {"PJSIP/147"}}); st != http.StatusNoContent {
		t.Fatalf("redirect: %d", st)
	}
	waitDone(t, c)
	ws.waitEvent(t, "StasisEnd", nil)
	if r := c.Transcript(); r.HungUpBy != "continue" || r.ContinuedTo != "redirect:PJSIP/147" {
		t.Errorf("report %+v", r)
	}
	if got := strings.Join(eventTypes(ws.all()), ","); got != "StasisStart,ChannelStateChange,StasisEnd" {
		t.Errorf("events %s", got)
	}
}
