package metrics_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
)

// *Metrics must satisfy the controller's observer port.
var _ ari.Observer = (*metrics.Metrics)(nil)

// … and counts broadcast claims.
var _ ari.ClaimObserver = (*metrics.Metrics)(nil)

// Every claim result the controller reports has its series at zero from
// the start (the closed set is written out in metrics, which does not
// import ari).
func TestEveryClaimResultHasASeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	metrics.New(reg, nil)
	got, err := testutil.CollectAndFormat(reg, expfmt.TypeTextPlain, "tenesa_ari_broadcast_claims_total")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ari.ClaimResults {
		if want := `tenesa_ari_broadcast_claims_total{result="` + string(r) + `"} 0`; !strings.Contains(string(got), want) {
			t.Errorf("want line %q in\n%s", want, got)
		}
	}
}

func TestNilMetricsIsSafe(t *testing.T) {
	var m *metrics.Metrics
	m.CallOutcome("DES", "agent_answered")
	m.Connected(true)
	m.RequestFailed("answer", 404)
	m.Greeting("pagi", true)
}

func TestCollectors(t *testing.T) {
	reg := prometheus.NewRegistry()
	active := 3.0
	m := metrics.New(reg, func() float64 { return active })
	m.CallOutcome("", "abandoned_ivr")
	m.CallOutcome("DES", "agent_answered")
	m.Connected(true)
	m.Reconnect()
	m.UnknownEvent("ChannelToneDetected")
	m.RequestFailed("answer", 404)
	m.CallStarted(true)
	m.Claim(string(ari.ClaimLost))

	tests := []struct {
		name, metric, want string
	}{
		{"outcome unidentified", "tenesa_calls_total", `tenesa_calls_total{outcome="abandoned_ivr",segment="unidentified"} 1`},
		{"outcome by segment", "tenesa_calls_total", `tenesa_calls_total{outcome="agent_answered",segment="DES"} 1`},
		{"connected", "tenesa_ari_connected", `tenesa_ari_connected 1`},
		{"reconnects", "tenesa_ari_reconnects_total", `tenesa_ari_reconnects_total 1`},
		{"unknown events", "tenesa_ari_unknown_events_total", `tenesa_ari_unknown_events_total{type="ChannelToneDetected"} 1`},
		{"request failures", "tenesa_ari_request_failures_total", `tenesa_ari_request_failures_total{op="answer",status="404"} 1`},
		{"adopted", "tenesa_calls_started_total", `tenesa_calls_started_total{how="adopted"} 1`},
		{"claims lost", "tenesa_ari_broadcast_claims_total", `tenesa_ari_broadcast_claims_total{result="lost"} 1`},
		{"active calls at scrape", "tenesa_active_calls", `tenesa_active_calls 3`},
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
}
