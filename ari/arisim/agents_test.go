package arisim

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// agentEvents renders the events of one channel id: type plus cause/state.
func agentEvents(msgs [][]byte, id string) string {
	var out []string
	for _, b := range msgs {
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		ch, _ := m["channel"].(map[string]any)
		if ch == nil {
			ch, _ = m["peer"].(map[string]any)
		}
		if ch == nil || ch["id"] != id {
			continue
		}
		l := m["type"].(string)
		switch l {
		case "ChannelHangupRequest", "ChannelDestroyed":
			l += ":" + toStr(m["cause"])
		case "ChannelStateChange":
			l += ":" + ch["state"].(string)
		case "Dial":
			l += ":" + m["dialstatus"].(string)
		case "ChannelVarset":
			l += ":" + m["variable"].(string) + "=" + m["value"].(string)
		}
		out = append(out, l)
	}
	return strings.Join(out, ",")
}

func toStr(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestAgentBehaviours(t *testing.T) {
	tests := []struct {
		name     string
		agent    Agent
		timeout  string
		wantLeg  AgentLeg
		wantEvts string // events of the originated channel, in order
	}{
		{
			name:    "Local agent rings, answers, hangs up by itself",
			agent:   Agent{Endpoint: "Local/2001@agent-sim", AnswerAfter: 2 * time.Second, HangupAfter: 5 * time.Second},
			timeout: "15",
			wantLeg: AgentLeg{Answered: true, HungUpBy: "agent"},
			wantEvts: "ChannelStateChange:Ringing,Dial:,Dial:RINGING,ChannelStateChange:Up,Dial:ANSWER," +
				"ChannelVarset:STASISSTATUS=,StasisStart,ChannelHangupRequest:16,StasisEnd,ChannelVarset:STASISSTATUS=SUCCESS,ChannelDestroyed:16",
		},
		{
			name:    "PJSIP agent answers at once, hangs up by itself",
			agent:   Agent{Endpoint: "PJSIP/agent2002", HangupAfter: 3 * time.Second},
			timeout: "15",
			wantLeg: AgentLeg{Answered: true, HungUpBy: "agent"},
			wantEvts: "Dial:,ChannelStateChange:Up,Dial:ANSWER," +
				"ChannelVarset:STASISSTATUS=,StasisStart,ChannelHangupRequest:16,StasisEnd,ChannelVarset:STASISSTATUS=SUCCESS,ChannelDestroyed:16",
		},
		{
			name:     "answer after the originate timeout is no answer",
			agent:    Agent{Endpoint: "PJSIP/agent2003", AnswerAfter: 10 * time.Second},
			timeout:  "3",
			wantLeg:  AgentLeg{HungUpBy: "timeout"},
			wantEvts: "ChannelStateChange:Ringing,Dial:,Dial:RINGING,ChannelDestroyed:19",
		},
		{
			name:     "busy Local agent",
			agent:    Agent{Endpoint: "Local/2004@agent-sim", Busy: true},
			timeout:  "15",
			wantLeg:  AgentLeg{HungUpBy: "busy"},
			wantEvts: "Dial:,ChannelDestroyed:17",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, Options{TimeScale: 0.01})
			s.AddAgent(tc.agent)
			ws := dialEvents(t, s, "app=tenesa-ivr")
			waitActive(t, s, "tenesa-ivr")
			st, b := rest(t, s, "POST", "/channels", url.Values{"endpoint": {tc.agent.Endpoint}, "app": {"tenesa-ivr"},
				"appArgs": {"agent"}, "channelId": {"ag"}, "timeout": {tc.timeout}})
			if st != 200 {
				t.Fatalf("originate: %d %s", st, b)
			}
			ws.waitEvent(t, "ChannelDestroyed", func(m map[string]any) bool {
				return m["channel"].(map[string]any)["id"] == "ag"
			})
			if got := agentEvents(ws.all(), "ag"); got != tc.wantEvts {
				t.Errorf("events\n got  %s\n want %s", got, tc.wantEvts)
			}
			legs := s.AgentReport(tc.agent.Endpoint)
			if len(legs) != 1 || legs[0].Answered != tc.wantLeg.Answered || legs[0].HungUpBy != tc.wantLeg.HungUpBy || legs[0].Ended.IsZero() {
				t.Errorf("legs %+v, want %+v", legs, tc.wantLeg)
			}
			if got := s.Channels(); len(got) != 0 {
				t.Errorf("channels left %v", got)
			}
		})
	}
}

func TestCreateThenDial(t *testing.T) {
	tests := []struct {
		name    string
		agent   Agent
		timeout string
		// scale: the second dial must meet the first still dialling (409),
		// so the dial must outlast a loaded machine's scheduling delays:
		// about 1 s of wall time each.
		scale    float64
		wantEvts string
	}{
		{
			name:  "answering agent",
			scale: 0.05,
			agent: Agent{Endpoint: "Local/3001@agent-sim", HangupAfter: 20 * time.Second},
			wantEvts: "ChannelVarset:STASISSTATUS=,StasisStart,Dial:,ChannelStateChange:Up,Dial:ANSWER," +
				"ChannelHangupRequest:16,StasisEnd,ChannelVarset:STASISSTATUS=SUCCESS,ChannelDestroyed:16",
		},
		{
			name:     "dial timeout",
			agent:    Agent{Endpoint: "PJSIP/agent3002", NeverAnswer: true},
			timeout:  "2",
			scale:    0.5,
			wantEvts: "ChannelVarset:STASISSTATUS=,StasisStart,ChannelStateChange:Ringing,Dial:,Dial:RINGING,StasisEnd,ChannelVarset:STASISSTATUS=SUCCESS,ChannelDestroyed:19",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, Options{TimeScale: tc.scale})
			s.AddAgent(tc.agent)
			ws := dialEvents(t, s, "app=tenesa-ivr")
			waitActive(t, s, "tenesa-ivr")
			st, b := rest(t, s, "POST", "/channels/create", url.Values{"endpoint": {tc.agent.Endpoint}, "app": {"tenesa-ivr"}, "channelId": {"cr"}})
			if st != 200 || !strings.Contains(string(b), `"state":"Down"`) {
				t.Fatalf("create: %d %s", st, b)
			}
			ss := ws.waitEvent(t, "StasisStart", nil)
			if ss["channel"].(map[string]any)["state"] != "Down" {
				t.Errorf("StasisStart %v", ss["channel"])
			}
			q := url.Values{}
			if tc.timeout != "" {
				q.Set("timeout", tc.timeout)
			}
			if st, b := rest(t, s, "POST", "/channels/cr/dial", q); st != 204 {
				t.Fatalf("dial: %d %s", st, b)
			}
			if st, _ := rest(t, s, "POST", "/channels/cr/dial", nil); st != 409 {
				t.Errorf("second dial: %d, want 409", st)
			}
			ws.waitEvent(t, "ChannelDestroyed", func(m map[string]any) bool { return m["channel"].(map[string]any)["id"] == "cr" })
			if got := agentEvents(ws.all(), "cr"); got != tc.wantEvts {
				t.Errorf("events\n got  %s\n want %s", got, tc.wantEvts)
			}
		})
	}
}
