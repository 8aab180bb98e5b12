package arisim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookLog records what the hooks saw, in order.
type hookLog struct {
	mu    sync.Mutex
	lines []string
	at    map[string]time.Time // first time of each line
}

func (l *hookLog) add(line string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	if _, ok := l.at[line]; !ok {
		l.at[line] = at
	}
}

func (l *hookLog) has(line string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at, ok := l.at[line]
	return at, ok
}

// TestHooksReportStasisStartRequestsPlayAndOriginate: the hooks see the
// StasisStart written for the placed call's channel, every REST request,
// the play request with its media and the originate with its endpoint, and
// the StasisStart is stamped before the play that answers it arrives.
func TestHooksReportStasisStartRequestsPlayAndOriginate(t *testing.T) {
	l := &hookLog{at: map[string]time.Time{}}
	s := newTestServer(t, Options{TimeScale: 0.01, Hooks: Hooks{
		Request:      func(method, path string, at time.Time) { l.add("req "+method+" "+path, at) },
		EventWritten: func(typ, ch string, at time.Time) { l.add("event "+typ+" "+ch, at) },
		Play:         func(ch string, media []string, at time.Time) { l.add("play "+ch+" "+strings.Join(media, ","), at) },
		Originate:    func(ep string, at time.Time) { l.add("originate "+ep, at) },
	}})
	s.AddAgent(Agent{Endpoint: "PJSIP/agent1001", AnswerAfter: time.Second})
	ws := dialEvents(t, s, "app=tenesa-ivr")
	waitActive(t, s, "tenesa-ivr")
	c := answeredCall(t, s)
	id := c.ChannelID()
	ws.waitEvent(t, "StasisStart", nil)
	if st, b := rest(t, s, "POST", "/channels/"+id+"/play/g1", url.Values{"media": {"sound:tenesa/id/greeting-pagi"}}); st != http.StatusCreated {
		t.Fatalf("play: %d %s", st, b)
	}
	if st, b := rest(t, s, "POST", "/channels", url.Values{"endpoint": {"PJSIP/agent1001"}, "app": {"tenesa-ivr"}}); st != http.StatusOK {
		t.Fatalf("originate: %d %s", st, b)
	}
	started, ok := l.has("event StasisStart " + id)
	if !ok {
		t.Fatalf("no StasisStart of %s written; saw %q", id, l.lines)
	}
	played, ok := l.has("play " + id + " sound:tenesa/id/greeting-pagi")
	if !ok {
		t.Fatalf("play of %s not reported; saw %q", id, l.lines)
	}
	if played.Before(started) {
		t.Errorf("play stamped %v before the StasisStart it follows (%v)", played, started)
	}
	for _, want := range []string{"req POST /ari/channels/" + id + "/answer", "req POST /ari/channels/" + id + "/play/g1",
		"req POST /ari/channels", "originate PJSIP/agent1001"} {
		if _, ok := l.has(want); !ok {
			t.Errorf("hooks did not see %q; saw %q", want, l.lines)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if i := slices.Index(l.lines, "req GET /ari/events"); i < 0 {
		t.Errorf("events socket request not reported; saw %q", l.lines)
	}
}
