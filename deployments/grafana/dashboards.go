// Package grafana generates the TENESA Grafana dashboards as code (the
// Grafana Foundation SDK). `tenesa-ivr dashboards` writes them to
// deployments/grafana/dashboards, where the provisioning picks them up; a
// test keeps the committed JSON equal to what this code generates.
package grafana

//lint:file-ignore SA1019 the v1 dashboard model (dashboard.DashboardBuilder) is what Grafana's file provisioning loads in every version; the v2 model the SDK prefers needs Grafana 12's experimental dashboard API.

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// DatasourceUID is the uid of the Prometheus data source the provisioning
// creates (provisioning/datasources/prometheus.yml).
const DatasourceUID = "tenesa-prometheus"

var ds = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr(DatasourceUID)}

// Files returns each dashboard's file name and JSON.
func Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, b := range map[string]*dashboard.DashboardBuilder{
		"tenesa-operations.json":        operations(),
		"tenesa-controller-health.json": controllerHealth(),
	} {
		d, err := b.Build()
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", name, err)
		}
		for i, p := range d.Panels { // unique panel ids (links, and Grafana's own bookkeeping)
			switch {
			case p.Panel != nil:
				p.Panel.Id = cog.ToPtr(uint32(i + 1))
			case p.RowPanel != nil:
				p.RowPanel.Id = uint32(i + 1)
			}
		}
		j, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", name, err)
		}
		out[name] = append(j, '\n')
	}
	return out, nil
}

func query(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(ds).Expr(expr).LegendFormat(legend)
}

// series is a time-series panel of one or more queries.
func series(title, desc, unit string, w uint32, qs ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().Title(title).Description(desc).Datasource(ds).
		Unit(unit).Height(8).Span(w).Min(0).FillOpacity(10).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).
			DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom))
	for _, q := range qs {
		p = p.WithTarget(q)
	}
	return p
}

// ratio is a time series of shares (0–1), drawn 0–100 %.
func ratio(title, desc string, w uint32, qs ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	return series(title, desc, "percentunit", w, qs...).Max(1)
}

// kpi is a single figure over the last hour, coloured red under red, green
// from green.
func kpi(title, desc, expr string, red, green float64) *stat.PanelBuilder {
	return stat.NewPanelBuilder().Title(title).Description(desc).Datasource(ds).
		Unit("percentunit").Decimals(1).Height(5).Span(6).Min(0).Max(1).
		GraphMode(common.BigValueGraphModeArea).ColorMode(common.BigValueColorModeValue).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps([]dashboard.Threshold{
			{Value: nil, Color: "red"}, {Value: cog.ToPtr(red), Color: "orange"}, {Value: cog.ToPtr(green), Color: "green"},
		})).
		WithTarget(query(expr, title))
}

func labelVariable(name, label, q string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(name).Label(label).Datasource(ds).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).Definition(q).
		Multi(true).IncludeAll(true).AllValue(".*").
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).Sort(dashboard.VariableSortAlphabeticalAsc)
}

const q = `queue=~"$queue"`

// operations is "TENESA operations": queues, agents, calls and the SOP KPIs.
func operations() *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder("TENESA operations").
		Uid("tenesa-operations").
		Description("Queues, agents, calls by segment and outcome, and the SOP KPIs of the TENESA line. Definitions: deployments/prometheus/README.md.").
		Tags([]string{"tenesa"}).Refresh("30s").Time("now-6h", "now").Timezone("browser").
		WithVariable(labelVariable("queue", "Queue", "label_values(tenesa_queue_entered_total, queue)")).
		WithRow(dashboard.NewRowBuilder("Queues")).
		WithPanel(series("Calls waiting", "Calls waiting in each queue now.", "none", 6,
			query(`max by (queue) (tenesa_queue_calls_waiting{`+q+`})`, "{{queue}}"))).
		WithPanel(series("Oldest wait", "How long the caller waiting longest has waited, against the queue's maximum wait.", "s", 6,
			query(`max by (queue) (tenesa_queue_oldest_wait_seconds{`+q+`})`, "{{queue}}"),
			query(`max by (queue) (tenesa_queue_max_wait_seconds{`+q+`})`, "{{queue}} maximum"))).
		WithPanel(ratio("Service level (5m)", "Answered within the queue's threshold / calls that ended their wait, short abandons excluded; dashed: target.", 12,
			query(`queue:tenesa_service_level:ratio5m{`+q+`}`, "{{queue}}"),
			query(`max by (queue) (tenesa_queue_service_level_target_ratio{`+q+`})`, "{{queue}} target"))).
		WithPanel(series("Average speed of answer (5m)", "Mean wait of the calls answered.", "s", 8,
			query(`queue:tenesa_asa_seconds:avg5m{`+q+`}`, "{{queue}}"))).
		WithPanel(series("Average handle time (5m)", "Talk plus wrap-up per answered call.", "s", 8,
			query(`queue:tenesa_aht_seconds:avg5m{`+q+`}`, "{{queue}}"))).
		WithPanel(ratio("Abandonment (5m)", "Callers who hung up while waiting (short abandons excluded) / calls that ended their wait.", 8,
			query(`queue:tenesa_abandonment:ratio5m{`+q+`}`, "{{queue}}"))).
		WithPanel(series("Agents by state", "Each agent once, by state.", "none", 12,
			query(`max by (state) (tenesa_agents)`, "{{state}}")).
			Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal))).
		WithPanel(series("Queue agents available", "Available member agents of each queue.", "none", 12,
			query(`max by (queue) (tenesa_queue_agents{state="available",`+q+`})`, "{{queue}}"))).
		WithRow(dashboard.NewRowBuilder("Calls")).
		WithPanel(series("Calls by segment and outcome (per 5m)", "Calls ended in the last 5 minutes.", "none", 12,
			query(`segment_outcome:tenesa_calls:increase5m`, "{{segment}} {{outcome}}"))).
		WithPanel(series("Escalations by reason (per 5m)", "Calls escalated in the last 5 minutes.", "none", 6,
			query(`reason:tenesa_escalations:increase5m`, "{{reason}}"))).
		WithPanel(series("Wrong-segment calls by segment (per 5m)", "Callers of a segment this line does not serve, redirected.", "none", 6,
			query(`segment:tenesa_calls_wrong_segment:increase5m`, "{{segment}}"))).
		WithRow(dashboard.NewRowBuilder("SOP KPIs (last hour)")).
		WithPanel(kpi("Greeting to standard", "Greetings heard to their end / greetings played.", `tenesa_greeting_standard:ratio1h`, 0.9, 0.98)).
		WithPanel(kpi("Segmentation conformity", "Identified callers of a segment this line serves / identified callers.", `tenesa_segment_conformity:ratio1h`, 0.9, 0.97)).
		WithPanel(kpi("Needs recorded", "Agent-handled calls with a disposition / agent-handled calls.", `tenesa_needs_recorded:ratio1h`, 0.9, 0.98)).
		WithPanel(kpi("Further help offered", "Dispositions saying further help was offered / dispositions.", `tenesa_further_help_offered:ratio1h`, 0.9, 0.98)).
		WithPanel(kpi("Standard closing", "Dispositions saying the standard closing was given / dispositions.", `tenesa_standard_closing:ratio1h`, 0.9, 0.98)).
		WithPanel(kpi("Complaint-status self-service", "Calls that chose ticket status and ended served by the IVR / calls that chose it.", `tenesa_ticket_status_self_service:ratio1h`, 0.3, 0.6)).
		WithPanel(kpi("IVR containment", "Calls self-served in the IVR / calls not redirected to another line.", `tenesa_ivr_containment:ratio1h`, 0.1, 0.25)).
		WithPanel(kpi("Service level (all queues)", "Answered within threshold / calls that ended their wait, every queue.", `tenesa_service_level:ratio1h`, 0.7, 0.8))
}

// controllerHealth is "Controller health": ARI, Redis, calls, runtime.
func controllerHealth() *dashboard.DashboardBuilder {
	const i = `instance=~"$instance"`
	return dashboard.NewDashboardBuilder("Controller health").
		Uid("tenesa-controller-health").
		Description("ARI connection and events, Redis look-ups, calls, handling records and the Go runtime of each tenesa-ivr controller.").
		Tags([]string{"tenesa"}).Refresh("30s").Time("now-3h", "now").Timezone("browser").
		WithVariable(labelVariable("instance", "Controller", `label_values(tenesa_ari_connected, instance)`)).
		WithRow(dashboard.NewRowBuilder("ARI")).
		WithPanel(series("ARI connected", "1 while the events WebSocket is up; scrape up beside it.", "none", 8,
			query(`tenesa_ari_connected{`+i+`}`, "{{instance}} ARI"),
			query(`up{job="tenesa-ivr",`+i+`}`, "{{instance}} scrape")).Max(1)).
		WithPanel(series("ARI reconnects and takeovers", "WebSocket reconnections and application takeovers.", "none", 8,
			query(`sum by (instance) (increase(tenesa_ari_reconnects_total{`+i+`}[$__rate_interval]))`, "{{instance}} reconnects"),
			query(`sum by (instance) (increase(tenesa_ari_application_replaced_total{`+i+`}[$__rate_interval]))`, "{{instance}} replaced"))).
		WithPanel(series("ARI event rate", "Events per second by type.", "ops", 8,
			query(`sum by (type) (rate(tenesa_ari_events_total{`+i+`}[$__rate_interval]))`, "{{type}}"),
			query(`sum(rate(tenesa_ari_events_dropped_total{`+i+`}[$__rate_interval]))`, "dropped"))).
		WithPanel(series("ARI request latency p95", "95th percentile of ARI REST round trips, by operation.", "s", 12,
			query(`histogram_quantile(0.95, sum by (le, op) (rate(tenesa_ari_request_duration_seconds_bucket{`+i+`}[$__rate_interval])))`, "{{op}}"))).
		WithPanel(series("ARI request failures", "Failed requests per second by operation and status (0: no answer).", "ops", 12,
			query(`sum by (op, status) (rate(tenesa_ari_request_failures_total{`+i+`}[$__rate_interval]))`, "{{op}} {{status}}"))).
		WithRow(dashboard.NewRowBuilder("Redis look-ups")).
		WithPanel(series("Look-up latency", "Customer look-up latency (cache and Redis) p50 and p99.", "s", 12,
			query(`histogram_quantile(0.5, sum by (le) (rate(tenesa_segmentation_lookup_duration_seconds_bucket{`+i+`}[$__rate_interval])))`, "p50"),
			query(`histogram_quantile(0.99, sum by (le) (rate(tenesa_segmentation_lookup_duration_seconds_bucket{`+i+`}[$__rate_interval])))`, "p99"))).
		WithPanel(series("Look-ups by result", "Per second; degraded and breaker_open are Redis errors.", "ops", 12,
			query(`sum by (result) (rate(tenesa_segmentation_lookups_total{`+i+`}[$__rate_interval]))`, "{{result}}"))).
		WithRow(dashboard.NewRowBuilder("Calls and runtime")).
		WithPanel(series("Active calls", "Calls in progress in each controller.", "none", 8,
			query(`tenesa_active_calls{`+i+`}`, "{{instance}}"))).
		WithPanel(series("Handling records", "Records written per second, by result.", "ops", 8,
			query(`sum by (result) (rate(tenesa_handling_records_total{`+i+`}[$__rate_interval]))`, "{{result}}"))).
		WithPanel(series("Calls started", "Calls taken per second: new (stasis_start) or adopted after a reconnect.", "ops", 8,
			query(`sum by (how) (rate(tenesa_calls_started_total{`+i+`}[$__rate_interval]))`, "{{how}}"))).
		WithPanel(series("Goroutines", "Go goroutines of each controller.", "none", 12,
			query(`go_goroutines{job="tenesa-ivr",`+i+`}`, "{{instance}}"))).
		WithPanel(series("Memory", "Resident memory and Go heap in use.", "bytes", 12,
			query(`process_resident_memory_bytes{job="tenesa-ivr",`+i+`}`, "{{instance}} resident"),
			query(`go_memstats_heap_inuse_bytes{job="tenesa-ivr",`+i+`}`, "{{instance}} heap")))
}
