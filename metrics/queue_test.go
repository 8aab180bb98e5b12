package metrics_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/tenesa-ivr/tenesa-ivr/metrics"
)

func newConfigured(t *testing.T) (*prometheus.Registry, *metrics.Metrics) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, nil)
	m.Configure(metrics.Config{
		Segments: []string{"DES", "CONSUMER"},
		Queues: map[string]metrics.QueueTargets{
			"general": {ServiceLevelThreshold: 20 * time.Second, ServiceLevelTarget: 0.8, ShortAbandon: 5 * time.Second, MaxWait: 5 * time.Minute},
			"billing": {}, // defaults: 20 s, 0.8, no short-abandon exclusion, no maximum
		},
	})
	return reg, m
}

func value(t *testing.T, reg *prometheus.Registry, metric string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != metric {
			continue
		}
	next:
		for _, mm := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range mm.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue next
				}
			}
			switch {
			case mm.Counter != nil:
				return mm.GetCounter().GetValue()
			case mm.Gauge != nil:
				return mm.GetGauge().GetValue()
			case mm.Histogram != nil:
				return float64(mm.GetHistogram().GetSampleCount())
			}
		}
	}
	t.Fatalf("no series %s%v", metric, labels)
	return 0
}

func TestServiceLevelIsCountedAgainstEachQueuesThreshold(t *testing.T) {
	reg, m := newConfigured(t)
	m.QueueAnswered("general", 20*time.Second)   // at the threshold: within (<=, as app_queue)
	m.QueueAnswered("general", 20*time.Second+1) // just past: not within
	m.QueueAnswered("billing", 3*time.Second)    // default threshold 20 s
	m.QueueAnswered("billing", 25*time.Second)   // past it
	m.QueueAnswered("unconfigured", time.Second) // default threshold too
	tests := []struct {
		name  string
		queue string
		want  float64
	}{
		{"general within", "general", 1},
		{"billing within", "billing", 1},
		{"a queue missing from the config uses the default threshold", "unconfigured", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := value(t, reg, "tenesa_queue_answered_within_threshold_total", "queue", tt.queue); got != tt.want {
				t.Errorf("within threshold = %v, want %v", got, tt.want)
			}
		})
	}
	if got := value(t, reg, "tenesa_queue_wait_seconds", "queue", "general", "outcome", "answered"); got != 2 {
		t.Errorf("answered waits observed = %v, want 2", got)
	}
}

func TestShortAbandonsAreCountedUnderTheQueuesThreshold(t *testing.T) {
	reg, m := newConfigured(t)
	m.QueueAbandoned("general", 4*time.Second) // short (< 5 s)
	m.QueueAbandoned("general", 5*time.Second) // not short
	m.QueueAbandoned("billing", time.Second)   // billing excludes nothing
	m.QueueOverflowed("general", 5*time.Minute)
	if got := value(t, reg, "tenesa_queue_abandoned_short_total", "queue", "general"); got != 1 {
		t.Errorf("general short abandons = %v, want 1", got)
	}
	if got := value(t, reg, "tenesa_queue_abandoned_short_total", "queue", "billing"); got != 0 {
		t.Errorf("billing short abandons = %v, want 0", got)
	}
	if got := value(t, reg, "tenesa_queue_wait_seconds", "queue", "general", "outcome", "abandoned"); got != 2 {
		t.Errorf("general abandons = %v, want 2", got)
	}
	if got := value(t, reg, "tenesa_queue_wait_seconds", "queue", "general", "outcome", "overflowed"); got != 1 {
		t.Errorf("general overflows = %v, want 1", got)
	}
}

func TestConfigureCreatesSeriesAtZeroAndExportsTargets(t *testing.T) {
	reg, _ := newConfigured(t)
	tests := []struct {
		name   string
		metric string
		labels []string
		want   float64
	}{
		{"calls of a configured segment", "tenesa_calls_total", []string{"segment", "CONSUMER", "outcome", "wrong_segment"}, 0},
		{"calls of unidentified callers", "tenesa_calls_total", []string{"segment", "unidentified", "outcome", "self_served"}, 0},
		{"queue offered", "tenesa_queue_entered_total", []string{"queue", "billing"}, 0},
		{"SL threshold", "tenesa_queue_service_level_threshold_seconds", []string{"queue", "general"}, 20},
		{"SL target default", "tenesa_queue_service_level_target_ratio", []string{"queue", "billing"}, 0.8},
		{"short abandon", "tenesa_queue_short_abandon_threshold_seconds", []string{"queue", "general"}, 5},
		{"max wait", "tenesa_queue_max_wait_seconds", []string{"queue", "general"}, 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := value(t, reg, tt.metric, tt.labels...); got != tt.want {
				t.Errorf("%s%v = %v, want %v", tt.metric, tt.labels, got, tt.want)
			}
		})
	}
	// a queue without a maximum wait has no max-wait series (the alert
	// cannot compare against it)
	n, err := testutil.GatherAndCount(reg, "tenesa_queue_max_wait_seconds")
	if err != nil || n != 1 {
		t.Errorf("max-wait series = %d (%v), want 1 (general only)", n, err)
	}
}

func TestLiveFiguresAreReadAtScrapeTime(t *testing.T) {
	reg, m := newConfigured(t)
	waiting := 0
	m.SetLive(func() (metrics.Live, error) {
		return metrics.Live{
			Queues: []metrics.QueueLive{{Queue: "general", Waiting: waiting, OldestWait: time.Duration(waiting) * 10 * time.Second,
				Agents: map[metrics.AgentState]int{metrics.AgentAvailable: 1, metrics.AgentOnCall: 2}},
				{Queue: "general", Waiting: 99}}, // a duplicate must not break the scrape
			Agents: map[metrics.AgentState]int{metrics.AgentAvailable: 1, metrics.AgentOnCall: 2, metrics.AgentPaused: 1},
		}, nil
	})
	waiting = 3
	if got := value(t, reg, "tenesa_queue_calls_waiting", "queue", "general"); got != 3 {
		t.Errorf("waiting = %v, want 3", got)
	}
	if got := value(t, reg, "tenesa_queue_oldest_wait_seconds", "queue", "general"); got != 30 {
		t.Errorf("oldest = %v, want 30", got)
	}
	if got := value(t, reg, "tenesa_queue_agents", "queue", "general", "state", "wrap_up"); got != 0 {
		t.Errorf("wrap_up agents = %v, want 0 (every state is reported)", got)
	}
	if got := value(t, reg, "tenesa_agents", "state", "paused"); got != 1 {
		t.Errorf("paused agents = %v, want 1", got)
	}
	if got := value(t, reg, "tenesa_acd_figures_up"); got != 1 {
		t.Errorf("figures up = %v, want 1", got)
	}
	m.SetLive(func() (metrics.Live, error) { return metrics.Live{}, errors.New("redis: i/o timeout") })
	if got := value(t, reg, "tenesa_acd_figures_up"); got != 0 {
		t.Errorf("figures up after a failed read = %v, want 0", got)
	}
	if n, _ := testutil.GatherAndCount(reg, "tenesa_queue_calls_waiting"); n != 0 {
		t.Errorf("calls waiting reported from a failed read: %d series", n)
	}
	m.SetLive(nil)
	if n, _ := testutil.GatherAndCount(reg, "tenesa_acd_figures_up"); n != 0 {
		t.Errorf("figures up still reported without a live source: %d series", n)
	}
}

func TestDispositionWithoutRecordSaysNothingElse(t *testing.T) {
	reg, m := newConfigured(t)
	m.Disposition(false, true, true) // nothing recorded: the other two cannot be true
	m.Disposition(true, true, false)
	if got := value(t, reg, "tenesa_dispositions_total", "recorded", "false", "further_help", "false", "closing", "false"); got != 1 {
		t.Errorf("not recorded = %v, want 1", got)
	}
	if got := value(t, reg, "tenesa_dispositions_total", "recorded", "true", "further_help", "true", "closing", "false"); got != 1 {
		t.Errorf("recorded with further help = %v, want 1", got)
	}
	out, err := testutil.CollectAndFormat(reg, expfmt.TypeTextPlain, "tenesa_dispositions_total")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), `recorded="false",further_help="true"`) {
		t.Errorf("a disposition not recorded claims further help:\n%s", out)
	}
}

func TestNilMetricsRecordsNothingForQueueFigures(t *testing.T) {
	var m *metrics.Metrics
	m.Configure(metrics.Config{Segments: []string{"DES"}})
	m.QueueEntered("general")
	m.QueueAnswered("general", time.Second)
	m.QueueAbandoned("general", time.Second)
	m.QueueOverflowed("general", time.Second)
	m.Talk("general", time.Minute)
	m.WrapUp("general", time.Minute)
	m.Escalation(metrics.EscalationAgent)
	m.Disposition(true, true, true)
	m.SetLive(func() (metrics.Live, error) { return metrics.Live{}, nil })
	m.Dispatched(time.Millisecond)
	m.SelfServiceEnded(metrics.SelfServiceTicketStatus, "self_served")
	m.RequestDone("answer", time.Millisecond)
}

// Dispatch latency is sub-millisecond on a healthy pool: the buckets must
// tell 300 µs from 1 ms.
func TestDispatchLatencyResolvesSubMillisecond(t *testing.T) {
	reg, m := newConfigured(t)
	m.Dispatched(300 * time.Microsecond)
	out, err := testutil.CollectAndFormat(reg, expfmt.TypeTextPlain, "tenesa_dispatch_latency_seconds")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `tenesa_dispatch_latency_seconds_bucket{le="0.0005"} 1`) {
		t.Errorf("300 µs not in the 0.5 ms bucket:\n%s", out)
	}
}
