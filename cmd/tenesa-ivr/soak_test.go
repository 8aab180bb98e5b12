package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
)

// cleanSoakReport is a report where every check holds.
func cleanSoakReport() *soakReport {
	return &soakReport{
		Offered: 3,
		Calls: []soakCall{
			{ID: "c1", Records: 1, MaxSilence: 300 * time.Millisecond},
			{ID: "c2", Records: 1, MaxSilence: 2 * time.Second}, // at the limit is not over it
			{ID: "c3", Records: 1},
		},
		AgentLegs: 2,
		Controllers: []soakUsage{
			{Instance: "a", Note: "killed and restarted during the soak"},
			{Instance: "b", Checked: true, Before: &soakSample{34, 7 << 20}, After: &soakSample{40, 12 << 20}},
		},
		Faults: []soakFault{{Kind: "kill -9", Target: "a"}},
	}
}

func failedChecks(r *soakReport) []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

// TestSoakReportFailsOnEachBadFact: the clean report passes; each single
// bad fact (a doubled or missing record, a caller silent 2.5 s, an agent
// rung twice, a goroutine or heap leak, a fault not injected, no
// controller to compare) fails the soak under the check that names it.
func TestSoakReportFailsOnEachBadFact(t *testing.T) {
	r := cleanSoakReport()
	r.evaluate()
	if !r.OK {
		t.Fatalf("clean report failed: %v", failedChecks(r))
	}
	for _, tc := range []struct {
		name, check, detail string
		spoil               func(r *soakReport)
	}{
		{"a call with two records", "one handling record per call", "c2 ×2", func(r *soakReport) {
			r.Calls[1].Records, r.Calls[1].Instances = 2, []string{"soak-b", "soak-c"}
		}},
		{"a call without a record", "one handling record per call", "none: c3 (STASISSTATUS=TIMEOUT)", func(r *soakReport) {
			r.Calls[2].Records, r.Calls[2].Broadcast = 0, "TIMEOUT"
		}},
		{"a caller silent 2.5 s", "no caller left in silence > 2s", "c1 2.5s", func(r *soakReport) {
			r.Calls[0].MaxSilence = 2500 * time.Millisecond
		}},
		{"an agent rung for two calls", "no agent rung for two calls at once", "PJSIP/soak2001 ch2 while ch1 was talking", func(r *soakReport) {
			t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
			r.Rings = doubleRings("PJSIP/soak2001", []arisim.AgentLeg{
				{ChannelID: "ch1", Originated: t0, Answered: true, AnsweredAt: t0.Add(3 * time.Second), Ended: t0.Add(20 * time.Second)},
				{ChannelID: "ch2", Originated: t0.Add(10 * time.Second), Ended: t0.Add(30 * time.Second)},
			})
		}},
		{"goroutines grew", "flat goroutines and heap: b", "goroutines 34 → 55", func(r *soakReport) {
			r.Controllers[1].After.Goroutines = 55
		}},
		{"heap grew", "flat goroutines and heap: b", "heap in use", func(r *soakReport) {
			r.Controllers[1].After.HeapInuse = 30 << 20
		}},
		{"no after sample", "flat goroutines and heap: b", "no sample", func(r *soakReport) {
			r.Controllers[1].After, r.Controllers[1].Note = nil, "after: connection refused"
		}},
		{"no controller ran throughout", "flat goroutines and heap", "no controller ran the whole soak", func(r *soakReport) {
			r.Controllers[1].Checked = false
		}},
		{"a fault not injected", "every fault injected", "no events socket to cut", func(r *soakReport) {
			r.Faults = append(r.Faults, soakFault{Kind: "cut events WebSocket", Target: "b", Err: "no events socket to cut"})
		}},
		{"a call not followed", "calls offered", "4 offered, 3 followed", func(r *soakReport) { r.Offered = 4 }},
		{"the harness failed", "soak harness", "place call", func(r *soakReport) { r.Errors = []string{"place call: closed"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cleanSoakReport()
			tc.spoil(r)
			r.evaluate()
			if r.OK {
				t.Fatal("report passed")
			}
			var found bool
			for _, c := range r.Checks {
				if c.Name == tc.check && !c.OK {
					found = true
					if !strings.Contains(c.Detail, tc.detail) {
						t.Errorf("check %q detail %q lacks %q", c.Name, c.Detail, tc.detail)
					}
				}
			}
			if !found {
				t.Errorf("failed checks %v, want %q among them", failedChecks(r), tc.check)
			}
			var out bytes.Buffer
			r.print(&out)
			if !strings.Contains(out.String(), "soak: FAILED") {
				t.Errorf("printed report does not say FAILED:\n%s", out.String())
			}
		})
	}
}

// TestDoubleRingsFindsOverlappingLegs: legs one after the other are fine;
// a leg originated while an earlier one still rings, talks or never ended
// is a double ring.
func TestDoubleRingsFindsOverlappingLegs(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	leg := func(id string, from, to time.Duration) arisim.AgentLeg {
		l := arisim.AgentLeg{ChannelID: id, Originated: t0.Add(from)}
		if to > 0 {
			l.Ended = t0.Add(to)
		}
		return l
	}
	for _, tc := range []struct {
		name string
		legs []arisim.AgentLeg
		want []string // second channels
	}{
		{"one after the other", []arisim.AgentLeg{leg("a", 0, 10*time.Second), leg("b", 10*time.Second, 20*time.Second), leg("c", 25*time.Second, 30*time.Second)}, nil},
		{"second while the first rings", []arisim.AgentLeg{leg("a", 0, 10*time.Second), leg("b", 5*time.Second, 20*time.Second)}, []string{"b"}},
		{"out of order in the report", []arisim.AgentLeg{leg("b", 5*time.Second, 20*time.Second), leg("a", 0, 10*time.Second)}, []string{"b"}},
		{"first never ended", []arisim.AgentLeg{leg("a", 0, 0), leg("b", time.Minute, 2*time.Minute)}, []string{"b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := doubleRings("PJSIP/x", tc.legs)
			var ids []string
			for _, g := range got {
				ids = append(ids, g.Second)
			}
			if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
				t.Errorf("double rings %v, want %v", ids, tc.want)
			}
		})
	}
}

// TestSoakConfigIsValid: the configuration the soak writes for each
// controller passes the same validation serve applies (broadcast,
// failover, Sentinel, agents logged in at start).
func TestSoakConfigIsValid(t *testing.T) {
	p := filepath.Join(t.TempDir(), "soak-a.yaml")
	y := soakConfig("soak-a", "http://127.0.0.1:1/ari", "pw", "127.0.0.1:2,127.0.0.1:3,127.0.0.1:4", "soak:x:", "127.0.0.1:5",
		[]string{"PJSIP/soak2001", "PJSIP/soak2002", "PJSIP/soak2003"})
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := manifest.Load(p)
	if err != nil {
		t.Fatalf("soak config refused: %v\n%s", err, y)
	}
	if !cfg.ARI.Broadcast || !cfg.ARI.Failover.Enabled || cfg.Redis.MasterName != soakMasterName || cfg.ApplicationName() != "tenesa-ivr-soak-a" {
		t.Errorf("broadcast %v failover %v master %q app %q", cfg.ARI.Broadcast, cfg.ARI.Failover.Enabled, cfg.Redis.MasterName, cfg.ApplicationName())
	}
	if len(cfg.Agents) != 3 {
		t.Fatalf("agents %d, want 3", len(cfg.Agents))
	}
	for _, a := range cfg.Agents {
		if !a.LoginAtStart {
			t.Errorf("agent %s not logged in at start", a.ID)
		}
	}
}

// TestSoakSampleKeepsOnlyTheMakassarOutage: the soak's copy of the sample
// keeps the customers and tickets and only the outage its incident
// scenario expects.
func TestSoakSampleKeepsOnlyTheMakassarOutage(t *testing.T) {
	dir, err := soakSampleDir("../../configs/sample", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "incidents.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "product,region") || !strings.Contains(lines[1], ",makassar,") {
		t.Errorf("incidents:\n%s", b)
	}
	orig, _ := os.ReadFile("../../configs/sample/customers.csv")
	got, _ := os.ReadFile(filepath.Join(dir, "customers.csv"))
	if len(orig) == 0 || !bytes.Equal(orig, got) {
		t.Error("customers.csv not copied as is")
	}
}

// TestSoakRefusesAShortDuration: the faults need room; a bad flag is
// named.
func TestSoakRefusesAShortDuration(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"soak", "--duration", "5s"}, &out, &errb); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errb.String(), "--duration 5s: at least 20s") {
		t.Errorf("stderr %q", errb.String())
	}
	errb.Reset()
	if code := run([]string{"soak", "--duration", "30s", "--rate", "0"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--rate 0") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}
