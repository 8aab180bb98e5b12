// Package metrics holds every Prometheus collector of tenesa-ivr in one
// place. The registerer is injected (never the global registry), and every
// label takes its values from a closed set or from configuration — never
// from a caller number or a customer id. Names follow Prometheus's
// conventions: namespace tenesa, base units (_seconds), counters _total.
// deployments/prometheus/README.md defines the figures built on them.
package metrics

import (
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "tenesa"

// Metrics is the set of collectors. A nil *Metrics is valid and records nothing,
// so packages under test need no registry.
type Metrics struct {
	// IVR and calls
	calls          *prometheus.CounterVec
	stageDuration  *prometheus.HistogramVec
	greetings      *prometheus.CounterVec
	selfService    *prometheus.CounterVec
	records        *prometheus.CounterVec
	lookups        *prometheus.CounterVec
	lookupDuration *prometheus.HistogramVec

	// ARI
	ariConnected   prometheus.Gauge
	ariReconnects  prometheus.Counter
	ariEvents      *prometheus.CounterVec
	ariUnknown     *prometheus.CounterVec
	ariReqFailures *prometheus.CounterVec
	ariReqDuration *prometheus.HistogramVec
	callsStarted   *prometheus.CounterVec
	appReplaced    prometheus.Counter
	eventsDropped  *prometheus.CounterVec
	resynced       *prometheus.CounterVec
	claims         *prometheus.CounterVec

	// queues and agents (fed by the ACD and the hand-off)
	queueEntered      *prometheus.CounterVec
	queueWait         *prometheus.HistogramVec
	queueWithin       *prometheus.CounterVec
	queueShortAbandon *prometheus.CounterVec
	talk              *prometheus.HistogramVec
	wrapUp            *prometheus.HistogramVec
	escalations       *prometheus.CounterVec
	dispositions      *prometheus.CounterVec
	dispatch          prometheus.Histogram

	// config is the current Config (queue targets, segments); live is the
	// ACD's snapshot function. Both are read at scrape time and on the
	// event path, written on start-up and reload.
	config atomic.Pointer[Config]
	live   atomic.Pointer[func() (Live, error)]
}

// Buckets, chosen for the ranges they measure (seconds).
var (
	// StageBuckets: IVR stages last from a fraction of a second (answer) to
	// a minute or two (identification with three attempts).
	StageBuckets = []float64{.25, .5, 1, 2, 4, 8, 15, 30, 60, 120}
	// LookupBuckets: in-process cache hits (~10µs) to the look-up budget.
	LookupBuckets = []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .15, .25}
	// ARIBuckets: REST round trips to Asterisk, a few ms to the request timeout.
	ARIBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}
	// WaitBuckets: queue waits, seconds to ten minutes. Service level does
	// not depend on them (it is counted directly, see QueueAnswered).
	WaitBuckets = []float64{1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600}
	// TalkBuckets: conversations, 15 seconds to an hour.
	TalkBuckets = []float64{15, 30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 3600}
	// DispatchBuckets: the ACD's matching of a call and an agent, 100µs to 100ms.
	DispatchBuckets = []float64{.0001, .00025, .0005, .001, .002, .005, .01, .025, .05, .1}
	// WrapUpBuckets: after-call work, seconds to ten minutes.
	WrapUpBuckets = []float64{5, 10, 15, 30, 45, 60, 90, 120, 180, 300, 600}
)

// New registers every collector on reg. activeCalls is read at scrape time
// (so the gauge cannot drift); it may be nil. Call Configure with the
// configured segments and queues to create their series at zero.
func New(reg prometheus.Registerer, activeCalls func() float64) *Metrics {
	f := factory{reg}
	m := &Metrics{
		calls: f.counterVec("calls_total",
			"Calls ended, by segment (\"unidentified\" when not identified) and terminal outcome.", "segment", "outcome"),
		stageDuration: f.histogramVec("ivr_stage_duration_seconds",
			"Time callers spend in each IVR stage.", StageBuckets, "stage"),
		greetings: f.counterVec("greetings_total",
			"Standard greetings played, by band and whether the caller heard it to the end.", "band", "completed"),
		selfService: f.counterVec("self_service_calls_total",
			"Calls that entered an IVR self-service (ticket_status), by the call's terminal outcome.", "service", "outcome"),
		lookups: f.counterVec("segmentation_lookups_total",
			"Customer look-ups, by key kind (ani, sid, ticket, incident) and result.", "kind", "result"),
		lookupDuration: f.histogramVec("segmentation_lookup_duration_seconds",
			"Customer look-up latency including cache and Redis.", LookupBuckets, "kind"),

		ariConnected: f.gauge("ari_connected", "1 while the ARI events WebSocket is connected."),
		ariReconnects: f.counter("ari_reconnects_total",
			"ARI WebSocket (re)connections after the first."),
		ariEvents: f.counterVec("ari_events_total", "ARI events received, by type.", "type"),
		ariUnknown: f.counterVec("ari_unknown_events_total",
			"ARI events of types the client library cannot decode, dropped.", "type"),
		ariReqFailures: f.counterVec("ari_request_failures_total",
			"ARI REST requests that failed, by operation and HTTP status (0: no response).", "op", "status"),
		ariReqDuration: f.histogramVec("ari_request_duration_seconds",
			"ARI REST request latency, by operation (answered requests, failed or not).", ARIBuckets, "op"),
		callsStarted: f.counterVec("calls_started_total",
			"Calls taken into the application, by how (stasis_start or adopted after a reconnect).", "how"),
		appReplaced: f.counter("ari_application_replaced_total",
			"Times another connection took over our ARI application (we get no more events)."),
		eventsDropped: f.counterVec("ari_events_dropped_total",
			"Call events dropped because a call's inbox was full, by type.", "type"),
		resynced: f.counterVec("ari_resync_channels_total",
			"Channels found by the resync after a (re)connect: adopted (new handler) or gone.", "result"),
		claims: f.counterVec("ari_broadcast_claims_total",
			"Broadcast calls (StasisBroadcast's CallBroadcast) by what this controller did: won (claimed, the call is ours), "+
				"lost (409, another controller was first), skipped (not ready, draining or at ari.max_calls), "+
				"failed (404: the broadcast was over, or no answer).", "result"),
		records: f.counterVec("handling_records_total",
			"Handling record writes to the records stream, by result: ok; error (a failed attempt, "+
				"the record is kept and retried); dropped (write buffer full, the record is only in the log).", "result"),

		queueEntered: f.counterVec("queue_entered_total",
			"Calls that entered a queue (offered).", "queue"),
		queueWait: f.histogramVec("queue_wait_seconds",
			"Time a call waited in a queue, by how the wait ended (answered, abandoned, overflowed).", WaitBuckets, "queue", "outcome"),
		queueWithin: f.counterVec("queue_answered_within_threshold_total",
			"Calls answered within their queue's service-level threshold (wait <= threshold).", "queue"),
		queueShortAbandon: f.counterVec("queue_abandoned_short_total",
			"Calls abandoned before their queue's short-abandon threshold (excluded from service level and abandonment).", "queue"),
		talk: f.histogramVec("queue_talk_seconds",
			"Talk time of calls answered by an agent, by queue.", TalkBuckets, "queue"),
		wrapUp: f.histogramVec("queue_wrap_up_seconds",
			"Agents' wrap-up (after-call work) time, by queue.", WrapUpBuckets, "queue"),
		escalations: f.counterVec("escalations_total",
			"Calls escalated, by reason (max_wait, repeat_caller, agent_request).", "reason"),
		dispositions: f.counterVec("dispositions_total",
			"Agent-handled calls at the end of wrap-up, by whether a disposition was recorded and what it says.",
			"recorded", "further_help", "closing"),
		dispatch: f.histogram("dispatch_latency_seconds",
			"From an agent or a call becoming ready to the offer handed to the call's owner.", DispatchBuckets),
	}
	if activeCalls != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "active_calls", Help: "Calls in progress in this controller.",
		}, activeCalls))
	}
	reg.MustRegister(queueCollector{m})
	m.config.Store(&Config{})
	m.initClosedSets()
	for _, r := range claimResults {
		m.claims.WithLabelValues(r)
	}
	return m
}

// Handler serves reg's metrics.
func Handler(reg prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// NewRegistry returns a registry with the Go and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

type factory struct{ reg prometheus.Registerer }

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}

func boolLabel(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
