package flow_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/router"
)

// A controller whose application is taken over by a second one mid-greeting
// (ApplicationReplaced) writes no record; the new owner adopts the call,
// greets again within a second of stopping the old prompt, and writes the
// call's one record (the world fails the test on a second record).
//
// The 1 s bound is in sim time; the adopter's work (reconnect, resync, stop
// the prompt) takes real time, which the test's usual 0.02 scale would
// magnify fifty times, so this test runs at half speed.
func TestReplacedControllerLeavesTheRecordToTheNewOwner(t *testing.T) {
	w := newWorld(t, worldOpts{timeScale: 0.5})
	call, err := w.sim.PlaceCall(arisim.Caller{Number: aniDES, Script: []arisim.Step{
		arisim.WaitForPrompt("greeting-"), arisim.WaitForPrompt("greeting-"), arisim.HangUp(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the greeting playing", func() bool { return len(call.Transcript().Heard) > 0 })

	first := w.ctlStop
	w.startController(t) // takes the application: the first one is replaced
	defer first()
	select {
	case <-call.Done():
	case <-time.After(20 * time.Second):
		t.Fatalf("call did not end; heard %v", heard(call.Transcript()))
	}
	r := w.waitRecord(t, call.ChannelID())
	if r.Outcome != router.OutcomeAbandonedIVR || !r.Adopted {
		t.Errorf("record: outcome %q adopted %v, want abandoned_ivr by the adopter", r.Outcome, r.Adopted)
	}
	h := call.Transcript().Heard
	if len(h) < 2 || !strings.Contains(h[0].Media, "greeting-") || h[0].Status != "stopped" || !strings.Contains(h[1].Media, "greeting-") {
		t.Fatalf("heard %+v, want the greeting stopped by the adopter, then again", h)
	}
	if gap := h[1].Start.Sub(h[0].End); gap > time.Second {
		t.Errorf("the IVR resumed %v (sim) after the old prompt was stopped, want within 1s", gap)
	}
}
