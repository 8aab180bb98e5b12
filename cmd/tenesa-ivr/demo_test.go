package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/internal/redistest"
)

// TestDemo runs the main job end to end: sample data into real Redis, the
// controller on the simulator, eight scripted callers, one record each.
func TestDemo(t *testing.T) {
	t.Setenv("TENESA_REDIS_KEY_PREFIX", redistest.Prefix(t))
	t.Setenv("TENESA_REDIS_ADDR", redistest.Addr())
	t.Setenv("TENESA_LOG_LEVEL", "warn")
	// The demo's rows are the identified paths: on a loaded test machine a
	// look-up over the default 150 ms budget degrades a call (no menu) and
	// its scripted caller waits for a menu that never comes.
	t.Setenv("TENESA_SEGMENTATION_LOOKUP_BUDGET", "5s")
	var out, errb bytes.Buffer
	code := run([]string{"demo", "--sample", "../../configs/sample", "--time-scale", "0.02"}, &out, &errb)
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	s := out.String()
	if !strings.Contains(s, "8 calls, 8 handling records") {
		t.Errorf("summary missing:\n%s", s)
	}
	rows := []struct{ scenario, outcome string }{
		{"DES gold, data complaint", "agent_answered  enterprise-data"},
		{"DES platinum, ticket status", "self_served"},
		{"unknown number, service ID, upgrade", "agent_answered  sales"},
		{"consumer, redirected to 147", "wrong_segment"},
		{"English-speaking hotel", "agent_answered  english-desk"},
		{"hangs up in the menu", "abandoned_ivr   stage menu"},
	}
	for _, r := range rows {
		re := regexp.MustCompile(regexp.QuoteMeta(r.scenario) + `.*` + regexp.QuoteMeta(r.outcome))
		if !re.MatchString(s) {
			t.Errorf("row %q with %q missing:\n%s", r.scenario, r.outcome, s)
		}
	}
	if regexp.MustCompile(`\+62\d{6,}|08\d{8,}`).MatchString(s + errb.String()) {
		t.Errorf("an unmasked phone number was printed:\n%s", s)
	}
}
