package acd

import (
	"slices"
	"testing"
)

// TestReachDialsFromTheCallersBox: the rule of each (call box, agent box)
// pair: own box and everywhere-registered agents are dialled as they are,
// another box's agent only through the caller box's trunk.
func TestReachDialsFromTheCallersBox(t *testing.T) {
	r := Reach{Trunks: map[string]string{"bdg": "PJSIP/{resource}@trunk-to-smg", "sby": "IAX2/trunk/{endpoint}"}}
	for _, tc := range []struct {
		name, box, agentBox, want string
		ok                        bool
		callBox                   string
	}{
		{name: "one Asterisk", box: "", agentBox: "", want: "PJSIP/agent1001", ok: true, callBox: ""},
		{name: "agent registered everywhere", box: "smg", agentBox: "", want: "PJSIP/agent1001", ok: true, callBox: "smg"},
		{name: "agent on the caller's box", box: "smg", agentBox: "smg", want: "PJSIP/agent1001", ok: true, callBox: "smg"},
		{name: "other box, no trunk", box: "smg", agentBox: "bdg", want: "", ok: false, callBox: "smg"},
		{name: "other box through the trunk", box: "bdg", agentBox: "smg", want: "PJSIP/agent1001@trunk-to-smg", ok: true, callBox: ""},
		{name: "trunk with the whole endpoint", box: "sby", agentBox: "smg", want: "IAX2/trunk/PJSIP/agent1001", ok: true, callBox: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := r.Dial(tc.box, OfferedAgent{ID: "1001", Endpoint: "PJSIP/agent1001", Box: tc.agentBox})
			if got != tc.want || ok != tc.ok {
				t.Errorf("Dial(%q, agent on %q) = %q, %v; want %q, %v", tc.box, tc.agentBox, got, ok, tc.want, tc.ok)
			}
			if cb := r.CallBox(tc.box); cb != tc.callBox {
				t.Errorf("CallBox(%q) = %q, want %q", tc.box, cb, tc.callBox)
			}
		})
	}
}

// TestPresenceWatchedOnOneBoxPerEndpoint: an agent's endpoint is watched
// on its box; one registered everywhere on the first box only.
func TestPresenceWatchedOnOneBoxPerEndpoint(t *testing.T) {
	agents := []Agent{{Endpoint: "PJSIP/a"}, {Endpoint: "PJSIP/b", Box: "bdg"}, {Endpoint: "PJSIP/c", Box: "smg"}}
	if got := PresenceEndpoints(agents, "bdg", true); !slices.Equal(got, []string{"PJSIP/a", "PJSIP/b"}) {
		t.Errorf("first box bdg watches %v", got)
	}
	if got := PresenceEndpoints(agents, "smg", false); !slices.Equal(got, []string{"PJSIP/c"}) {
		t.Errorf("box smg watches %v", got)
	}
	if got := PresenceEndpoints(agents, "", true); !slices.Equal(got, []string{"PJSIP/a"}) {
		t.Errorf("one Asterisk watches %v", got)
	}
}
