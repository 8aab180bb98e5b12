package arisim

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// eventLine renders an event for order checks: type plus digit or playback id.
func eventLine(b []byte) string {
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	line := m["type"].(string)
	if d, ok := m["digit"]; ok {
		line += ":" + d.(string)
	}
	if pb, ok := m["playback"].(map[string]any); ok {
		line += ":" + pb["id"].(string)
	}
	return line
}

func TestCallerScriptPrompts(t *testing.T) {
	tests := []struct {
		name   string
		script []Step
		// controller plays these (playback id → media) in order, each after
		// the DTMF given as key (""= right after answer)
		plays []struct{ after, id, media string }
		want  string // expected order of the relevant events
	}{
		{
			name:   "press during the prompt (barge-in)",
			script: []Step{WaitForPrompt("menu"), Press("1")},
			plays:  []struct{ after, id, media string }{{"", "m1", "sound:tenesa/menu"}},
			want:   "PlaybackStarted:m1,ChannelDtmfReceived:1,PlaybackFinished:m1",
		},
		{
			name:   "press after the prompt ends",
			script: []Step{WaitPromptEnd("menu"), Press("1")},
			plays:  []struct{ after, id, media string }{{"", "m1", "sound:tenesa/menu"}},
			want:   "PlaybackStarted:m1,PlaybackFinished:m1,ChannelDtmfReceived:1",
		},
		{
			name:   "a repeated WaitForPrompt waits for the prompt to be played again",
			script: []Step{WaitForPrompt("menu"), Press("9"), WaitForPrompt("menu"), Press("1")},
			plays: []struct{ after, id, media string }{
				{"", "m1", "sound:tenesa/menu"},
				{"9", "m2", "sound:tenesa/invalid,sound:tenesa/menu"},
			},
			want: "PlaybackStarted:m1,ChannelDtmfReceived:9,PlaybackFinished:m1,PlaybackStarted:m2,PlaybackContinuing:m2,PlaybackStarted:m2,ChannelDtmfReceived:1,PlaybackFinished:m2",
		},
		{
			name:   "WaitForPrompt then WaitPromptEnd of the same prompt",
			script: []Step{WaitForPrompt("menu"), WaitPromptEnd("menu"), Press("2")},
			plays:  []struct{ after, id, media string }{{"", "m1", "sound:tenesa/menu"}},
			want:   "PlaybackStarted:m1,PlaybackFinished:m1,ChannelDtmfReceived:2",
		},
		{
			name:   "WaitPromptEnd of a prompt that already ended returns at once",
			script: []Step{Wait(5 * time.Second), WaitPromptEnd("menu"), Press("3")},
			plays:  []struct{ after, id, media string }{{"", "m1", "sound:tenesa/menu"}},
			want:   "PlaybackStarted:m1,PlaybackFinished:m1,ChannelDtmfReceived:3",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, Options{TimeScale: 0.01, PromptDurations: map[string]time.Duration{
				"sound:tenesa/menu": 2 * time.Second, "sound:tenesa/invalid": time.Second,
			}})
			ws := dialEvents(t, s, "app=tenesa-ivr")
			waitActive(t, s, "tenesa-ivr")
			c := answeredCall(t, s, tc.script...)
			for _, p := range tc.plays {
				if p.after != "" {
					ws.waitEvent(t, "ChannelDtmfReceived", func(m map[string]any) bool { return m["digit"] == p.after })
				}
				rest(t, s, "POST", "/channels/"+c.ChannelID()+"/play/"+p.id, url.Values{"media": {p.media}})
			}
			n := strings.Count(tc.want, ",") + 1
			var got []string
			ok := ws.waitFor(5*time.Second, func(msgs [][]byte) bool {
				got = got[:0]
				for _, b := range msgs {
					if l := eventLine(b); strings.HasPrefix(l, "Playback") || strings.HasPrefix(l, "ChannelDtmf") {
						got = append(got, l)
					}
				}
				return len(got) >= n
			})
			if !ok || strings.Join(got, ",") != tc.want {
				t.Errorf("events\n got  %s\n want %s", strings.Join(got, ","), tc.want)
			}
		})
	}
}
