package ari

import (
	"encoding/json"
	"testing"
)

// The recorded events (transcripts 14 and 18) decode; anything else is refused.
func TestParseCallBroadcast(t *testing.T) {
	tests := []struct {
		name, raw     string
		wantID, wantW string
		ok            bool
	}{
		{"recorded CallBroadcast", `{"type":"CallBroadcast","timestamp":"2026-11-30T00:03:25.211+0000","channel":{"id":"1795997005.14419","name":"Local/8000@broadcast-in-00001c27;2","state":"Ring"},"caller":"5550114","called":"8000","asterisk_id":"00:00:5e:00:53:01","application":"tenesa-ivr-a"}`, "1795997005.14419", "", true},
		{"recorded CallClaimed", `{"type":"CallClaimed","timestamp":"2026-11-30T00:03:55.260+0000","channel":{"id":"1795997035.14429","state":"Ring"},"winner_app":"tenesa-ivr-a","asterisk_id":"00:00:5e:00:53:01","application":"tenesa-ivr-b"}`, "1795997035.14429", "tenesa-ivr-a", true},
		{"no channel", `{"type":"CallBroadcast","application":"tenesa-ivr-a"}`, "", "", false},
		{"channel not an object", `{"type":"CallBroadcast","channel":"x"}`, "", "", false},
		{"another type", `{"type":"StasisStart","channel":{"id":"1.2"}}`, "", "", false},
		{"not json", `CallBroadcast`, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := parseCallBroadcast([]byte(tt.raw))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && (e.Channel.ID != tt.wantID || e.WinnerApp != tt.wantW) {
				t.Errorf("got channel %q winner %q, want %q %q", e.Channel.ID, e.WinnerApp, tt.wantID, tt.wantW)
			}
		})
	}
}

// FuzzParseCallBroadcast: any bytes from the events socket either decode to
// a broadcast event with a channel id or are refused; never a panic.
func FuzzParseCallBroadcast(f *testing.F) {
	f.Add([]byte(`{"type":"CallBroadcast","channel":{"id":"1.2"},"caller":"5550114","called":"8000","application":"tenesa-ivr-a"}`))
	f.Add([]byte(`{"type":"CallClaimed","channel":{"id":"1.2"},"winner_app":"other-app"}`))
	f.Add([]byte(`{"type":"CallBroadcast","channel":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := parseCallBroadcast(raw)
		if err != nil {
			return
		}
		if e.Channel.ID == "" || (e.Type != "CallBroadcast" && e.Type != "CallClaimed") {
			t.Fatalf("accepted %q as %+v", raw, e)
		}
		if !json.Valid(raw) {
			t.Fatalf("accepted invalid JSON %q", raw)
		}
	})
}
