package segmentation

import "time"

// LookupKind is what was looked up; a closed set, safe as a metric label.
type LookupKind string

// Look-up kinds.
const (
	KindANI      LookupKind = "ani"
	KindSID      LookupKind = "sid"
	KindTicket   LookupKind = "ticket"
	KindIncident LookupKind = "incident"
)

// LookupResult is how a look-up ended; a closed set, safe as a metric label.
type LookupResult string

// Look-up results.
const (
	ResultHitCache       LookupResult = "hit_cache"       // answered from the in-process cache (positive)
	ResultHitRedis       LookupResult = "hit_redis"       // found in Redis
	ResultUnknown        LookupResult = "unknown"         // not in the data set (from Redis or the negative cache)
	ResultUnknownSegment LookupResult = "unknown_segment" // found, but its segment is not configured: unidentified
	ResultInvalid        LookupResult = "invalid"         // the number or ID is malformed; Redis not asked
	ResultDegraded       LookupResult = "degraded"        // Redis slow, failing or unreachable within the budget
	ResultBreakerOpen    LookupResult = "breaker_open"    // not asked: the breaker is open after repeated failures
	// ResultCancelled: the look-up's own context ended first (the caller
	// hung up); says nothing about Redis and does not feed the breaker.
	ResultCancelled LookupResult = "cancelled"
)

// LookupResults lists every LookupResult, for pre-registering metric series.
var LookupResults = []LookupResult{ResultHitCache, ResultHitRedis, ResultUnknown, ResultUnknownSegment, ResultInvalid, ResultDegraded, ResultBreakerOpen, ResultCancelled}

// LookupKinds lists every LookupKind.
var LookupKinds = []LookupKind{KindANI, KindSID, KindTicket, KindIncident}

// Observer receives one call per look-up. Implementations must be cheap and
// safe for concurrent use; the metrics package wires one to Prometheus.
type Observer interface {
	LookupDone(kind LookupKind, result LookupResult, d time.Duration)
}

// NopObserver discards everything.
type NopObserver struct{}

// LookupDone implements Observer.
func (NopObserver) LookupDone(LookupKind, LookupResult, time.Duration) {}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(kind LookupKind, result LookupResult, d time.Duration)

// LookupDone implements Observer.
func (f ObserverFunc) LookupDone(kind LookupKind, result LookupResult, d time.Duration) {
	f(kind, result, d)
}
