package arisim

import (
	"context"
	"net/http"
	"time"
)

// Hooks lets a measurement watch the simulator at work: the bench command
// times call set-ups (StasisStart written → greeting play requested) and
// dispatches (agent ready → originate requested) with them, and counts the
// requests a set-up needs. Every func is optional. They are called
// synchronously on the simulator's goroutines, some with its lock held:
// they must be quick and must not call the Server.
type Hooks struct {
	// Request: a REST request arrived (before authentication and routing).
	Request func(method, path string, at time.Time)
	// EventWritten: an event of type typ about channel channelID ("" when
	// it names none) was written to an events socket; at is when the
	// write started.
	EventWritten func(typ, channelID string, at time.Time)
	// Play: a play request for channel channelID with these media URIs
	// arrived at at (the time it was received, not when it was handled).
	Play func(channelID string, media []string, at time.Time)
	// Originate: an originate of endpoint arrived at at.
	Originate func(endpoint string, at time.Time)
}

// wsMsg is one queued events-socket message; typ and channel are filled
// only when Hooks.EventWritten is set.
type wsMsg struct {
	b            []byte
	typ, channel string
}

type receivedKey struct{}

// withHooks stamps each request with its arrival time and reports it.
func (s *Server) withHooks(next http.Handler) http.Handler {
	h := s.opts.Hooks
	if h.Request == nil && h.Play == nil && h.Originate == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		if h.Request != nil {
			h.Request(r.Method, r.URL.Path, at)
		}
		if h.Play != nil || h.Originate != nil {
			r = r.WithContext(context.WithValue(r.Context(), receivedKey{}, at))
		}
		next.ServeHTTP(w, r)
	})
}

// receivedAt is when r arrived (withHooks), or now.
func receivedAt(r *http.Request) time.Time {
	if at, ok := r.Context().Value(receivedKey{}).(time.Time); ok {
		return at
	}
	return time.Now()
}

// eventNote finds an event's type and channel id (for Hooks.EventWritten).
func eventNote(e obj) (typ, channel string) {
	for _, m := range e {
		switch m.k {
		case "type":
			typ, _ = m.v.(string)
		case "channel":
			if c, ok := m.v.(channelJSON); ok {
				channel = c.ID
			}
		}
	}
	return typ, channel
}
