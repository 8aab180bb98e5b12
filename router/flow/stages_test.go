package flow_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/router"
)

// TestHangupAtEveryStage: a caller who hangs up anywhere in the IVR ends
// as abandoned_ivr with that stage; in the queue as abandoned_queue.
func TestHangupAtEveryStage(t *testing.T) {
	w := newWorld(t, worldOpts{agent: &arisim.Agent{Endpoint: agentEP, NeverAnswer: true}})
	hangAt := func(prompt string, before ...[]arisim.Step) []arisim.Step {
		s := steps(before...)
		return append(s, arisim.WaitForPrompt(prompt), arisim.Wait(300*time.Millisecond), hangUp)
	}
	tests := []struct {
		name    string
		caller  arisim.Caller
		outcome router.Outcome
		stage   router.Stage
	}{
		{"greeting", arisim.Caller{Number: aniDES, Script: hangAt("greeting-")}, router.OutcomeAbandonedIVR, router.StageGreeting},
		{"identification", arisim.Caller{Number: aniUnknown, Script: hangAt("ask-service-id")}, router.OutcomeAbandonedIVR, router.StageIdentify},
		{"identification retry", arisim.Caller{Number: aniUnknown, Script: hangAt("service-id-invalid", menu("ask-service-id", "9#"))}, router.OutcomeAbandonedIVR, router.StageIdentify},
		{"incident", arisim.Caller{Number: aniIncident, Script: hangAt("incident-generic")}, router.OutcomeAbandonedIVR, router.StageIncident},
		{"menu", arisim.Caller{Number: aniDES, Script: hangAt("menu-main")}, router.OutcomeAbandonedIVR, router.StageMenu},
		{"sub-menu", arisim.Caller{Number: aniDES, Script: hangAt("menu-complaint-product", menu("menu-main", "1"))}, router.OutcomeAbandonedIVR, router.StageMenu},
		{"self-service", arisim.Caller{Number: aniDES, Script: hangAt("ask-service-id", menu("menu-main", "2"))}, router.OutcomeAbandonedIVR, router.StageSelfSvc},
		{"self-service result", arisim.Caller{Number: aniDES, Script: hangAt("ticket-status", menu("menu-main", "2"), menu("ask-service-id", sidDES+"#"))}, router.OutcomeAbandonedIVR, router.StageSelfSvc},
		{"transfer prompt", arisim.Caller{Number: aniDES, Script: hangAt("transfer-agent", menu("menu-main", "0"))}, router.OutcomeAbandonedIVR, router.StageRoute},
		{"waiting for the agent", arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "0"),
			[]arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(2 * time.Second), hangUp})}, router.OutcomeAbandonedQueue, router.StageQueue},
		{"redirect prompt", arisim.Caller{Number: aniConsumer, Script: hangAt("redirect-consumer")}, router.OutcomeWrongSegment, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, tr := w.call(t, tt.caller)
			if r.Outcome != tt.outcome || r.AbandonStage != tt.stage {
				t.Errorf("outcome %q stage %q (%s), want %q %q; heard %v", r.Outcome, r.AbandonStage, r.FailReason, tt.outcome, tt.stage, heard(tr))
			}
			if tr.HungUpBy != "caller" {
				t.Errorf("hung up by %q, want caller", tr.HungUpBy)
			}
		})
	}
}

// TestRedisDown: with Redis unreachable the caller is treated as
// unidentified, told briefly, and routed to the general queue.
func TestRedisDown(t *testing.T) {
	w := newWorld(t, worldOpts{redisAddr: "127.0.0.1:1"})
	start := time.Now()
	r, tr := w.call(t, arisim.Caller{Number: aniDES, Script: steps([]arisim.Step{arisim.WaitForPrompt("transfer-agent"), arisim.Wait(60 * time.Second), hangUp})})
	if r.Outcome != router.OutcomeAgentAnswered || r.Queue != "general" || !r.Degraded || r.Identification.Method != "none" {
		t.Errorf("record: outcome %q queue %q degraded %v method %q; heard %v", r.Outcome, r.Queue, r.Degraded, r.Identification.Method, heard(tr))
	}
	if !heardPromptSub(tr, "degraded") || heardPromptSub(tr, "ask-service-id") {
		t.Errorf("heard %v: want the degraded notice and no service-ID prompt", heard(tr))
	}
	t.Logf("degraded call took %s", time.Since(start))
}

// TestGreetingBands: the greeting follows the caller's local time: the
// customer's region when known, else the line's zone; bands change on the
// minute after 10:00, 15:00, 18:00 and 24:00.
func TestGreetingBands(t *testing.T) {
	w := newWorld(t, worldOpts{})
	tests := []struct {
		name   string
		utc    string
		number string
		band   router.Band
		zone   string
	}{
		{"WIB 10:00 is still pagi", "2026-11-27T03:00:00Z", aniDES, router.Pagi, "WIB"},
		{"WIB 10:01 is siang", "2026-11-27T03:01:00Z", aniDES, router.Siang, "WIB"},
		{"WIB midnight is malam", "2026-11-26T17:00:00Z", aniDES, router.Malam, "WIB"},
		{"WIB 00:01 is pagi", "2026-11-26T17:01:00Z", aniDES, router.Pagi, "WIB"},
		{"WITA 15:00 is still siang", "2026-11-27T07:00:00Z", aniIncident, router.Siang, "WITA"},
		{"WITA 15:01 is sore", "2026-11-27T07:01:00Z", aniIncident, router.Sore, "WITA"},
		{"WIT 18:00 is still sore", "2026-11-27T09:00:00Z", aniJayapura, router.Sore, "WIT"},
		{"WIT 18:01 is malam", "2026-11-27T09:01:00Z", aniJayapura, router.Malam, "WIT"},
		{"unknown caller gets the line's zone", "2026-11-27T08:30:00Z", aniUnknown, router.Sore, "WIB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339, tt.utc)
			if err != nil {
				t.Fatal(err)
			}
			w.setNow(at)
			r, tr := w.call(t, arisim.Caller{Number: tt.number, Script: []arisim.Step{waitGreeting, hangUp}})
			if r.Greeting.Band != tt.band || r.Greeting.TimeZone != tt.zone || !r.Greeting.Completed {
				t.Errorf("greeting %+v, want %s in %s completed", r.Greeting, tt.band, tt.zone)
			}
			if !heardPromptSub(tr, "greeting-"+string(tt.band)) {
				t.Errorf("heard %v", heard(tr))
			}
		})
	}
}

// TestIncidentWindow: an incident is announced between its start and its
// expected end only.
func TestIncidentWindow(t *testing.T) {
	w := newWorld(t, worldOpts{})
	tests := []struct {
		name      string
		utc       string
		announced bool
	}{
		{"before the start", "2026-11-26T21:00:00Z", false},
		{"ongoing", "2026-11-27T03:00:00Z", true},
		{"after the expected end", "2026-11-27T09:00:01Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339, tt.utc)
			if err != nil {
				t.Fatal(err)
			}
			w.setNow(at)
			r, tr := w.call(t, arisim.Caller{Number: aniIncident, Script: []arisim.Step{arisim.WaitForPrompt("menu-main"), hangUp}})
			if got := heardPromptSub(tr, "incident-generic"); got != tt.announced {
				t.Errorf("incident announced %v, want %v; heard %v", got, tt.announced, heard(tr))
			}
			if r.Outcome != router.OutcomeAbandonedIVR || r.AbandonStage != router.StageMenu {
				t.Errorf("outcome %q stage %q", r.Outcome, r.AbandonStage)
			}
		})
	}
}

// TestControllerRestartWhileBridged: a controller that stops while a caller
// talks to an agent leaves them bridged; the next controller adopts the
// call, does not replay the IVR, and records it when the caller hangs up.
func TestControllerRestartWhileBridged(t *testing.T) {
	w := newWorld(t, worldOpts{})
	call, err := w.sim.PlaceCall(arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "0"),
		[]arisim.Step{arisim.WaitPromptEnd("transfer-agent"), arisim.Wait(4 * time.Minute), hangUp})})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "caller bridged with the agent", func() bool { return w.isBridged(call.ChannelID()) })
	w.restartController(t)
	select {
	case <-call.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("call did not end")
	}
	r := w.waitRecord(t, call.ChannelID())
	if r.Outcome != router.OutcomeAgentAnswered || !r.Adopted {
		t.Errorf("record after adoption: outcome %q adopted %v", r.Outcome, r.Adopted)
	}
	greetings := 0
	for _, h := range heard(call.Transcript()) {
		if strings.Contains(h, "greeting-") {
			greetings++
		}
	}
	if greetings != 1 {
		t.Errorf("caller heard the greeting %d times: %v", greetings, heard(call.Transcript()))
	}
}

// lockedBuffer collects log lines written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogsMaskCallers: the flow and the controller log every call, its
// identification and its record, but never a whole phone number or a
// customer name.
func TestLogsMaskCallers(t *testing.T) {
	var buf lockedBuffer
	w := newWorld(t, worldOpts{logTo: &buf})
	r, _ := w.call(t, arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "2"),
		menu("ask-service-id", sidDES+"#"), menu("offer-agent", "0"), talk)})
	if r.Outcome != router.OutcomeAgentAnswered || r.CustomerID != "DES-T1" {
		t.Fatalf("outcome %q customer %q", r.Outcome, r.CustomerID)
	}
	logs := buf.String()
	if !strings.Contains(logs, r.CallID) || !strings.Contains(logs, `"caller":"`) {
		t.Fatalf("the call was not logged:\n%s", logs)
	}
	for _, secret := range []string{"5550001", "215550001", "PT Uji Nusantara", "Rini Kartika"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
}

// TestShutdownWhileRinging: a controller that stops while the agent rings
// gives the caller back to the dialplan (its plain queue takes over) and
// records the call as failed with the reason, not as abandoned.
func TestShutdownWhileRinging(t *testing.T) {
	w := newWorld(t, worldOpts{agent: &arisim.Agent{Endpoint: agentEP, NeverAnswer: true}})
	call, err := w.sim.PlaceCall(arisim.Caller{Number: aniDES, Script: menu("menu-main", "0")})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "agent ringing", func() bool { return len(w.sim.AgentReport(agentEP)) > 0 })
	w.stopController()
	r := w.waitRecord(t, call.ChannelID())
	if r.Outcome != router.OutcomeFailed || !strings.Contains(r.FailReason, "controller stopping") {
		t.Errorf("outcome %q (%s), want failed: controller stopping", r.Outcome, r.FailReason)
	}
	waitUntil(t, "caller continued in the dialplan", func() bool { return call.Transcript().HungUpBy == "continue" })
	for _, leg := range w.sim.AgentReport(agentEP) {
		if leg.Ended.IsZero() {
			t.Errorf("agent leg %s still ringing after the controller stopped", leg.ChannelID)
		}
	}
}
