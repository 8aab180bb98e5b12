package metrics

import "time"

// CallOutcome counts one terminal outcome. segment is the caller's
// configured segment ("" when not identified); outcome one of
// router.Outcomes.
func (m *Metrics) CallOutcome(segment, outcome string) {
	if m == nil {
		return
	}
	if segment == "" {
		segment = Unidentified
	}
	m.calls.WithLabelValues(segment, outcome).Inc()
}

// StageDone observes the time spent in one IVR stage (router.Stage).
func (m *Metrics) StageDone(stage string, d time.Duration) {
	if m == nil {
		return
	}
	m.stageDuration.WithLabelValues(stage).Observe(d.Seconds())
}

// Greeting counts a greeting played (SOP activity 1: the standard greeting
// heard to its end).
func (m *Metrics) Greeting(band string, completed bool) {
	if m == nil {
		return
	}
	m.greetings.WithLabelValues(band, boolLabel(completed)).Inc()
}

// SelfServiceEnded counts a call that entered a self-service (service:
// SelfServiceTicketStatus) by the call's terminal outcome; once per call,
// when it ends.
func (m *Metrics) SelfServiceEnded(service, outcome string) {
	if m == nil {
		return
	}
	m.selfService.WithLabelValues(service, outcome).Inc()
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

// Lookup counts one customer look-up and observes its latency. kind and
// result come from segmentation's closed sets.
func (m *Metrics) Lookup(kind, result string, d time.Duration) {
	if m == nil {
		return
	}
	m.lookups.WithLabelValues(kind, result).Inc()
	m.lookupDuration.WithLabelValues(kind).Observe(d.Seconds())
}

// RecordDropped counts a handling record dropped from a full write buffer.
func (m *Metrics) RecordDropped() {
	if m == nil {
		return
	}
	m.records.WithLabelValues("dropped").Inc()
}
