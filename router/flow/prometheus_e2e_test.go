package flow_test

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/internal/manifest"
	"github.com/tenesa-ivr/tenesa-ivr/internal/promtest"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
	"github.com/tenesa-ivr/tenesa-ivr/router"
)

// figure is one recording rule checked against the handling records: the
// sum of num over the records divided by the sum of den. A share counts
// records (1 or 0 each). The queue figures (SL, ASA, AHT, abandonment) are
// checked on calls through the acd by TestPrometheusEndToEndQueueFigures.
type figure struct {
	name     string // recording rule without its window suffix
	num, den func(r *router.Record) float64
}

// share is a figure counting the records matching num among those matching den.
func share(name string, num, den func(r *router.Record) bool) figure {
	one := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	return figure{name,
		func(r *router.Record) float64 { return one(den(r) && num(r)) },
		func(r *router.Record) float64 { return one(den(r)) }}
}

var ivrFigures = []figure{
	share("tenesa_greeting_standard:ratio",
		func(r *router.Record) bool { return r.Greeting.Completed },
		func(r *router.Record) bool { return r.Greeting.Played }),
	share("tenesa_segment_conformity:ratio",
		func(r *router.Record) bool { return r.Outcome != router.OutcomeWrongSegment },
		func(r *router.Record) bool { return r.Segment != "" }),
	share("tenesa_ivr_containment:ratio",
		func(r *router.Record) bool { return r.Outcome == router.OutcomeSelfServed },
		func(r *router.Record) bool { return r.Outcome != router.OutcomeWrongSegment }),
	share("tenesa_ticket_status_self_service:ratio",
		func(r *router.Record) bool { return r.Outcome == router.OutcomeSelfServed },
		choseTicketStatus),
}

// choseTicketStatus: the caller reached the ticket-status self-service
// (it has a result, or the call ended there before one).
func choseTicketStatus(r *router.Record) bool {
	return r.SelfServiceResult != "" || r.AbandonStage == router.StageSelfSvc
}

// TestPrometheusEndToEnd runs a real Prometheus (Debian's prometheus
// package; the test fails without it) with the project's rule files,
// scraping a controller that runs the flow against the simulator and real
// Redis, places a known mix of calls, and checks the recording rules
// against the figures computed from the handling records of those calls.
//
// increase() extrapolates to the window's end, by the same factor k for
// every series (all are created at zero before the first scrape and scraped
// together): ratios must match the records exactly, counts after dividing
// by k, which is measured as (sum of the counts) / (number of records) and
// must lie within Prometheus's extrapolation bound.
func TestPrometheusEndToEnd(t *testing.T) {
	reg := metrics.NewRegistry()
	m := metrics.New(reg, nil)
	cfg, err := manifest.Load("")
	if err != nil {
		t.Fatal(err)
	}
	m.Configure(metrics.FromConfig(cfg))
	// a look-up budget no loaded machine exceeds: a degraded look-up would
	// send a scripted caller down a path its script does not follow
	w := newWorld(t, worldOpts{metrics: m, tweak: func(c *configs.Config) { c.Segmentation.LookupBudget = 5 * time.Second }})
	srv := httptest.NewServer(metrics.Handler(reg))
	t.Cleanup(srv.Close)

	rules, err := filepath.Abs("../../deployments/prometheus/rules/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	prom := promtest.Start(t, promtest.Options{Target: strings.TrimPrefix(srv.URL, "http://"), Rules: []string{rules}})
	// every series at zero is in Prometheus before the first call
	prom.WaitFor(t, "the first scrape", `count(tenesa_calls_total) > 0`, 30*time.Second,
		func(v []promtest.Sample) bool { return len(v) == 1 })

	mix := []struct {
		name   string
		n      int
		caller arisim.Caller
	}{
		{"identified caller talks to an agent", 3, arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "0"), talk)}},
		{"ticket status, served by the IVR", 2, arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "2"),
			menu("ask-service-id", sidDES+"#"), menu("offer-agent", "1"))}},
		{"ticket status, then an agent", 1, arisim.Caller{Number: aniUnknown, Script: steps(menu("ask-service-id", sidNoTicket+"#"),
			menu("menu-main", "2"), menu("offer-agent", "0"), talk)}},
		{"ticket status, hangs up when asked for the service", 1, arisim.Caller{Number: aniDES, Script: steps(menu("menu-main", "2"),
			[]arisim.Step{arisim.WaitForPrompt("ask-service-id"), hangUp})}},
		{"consumer redirected to 147", 2, arisim.Caller{Number: aniConsumer}},
		{"hangs up during the greeting", 1, arisim.Caller{Number: aniDES, Script: []arisim.Step{arisim.WaitForPrompt("greeting-"), hangUp}}},
		{"unidentified after three service IDs", 1, arisim.Caller{Number: aniUnknown, Script: steps(
			menu("ask-service-id", "111#"), menu("service-id-invalid", ""), menu("ask-service-id", "222#"),
			menu("service-id-invalid", ""), menu("ask-service-id", "333#"), talk)}},
		{"government caller talks to an agent", 1, arisim.Caller{Number: aniJayapura, Script: steps(menu("menu-main", "0"), talk)}},
	}
	var mu sync.Mutex
	var records []*router.Record
	t.Run("calls", func(t *testing.T) {
		for _, c := range mix {
			for i := range c.n {
				t.Run(fmt.Sprintf("%s %d", c.name, i+1), func(t *testing.T) {
					t.Parallel()
					r, _ := w.call(t, c.caller)
					mu.Lock()
					records = append(records, r)
					mu.Unlock()
				})
			}
		}
	})
	if t.Failed() {
		return
	}
	n := float64(len(records))

	// the last count scraped, then both rule groups evaluated two scrapes later
	prom.WaitFor(t, "every call scraped", `sum(tenesa_calls_total)`, 30*time.Second,
		func(v []promtest.Sample) bool { return len(v) == 1 && v[0].Value == n })
	ctx := context.Background()
	scraped, err := prom.Scalar(ctx, `max(timestamp(tenesa_calls_total))`)
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []string{"tenesa_ivr_containment:ratio5m", "tenesa_ivr_containment:ratio1h"} {
		prom.WaitFor(t, rule+" evaluated after the last scrape", `timestamp(`+rule+`)`, 30*time.Second,
			func(v []promtest.Sample) bool { return len(v) == 1 && v[0].Value > scraped+2 })
	}

	// raw counters: exactly the records
	want := map[string]float64{}
	for _, r := range records {
		seg := r.Segment
		if seg == "" {
			seg = metrics.Unidentified
		}
		want[seg+" "+string(r.Outcome)]++
	}
	raw, err := prom.Query(ctx, `sum by (segment, outcome) (tenesa_calls_total) > 0`)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, "tenesa_calls_total", raw, want, 1)

	var report strings.Builder
	fmt.Fprintf(&report, "\n%-70s %12s %12s\n", "recording rule", "prometheus", "records")
	for _, win := range []string{"5m", "1h"} {
		rule := "segment_outcome:tenesa_calls:increase" + win
		got, err := prom.Query(ctx, rule+` > 0`)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, s := range got {
			sum += s.Value
		}
		k := sum / n
		if k < 1 || k > 1.25 {
			t.Errorf("%s: extrapolation factor %.4f (sum %.3f over %v records), want within [1, 1.25]", rule, k, sum, n)
		}
		checkCounts(t, rule, got, want, k)
		for _, s := range got {
			key := s.Labels["segment"] + " " + s.Labels["outcome"]
			fmt.Fprintf(&report, "%-70s %12.4f %12.0f\n", rule+"{"+key+"} / k", s.Value/k, want[key])
		}
		fmt.Fprintf(&report, "%-70s %12.4f %12s\n", "  k (extrapolation of increase, same for all)", k, "")
		for _, f := range ivrFigures {
			var num, den float64
			for _, r := range records {
				num += f.num(r)
				den += f.den(r)
			}
			if den == 0 {
				t.Fatalf("%s: the mix has no call it counts", f.name)
			}
			got, err := prom.Scalar(ctx, f.name+win)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&report, "%-70s %12.6f %12.6f (%v/%v)\n", f.name+win, got, num/den, num, den)
			if math.Abs(got-num/den) > 1e-9 {
				t.Errorf("%s%s = %v, records give %v/%v = %v", f.name, win, got, num, den, num/den)
			}
		}
	}
	t.Log(report.String())

	// the controller's own figures came through the same scrape
	for _, q := range []string{`up{job="tenesa-ivr"} == 1`, `tenesa_ari_connected == 1`,
		`sum(tenesa_ari_events_total) > 0`, `sum(tenesa_ari_request_duration_seconds_count) > 0`,
		`sum(tenesa_ivr_stage_duration_seconds_count) > 0`,
		`tenesa_handling_records_total{result="ok"} == ` + fmt.Sprint(n)} {
		if v, err := prom.Query(ctx, q); err != nil || len(v) != 1 {
			t.Errorf("%s: %v %v, want one sample", q, v, err)
		}
	}
}

// checkCounts compares counts by "segment outcome" (divided by k) with want.
func checkCounts(t *testing.T, what string, got []promtest.Sample, want map[string]float64, k float64) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range got {
		key := s.Labels["segment"] + " " + s.Labels["outcome"]
		seen[key] = true
		if math.Abs(s.Value/k-want[key]) > 1e-6 {
			t.Errorf("%s{%s} = %v (÷k %v), records give %v", what, key, s.Value, s.Value/k, want[key])
		}
	}
	for key, v := range want {
		if !seen[key] {
			t.Errorf("%s{%s} missing, records give %v", what, key, v)
		}
	}
}
