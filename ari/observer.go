package ari

import "time"

// Observer receives the controller's metrics hooks. Implementations must be
// cheap and must not block: they are called on the event path. The metrics
// package wires it to Prometheus; this package does not import client_golang.
type Observer interface {
	// Connected reports the events WebSocket going up or down.
	Connected(up bool)
	// Reconnect counts a successful reconnection after a drop.
	Reconnect()
	// Event counts an event received, by its (known) type.
	Event(eventType string)
	// UnknownEvent counts an event dropped because the library cannot decode
	// its type (Asterisk 22 sends seven the v5.3.1 decoder does not know).
	UnknownEvent(eventType string)
	// ApplicationReplaced: another connection took our application; we get no
	// more events on this socket.
	ApplicationReplaced()
	// Resynced reports a finished resync after a (re)connect: channels
	// adopted (given a new handler) and calls found gone.
	Resynced(adopted, gone int)
	// CallStarted counts a call handed to the handler (adopted after a
	// reconnect or from StasisStart).
	CallStarted(adopted bool)
	// CallEnded counts a call goroutine ending.
	CallEnded()
	// RequestFailed counts a failed ARI request; status 0 = no HTTP status
	// (timeout, connection refused).
	RequestFailed(op string, status int)
	// EventDropped counts an event dropped because a call's inbox was full.
	EventDropped(eventType string)
}

// LatencyObserver is an Observer that also takes the latency of each ARI
// request that got an answer (success or HTTP error; not timeouts).
type LatencyObserver interface {
	RequestDone(op string, d time.Duration)
}

// NopObserver is the default Observer: it does nothing.
type NopObserver struct{}

// Connected implements Observer.
func (NopObserver) Connected(bool) {}

// Reconnect implements Observer.
func (NopObserver) Reconnect() {}

// Event implements Observer.
func (NopObserver) Event(string) {}

// UnknownEvent implements Observer.
func (NopObserver) UnknownEvent(string) {}

// ApplicationReplaced implements Observer.
func (NopObserver) ApplicationReplaced() {}

// Resynced implements Observer.
func (NopObserver) Resynced(int, int) {}

// CallStarted implements Observer.
func (NopObserver) CallStarted(bool) {}

// CallEnded implements Observer.
func (NopObserver) CallEnded() {}

// RequestFailed implements Observer.
func (NopObserver) RequestFailed(string, int) {}

// EventDropped implements Observer.
func (NopObserver) EventDropped(string) {}
