package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
)

// The soak's report and its checks. Every check is a plain function of the
// report, so a report with a doubled record, a silence or a double ring is
// shown to fail by unit tests (soak_test.go).

// Tolerances of the checks, stated in the report.
const (
	// soakMaxSilence: a caller answered and in Stasis may hear nothing
	// (no prompt, no music on hold, no bridge with another channel:
	// arisim's CallReport.MaxSilence, sim time) for at most this long.
	soakMaxSilence = 2 * time.Second
	// soakGoroutineSlack: idle goroutines after the soak may exceed the
	// idle count before it by this many (keep-alive connections, the
	// runtime's own); a leak of one per call exceeds it past that many
	// calls.
	soakGoroutineSlack = 20
	// heap in use after ≤ soakHeapFactor × before + soakHeapSlack.
	soakHeapFactor = 1.5
	soakHeapSlack  = 8 << 20
)

// soakCall is one offered call as the soak saw it.
type soakCall struct {
	ID        string   `json:"call_id"`
	Scenario  string   `json:"scenario"`
	Records   int      `json:"records"`
	Instances []string `json:"record_instances,omitempty"`
	// MaxSilence: the longest silence the caller waited through
	// (CallReport.MaxWaitSilence: no prompt, music on hold or bridge, and
	// no key pressed by the caller); MaxSilenceWithKeys also counts the
	// caller's own typing (CallReport.MaxSilence), shown only.
	MaxSilence         time.Duration `json:"max_silence_ns"`
	SilenceFrom        time.Time     `json:"silence_from,omitempty"`
	MaxSilenceWithKeys time.Duration `json:"max_silence_with_keys_ns"`
	ClaimedBy          string        `json:"claimed_by,omitempty"`
	Broadcast          string        `json:"broadcast,omitempty"`
	HungUpBy           string        `json:"hung_up_by,omitempty"`
	ForcedEnd          bool          `json:"forced_end,omitempty"` // the soak hung it up at the call's life limit
	Heard              []string      `json:"heard,omitempty"`      // a silent call's media and silences, for diagnosis
}

// soakRing is an agent endpoint rung (or reached) for a second call while
// an earlier leg to it was still up.
type soakRing struct {
	Endpoint    string    `json:"endpoint"`
	First       string    `json:"first_channel"`
	Second      string    `json:"second_channel"`
	At          time.Time `json:"at"`
	FirstEnded  time.Time `json:"first_ended,omitempty"`
	FirstStatus string    `json:"first_status"`
}

// soakSample is one scrape of a controller's /metrics.
type soakSample struct {
	Goroutines float64 `json:"go_goroutines"`
	HeapInuse  float64 `json:"go_memstats_heap_inuse_bytes"`
}

// soakUsage is one controller's before/after. Checked: controllers that
// ran the whole soak (not killed); a restarted one is shown only.
type soakUsage struct {
	Instance string      `json:"instance"`
	Checked  bool        `json:"checked"`
	Note     string      `json:"note,omitempty"`
	Before   *soakSample `json:"before,omitempty"`
	After    *soakSample `json:"after,omitempty"`
}

// soakFault is one injected fault.
type soakFault struct {
	At     time.Duration `json:"at_ns"`
	Kind   string        `json:"kind"`
	Target string        `json:"target"`
	Detail string        `json:"detail,omitempty"`
	Err    string        `json:"error,omitempty"`
}

// soakCheck is one pass/fail line.
type soakCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

type soakReport struct {
	Duration    time.Duration  `json:"duration_ns"`
	Rate        float64        `json:"calls_per_second"`
	Offered     int            `json:"offered"`
	Calls       []soakCall     `json:"calls"`
	Scenarios   map[string]int `json:"scenarios"`
	Rings       []soakRing     `json:"double_rings"`
	AgentLegs   int            `json:"agent_legs"`
	Controllers []soakUsage    `json:"controllers"`
	Faults      []soakFault    `json:"faults"`
	Checks      []soakCheck    `json:"checks"`
	OK          bool           `json:"ok"`
	Errors      []string       `json:"errors,omitempty"` // the harness's own problems (they fail the soak)
}

// doubleRings finds, per endpoint, legs originated while an earlier leg
// to the same endpoint had not ended (ringing or talking): the agent was
// offered two calls at once.
func doubleRings(endpoint string, legs []arisim.AgentLeg) []soakRing {
	legs = append([]arisim.AgentLeg(nil), legs...)
	sort.SliceStable(legs, func(i, j int) bool { return legs[i].Originated.Before(legs[j].Originated) })
	var out []soakRing
	for j := range legs {
		for i := range j {
			p := legs[i]
			if p.Ended.IsZero() || legs[j].Originated.Before(p.Ended) {
				status := "ringing"
				if p.Answered && !p.AnsweredAt.After(legs[j].Originated) {
					status = "talking"
				}
				out = append(out, soakRing{Endpoint: endpoint, First: p.ChannelID, Second: legs[j].ChannelID,
					At: legs[j].Originated, FirstEnded: p.Ended, FirstStatus: status})
				break
			}
		}
	}
	return out
}

// flatUsage reports whether after is flat against before within the
// stated tolerances, and why not.
func flatUsage(before, after soakSample) (bool, string) {
	var bad []string
	if after.Goroutines > before.Goroutines+soakGoroutineSlack {
		bad = append(bad, fmt.Sprintf("goroutines %.0f → %.0f (more than +%d)", before.Goroutines, after.Goroutines, soakGoroutineSlack))
	}
	if limit := soakHeapFactor*before.HeapInuse + soakHeapSlack; after.HeapInuse > limit {
		bad = append(bad, fmt.Sprintf("heap in use %s → %s (limit %s)", mib(before.HeapInuse), mib(after.HeapInuse), mib(limit)))
	}
	return len(bad) == 0, strings.Join(bad, "; ")
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

// evaluate fills Checks and OK from the report's facts.
func (r *soakReport) evaluate() {
	r.Checks = nil
	add := func(name string, ok bool, detail string) {
		r.Checks = append(r.Checks, soakCheck{name, ok, detail})
	}
	// calls offered
	add("calls offered", r.Offered > 0 && r.Offered == len(r.Calls),
		fmt.Sprintf("%d offered, %d followed", r.Offered, len(r.Calls)))
	// exactly one handling record each
	var zero, many []string
	for _, c := range r.Calls {
		switch {
		case c.Records == 0:
			why := c.ID
			if c.Broadcast != "" && c.Broadcast != "SUCCESS" {
				why += " (STASISSTATUS=" + c.Broadcast + ")"
			}
			zero = append(zero, why)
		case c.Records > 1:
			many = append(many, fmt.Sprintf("%s ×%d (%s)", c.ID, c.Records, strings.Join(c.Instances, ",")))
		}
	}
	one := len(r.Calls) - len(zero) - len(many)
	detail := fmt.Sprintf("%d of %d calls have exactly one record", one, r.Offered)
	if len(zero) > 0 {
		detail += "; none: " + strings.Join(zero, " ")
	}
	if len(many) > 0 {
		detail += "; several: " + strings.Join(many, " ")
	}
	add("one handling record per call", r.Offered > 0 && one == r.Offered, detail)
	// silence
	var silent []string
	var longest time.Duration
	for _, c := range r.Calls {
		longest = max(longest, c.MaxSilence)
		if c.MaxSilence > soakMaxSilence {
			silent = append(silent, fmt.Sprintf("%s %s from %s", c.ID, c.MaxSilence.Round(time.Millisecond), c.SilenceFrom.Format("15:04:05.000")))
		}
	}
	detail = fmt.Sprintf("%d callers silent > %s (longest %s)", len(silent), soakMaxSilence, longest.Round(time.Millisecond))
	if len(silent) > 0 {
		detail += ": " + strings.Join(silent, "; ")
	}
	add("no caller left in silence > 2s", len(silent) == 0, detail)
	// double rings
	detail = fmt.Sprintf("%d of %d agent legs offered while the agent had another call", len(r.Rings), r.AgentLegs)
	for _, g := range r.Rings {
		detail += fmt.Sprintf("; %s %s while %s was %s", g.Endpoint, g.Second, g.First, g.FirstStatus)
	}
	add("no agent rung for two calls at once", len(r.Rings) == 0, detail)
	// goroutines and heap
	checked := 0
	for _, u := range r.Controllers {
		if !u.Checked {
			continue
		}
		checked++
		if u.Before == nil || u.After == nil {
			add("flat goroutines and heap: "+u.Instance, false, "no sample: "+u.Note)
			continue
		}
		ok, why := flatUsage(*u.Before, *u.After)
		if ok {
			why = fmt.Sprintf("goroutines %.0f → %.0f, heap in use %s → %s", u.Before.Goroutines, u.After.Goroutines,
				mib(u.Before.HeapInuse), mib(u.After.HeapInuse))
		}
		add("flat goroutines and heap: "+u.Instance, ok, why)
	}
	if checked == 0 {
		add("flat goroutines and heap", false, "no controller ran the whole soak")
	}
	var faultErrs []string
	for _, f := range r.Faults {
		if f.Err != "" {
			faultErrs = append(faultErrs, f.Kind+" "+f.Target+": "+f.Err)
		}
	}
	add("every fault injected", len(faultErrs) == 0, fmt.Sprintf("%d faults, %d failed to inject %s", len(r.Faults), len(faultErrs), strings.Join(faultErrs, "; ")))
	if len(r.Errors) > 0 {
		add("soak harness", false, strings.Join(r.Errors, "; "))
	}
	r.OK = true
	for _, c := range r.Checks {
		r.OK = r.OK && c.OK
	}
}

// print writes the report as text tables.
func (r *soakReport) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "soak %s at %.2f calls/s: %d calls offered, %d agent legs\n", r.Duration, r.Rate, r.Offered, r.AgentLegs)
	var names []string
	for n := range r.Scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(tw, "  %s\t%d\n", n, r.Scenarios[n])
	}
	fmt.Fprintln(tw, "\nFAULT\tAT\tTARGET\tDETAIL")
	for _, f := range r.Faults {
		d := f.Detail
		if f.Err != "" {
			d += " ERROR: " + f.Err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Kind, f.At.Round(100*time.Millisecond), f.Target, d)
	}
	fmt.Fprintln(tw, "\nCONTROLLER\tGOROUTINES BEFORE→AFTER\tHEAP IN USE BEFORE→AFTER\tCHECKED")
	for _, u := range r.Controllers {
		g, h := "-", "-"
		if u.Before != nil && u.After != nil {
			g = fmt.Sprintf("%.0f → %.0f", u.Before.Goroutines, u.After.Goroutines)
			h = mib(u.Before.HeapInuse) + " → " + mib(u.After.HeapInuse)
		}
		chk := "yes"
		if !u.Checked {
			chk = "no (" + u.Note + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Instance, g, h, chk)
	}
	fmt.Fprintln(tw, "\nCHECK\tRESULT\tDETAIL")
	for _, c := range r.Checks {
		res := "ok"
		if !c.OK {
			res = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, res, c.Detail)
	}
	_ = tw.Flush()
	if r.OK {
		fmt.Fprintln(w, "\nsoak: every check passed")
	} else {
		fmt.Fprintln(w, "\nsoak: FAILED")
	}
}

func (r *soakReport) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
