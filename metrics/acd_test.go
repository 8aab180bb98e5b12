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

func TestNilACDIsSafe(t *testing.T) {
	var m *metrics.ACD
	m.Escalation("max_wait")
	m.Dispatched(time.Millisecond)
	m.DispositionMissing("general")
}

// The queue gauges are read at scrape time from the acd (they cannot
// drift); a scrape that cannot read them says so instead of showing stale
// numbers.
func TestACDCollectors(t *testing.T) {
	reg := prometheus.NewRegistry()
	var fail bool
	m := metrics.NewACD(reg, func() (metrics.ACDFigures, error) {
		if fail {
			return metrics.ACDFigures{}, errors.New("redis down")
		}
		return metrics.ACDFigures{
			Queues:        []metrics.QueueFigures{{Queue: "general", Waiting: 3, OldestWait: 90 * time.Second}},
			AgentsByState: map[string]int{"available": 2, "on_call": 5},
		}, nil
	})
	m.Escalation("repeat_caller")
	m.Dispatched(300 * time.Microsecond)
	m.DispositionMissing("billing")
	tests := []struct {
		name, metric, want string
	}{
		{"waiting at scrape", "tenesa_queue_waiting_calls", `tenesa_queue_waiting_calls{queue="general"} 3`},
		{"oldest wait", "tenesa_queue_oldest_wait_seconds", `tenesa_queue_oldest_wait_seconds{queue="general"} 90`},
		{"agents by state", "tenesa_agents", `tenesa_agents{state="on_call"} 5`},
		{"figures up", "tenesa_acd_figures_up", `tenesa_acd_figures_up 1`},
		{"escalations", "tenesa_escalations_total", `tenesa_escalations_total{reason="repeat_caller"} 1`},
		{"dispatch latency", "tenesa_dispatch_latency_seconds", `tenesa_dispatch_latency_seconds_bucket{le="0.0005"} 1`},
		{"dispositions missing", "tenesa_dispositions_missing_total", `tenesa_dispositions_missing_total{queue="billing"} 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := testutil.CollectAndFormat(reg, expfmt.TypeTextPlain, tt.metric)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(got), tt.want) {
				t.Errorf("%s: want line %q in\n%s", tt.metric, tt.want, got)
			}
		})
	}
	fail = true
	got, err := testutil.CollectAndFormat(reg, expfmt.TypeTextPlain, "tenesa_acd_figures_up", "tenesa_queue_waiting_calls")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "tenesa_acd_figures_up 0") || strings.Contains(string(got), "waiting_calls{") {
		t.Errorf("failed scrape:\n%s", got)
	}
}
