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

// TestWaitSilenceRestartsAtTheCallersKeys: a caller typing digits in the
// silence after a prompt is not waiting for the system: MaxWaitSilence
// restarts at each key, so it stays near the 350 ms key spacing while
// MaxSilence covers the whole typing; after the last key the silence until
// the hang-up counts again.
func TestWaitSilenceRestartsAtTheCallersKeys(t *testing.T) {
	const menu = time.Second
	s := newTestServer(t, Options{TimeScale: 0.1, PromptDurations: map[string]time.Duration{"sound:tenesa/menu": menu}})
	dialEvents(t, s, "app=tenesa-ivr")
	waitActive(t, s, "tenesa-ivr")
	// ten keys (about 3.5 s of typing), then 1 s of silence, then hang up
	c := answeredCall(t, s, WaitPromptEnd("menu"), Press("1234567890"), Wait(time.Second), HangUp())
	rest(t, s, "POST", "/channels/"+c.ChannelID()+"/play/p1", url.Values{"media": {"sound:tenesa/menu"}})
	select {
	case <-c.Done():
	case <-time.After(60 * time.Second):
		t.Fatal("caller never hung up")
	}
	r := c.Transcript()
	if r.MaxSilence < 4*time.Second {
		t.Fatalf("longest silence %v, want the typing and the wait (≥ 4s)", r.MaxSilence)
	}
	// the last gap: from the last key until the hang-up (1 s wait after the
	// key's 350 ms step); generous bounds in sim time
	if r.MaxWaitSilence < 800*time.Millisecond || r.MaxWaitSilence > 2*time.Second {
		t.Fatalf("longest wait silence %v (from %v), want about 1.2s: keys restart it", r.MaxWaitSilence, r.WaitSilenceFrom)
	}
	if r.WaitSilenceFrom.Before(r.SilenceFrom) {
		t.Errorf("wait silence from %v, before the silence began %v", r.WaitSilenceFrom, r.SilenceFrom)
	}
}

// TestChannelPlaybackEndsMusicOnHold: as in Asterisk (a file stream
// deactivates the channel's generator, and nothing restarts the music
// after the prompt), a prompt played on a channel with music on hold
// replaces the music: once the prompt ended the caller is in silence
// until it hangs up, and the music is off.
func TestChannelPlaybackEndsMusicOnHold(t *testing.T) {
	const menu = 2 * time.Second
	s := newTestServer(t, Options{TimeScale: 0.1, PromptDurations: map[string]time.Duration{"sound:tenesa/menu": menu}})
	dialEvents(t, s, "app=tenesa-ivr")
	waitActive(t, s, "tenesa-ivr")
	c := answeredCall(t, s, Wait(10*time.Second), HangUp())
	rest(t, s, "POST", "/channels/"+c.ChannelID()+"/moh", nil)
	if !c.Transcript().MusicOnHold {
		t.Fatal("music on hold not on after POST .../moh")
	}
	rest(t, s, "POST", "/channels/"+c.ChannelID()+"/play/p1", url.Values{"media": {"sound:tenesa/menu"}})
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("caller never hung up")
	}
	r := c.Transcript()
	if r.MusicOnHold || r.MaxSilence < 3*time.Second {
		t.Fatalf("music on hold %v, longest silence %v: want the music ended by the prompt and silence after it", r.MusicOnHold, r.MaxSilence)
	}
}
