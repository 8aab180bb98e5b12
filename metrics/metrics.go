// Package metrics holds every Prometheus collector of tenesa-ivr in one
// place. The registerer is injected (never the global registry), and every
// label takes its values from a closed set or from configuration — never
// from a caller number.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "tenesa"

// Metrics is the set of collectors. A nil *Metrics is valid and records nothing,
// so packages under test need no registry.
type Metrics struct {
	calls          *prometheus.CounterVec
	stageDuration  *prometheus.HistogramVec
	greetings      *prometheus.CounterVec
	ariConnected   prometheus.Gauge
	ariReconnects  prometheus.Counter
	ariEvents      *prometheus.CounterVec
	ariUnknown     *prometheus.CounterVec
	ariReqFailures *prometheus.CounterVec
	callsStarted   *prometheus.CounterVec
	lookups        *prometheus.CounterVec
	lookupDuration *prometheus.HistogramVec
	records        *prometheus.CounterVec
	appReplaced    prometheus.Counter
	eventsDropped  *prometheus.CounterVec
	resynced       *prometheus.CounterVec
}

// New registers every collector on reg. activeCalls is read at scrape time
// (so the gauge cannot drift); it may be nil.
func New(reg prometheus.Registerer, activeCalls func() float64) *Metrics {
	f := factory{reg}
	m := &Metrics{
		calls: f.counterVec("calls_total",
			"Calls ended, by segment and terminal outcome.", "segment", "outcome"),
		stageDuration: f.histogramVec("ivr_stage_duration_seconds",
			"Time callers spend in each IVR stage.", []float64{.25, .5, 1, 2, 4, 8, 15, 30, 60}, "stage"),
		greetings: f.counterVec("greetings_total",
			"Standard greetings played, by band and whether the caller heard it to the end.", "band", "completed"),
		ariConnected: f.gauge("ari_connected", "1 while the ARI events WebSocket is connected."),
		ariReconnects: f.counter("ari_reconnects_total",
			"ARI WebSocket (re)connections after the first."),
		ariEvents: f.counterVec("ari_events_total", "ARI events received, by type.", "type"),
		ariUnknown: f.counterVec("ari_unknown_events_total",
			"ARI events of types the client library cannot decode, dropped.", "type"),
		ariReqFailures: f.counterVec("ari_request_failures_total",
			"ARI REST requests that failed, by operation and HTTP status (0: no response).", "op", "status"),
		callsStarted: f.counterVec("calls_started_total",
			"Calls taken into the application, by how (stasis_start or adopted after a reconnect).", "how"),
		lookups: f.counterVec("segmentation_lookups_total",
			"Customer look-ups, by key kind (ani, sid) and result.", "kind", "result"),
		lookupDuration: f.histogramVec("segmentation_lookup_duration_seconds",
			"Customer look-up latency including cache and Redis.",
			[]float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .15, .25}, "kind"),
		appReplaced: f.counter("ari_application_replaced_total",
			"Times another connection took over our ARI application (we get no more events)."),
		eventsDropped: f.counterVec("ari_events_dropped_total",
			"Call events dropped because a call's inbox was full, by type.", "type"),
		resynced: f.counterVec("ari_resync_channels_total",
			"Channels found by the resync after a (re)connect: adopted (new handler) or gone.", "result"),
		records: f.counterVec("handling_records_total",
			"Handling record writes to the records stream, by result: ok; error (a failed attempt, "+
				"the record is kept and retried); dropped (write buffer full, the record is only in the log).", "result"),
	}
	if activeCalls != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "active_calls", Help: "Calls in progress in this controller.",
		}, activeCalls))
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

// CallOutcome counts one terminal outcome.
func (m *Metrics) CallOutcome(segment, outcome string) {
	if m == nil {
		return
	}
	if segment == "" {
		segment = "unidentified"
	}
	m.calls.WithLabelValues(segment, outcome).Inc()
}

// StageDone observes the time spent in one IVR stage.
func (m *Metrics) StageDone(stage string, d time.Duration) {
	if m == nil {
		return
	}
	m.stageDuration.WithLabelValues(stage).Observe(d.Seconds())
}

// Greeting counts a greeting played.
func (m *Metrics) Greeting(band string, completed bool) {
	if m == nil {
		return
	}
	c := "false"
	if completed {
		c = "true"
	}
	m.greetings.WithLabelValues(band, c).Inc()
}

// RecordWritten counts handling records by result.
func (m *Metrics) RecordWritten(err error) {
	if m == nil {
		return
	}
	r := "ok"
	if err != nil {
		r = "error"
	}
	m.records.WithLabelValues(r).Inc()
}

// RecordDropped counts a handling record dropped from a full write buffer.
func (m *Metrics) RecordDropped() {
	if m == nil {
		return
	}
	m.records.WithLabelValues("dropped").Inc()
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

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}

// Lookup counts one customer look-up and observes its latency. kind and
// result come from segmentation's closed sets.
func (m *Metrics) Lookup(kind, result string, d time.Duration) {
	if m == nil {
		return
	}
	m.lookups.WithLabelValues(kind, result).Inc()
	m.lookupDuration.WithLabelValues(kind).Observe(d.Seconds())
}
