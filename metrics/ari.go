package metrics

import (
	"strconv"
	"time"
)

// The methods below make *Metrics an ari.Observer (the ari package defines
// the interface; metrics does not import it). All are nil-safe and cheap:
// they run on the event path.

// Connected sets ari_connected.
func (m *Metrics) Connected(up bool) {
	if m == nil {
		return
	}
	if up {
		m.ariConnected.Set(1)
	} else {
		m.ariConnected.Set(0)
	}
}

// Reconnect counts a reconnection.
func (m *Metrics) Reconnect() {
	if m == nil {
		return
	}
	m.ariReconnects.Inc()
}

// Event counts an event of a type the library knows (a closed set).
func (m *Metrics) Event(eventType string) {
	if m == nil {
		return
	}
	m.ariEvents.WithLabelValues(eventType).Inc()
}

// UnknownEvent counts an event the library cannot decode. Its type is an
// Asterisk event name; Asterisk 22 has seven such, a bounded set.
func (m *Metrics) UnknownEvent(eventType string) {
	if m == nil {
		return
	}
	if len(eventType) > 40 {
		eventType = "other"
	}
	m.ariUnknown.WithLabelValues(eventType).Inc()
}

// ApplicationReplaced counts a takeover of our application.
func (m *Metrics) ApplicationReplaced() {
	if m == nil {
		return
	}
	m.appReplaced.Inc()
}

// CallStarted counts a call handed to the flow.
func (m *Metrics) CallStarted(adopted bool) {
	if m == nil {
		return
	}
	how := "stasis_start"
	if adopted {
		how = "adopted"
	}
	m.callsStarted.WithLabelValues(how).Inc()
}

// CallEnded is counted through CallOutcome, which knows the outcome.
func (m *Metrics) CallEnded() {}

// RequestFailed counts a failed ARI request.
func (m *Metrics) RequestFailed(op string, status int) {
	if m == nil {
		return
	}
	m.ariReqFailures.WithLabelValues(op, strconv.Itoa(status)).Inc()
}

// EventDropped counts an event lost because a call's inbox was full.
func (m *Metrics) EventDropped(eventType string) {
	if m == nil {
		return
	}
	m.eventsDropped.WithLabelValues(eventType).Inc()
}

// Resynced counts what a resync after a (re)connect found.
func (m *Metrics) Resynced(adopted, gone int) {
	if m == nil {
		return
	}
	m.resynced.WithLabelValues("adopted").Add(float64(adopted))
	m.resynced.WithLabelValues("gone").Add(float64(gone))
}

// RequestDone observes the latency of an ARI request that got an answer
// (success or HTTP error); op is the controller's closed set of operations.
func (m *Metrics) RequestDone(op string, d time.Duration) {
	if m == nil {
		return
	}
	m.ariReqDuration.WithLabelValues(op).Observe(d.Seconds())
}

// claimResults is the closed set of ari.ClaimResult values (metrics does
// not import ari); their series exist from the start at zero.
var claimResults = []string{"won", "lost", "skipped", "failed"}

// Claim counts what the controller did with a broadcast call; result is
// one of ari's ClaimResult constants (won, lost, skipped, failed).
func (m *Metrics) Claim(result string) {
	if m == nil {
		return
	}
	m.claims.WithLabelValues(result).Inc()
}
