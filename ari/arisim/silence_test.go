package arisim

import (
	"net/url"
	"testing"
	"time"
)

// The caller's silence is measured in sim time from the first thing heard:
// a prompt, then nothing until the caller hangs up, is one gap of at most
// the wait minus the prompt; music on hold started while the prompt plays
// leaves no gap at all.
func TestCallReportMeasuresTheLongestSilence(t *testing.T) {
	const menu = 2 * time.Second
	for _, tc := range []struct {
		name     string
		moh      bool
		min, max time.Duration
	}{
		// The caller hangs up 10 s (sim) after its script starts; the
		// prompt starts a little later (REST latency) and lasts 2 s.
		{"prompt then silence until the hang-up", false, 3 * time.Second, 10*time.Second - menu},
		{"prompt with music on hold behind it", true, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, Options{TimeScale: 0.1, PromptDurations: map[string]time.Duration{"sound:tenesa/menu": menu}})
			dialEvents(t, s, "app=tenesa-ivr")
			waitActive(t, s, "tenesa-ivr")
			c := answeredCall(t, s, Wait(10*time.Second), HangUp())
			rest(t, s, "POST", "/channels/"+c.ChannelID()+"/play/p1", url.Values{"media": {"sound:tenesa/menu"}})
			if tc.moh {
				rest(t, s, "POST", "/channels/"+c.ChannelID()+"/moh", nil)
			}
			select {
			case <-c.Done():
			case <-time.After(30 * time.Second):
				t.Fatal("caller never hung up")
			}
			r := c.Transcript()
			if r.MaxSilence < tc.min || r.MaxSilence > tc.max {
				t.Fatalf("longest silence %v (from %v), want within [%v, %v]", r.MaxSilence, r.SilenceFrom, tc.min, tc.max)
			}
		})
	}
}
