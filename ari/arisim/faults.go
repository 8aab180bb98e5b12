package arisim

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"
)

// InjectRawEvent sends raw (one WebSocket text message, as is) to the
// app's current events socket, e.g. {"type":"SomethingNew"}.
func (s *Server) InjectRawEvent(app string, raw []byte) {
	s.lock()
	defer s.unlock()
	if a := s.apps[app]; a != nil && a.current != nil {
		s.enqueueRaw(a.current, slices.Clone(raw))
	}
}

// DropWebSockets closes every events socket without a close handshake, like
// a network cut. Channels stay in Stasis; events while no socket is
// connected are lost (transcript 10).
func (s *Server) DropWebSockets() {
	s.lock()
	defer s.unlock()
	s.log.Info().Int("sockets", len(s.sockets)).Msg("dropping every events socket")
	for ws := range s.sockets {
		ws.kill()
	}
}

// DropEvents loses every event for which match (event type and the id of
// its playback or channel) returns true, as if it went missing between
// Asterisk and the controller. restore removes the filter.
func (s *Server) DropEvents(match func(typ, id string) bool) (restore func()) {
	s.lock()
	defer s.unlock()
	s.dropEvents = match
	return func() {
		s.lock()
		defer s.unlock()
		s.dropEvents = nil
	}
}

// dropped reports whether the DropEvents filter loses e. Called with the
// lock held.
func (s *Server) dropped(e obj) bool {
	if s.dropEvents == nil {
		return false
	}
	var typ, id string
	for _, f := range e {
		switch f.k {
		case "type":
			typ, _ = f.v.(string)
		case "playback":
			if p, ok := f.v.(playbackJSON); ok {
				id = p.ID
			}
		case "channel":
			if c, ok := f.v.(channelJSON); ok && id == "" {
				id = c.ID
			}
		}
	}
	return s.dropEvents(typ, id)
}

type stall struct {
	match func(method, path string) bool
	d     time.Duration
}

// StallRequests makes matching REST requests wait d (real time) before
// they are handled. path is the URL path, e.g. "/ari/channels/123/answer".
// restore removes the stall.
func (s *Server) StallRequests(match func(method, path string) bool, d time.Duration) (restore func()) {
	st := &stall{match: match, d: d}
	s.lock()
	s.stalls[st] = struct{}{}
	s.unlock()
	return func() {
		s.lock()
		delete(s.stalls, st)
		s.unlock()
	}
}

type failure struct {
	match   func(method, path string) bool
	status  int
	message string
	times   int
}

// FailRequests answers the next times matching REST requests with status
// and Asterisk's error body {"message": message} without handling them,
// as Asterisk does when the resource went away under the request (e.g.
// 404 "Bridge not found" on POST /bridges/{id}/addChannel when the bridge
// was destroyed meanwhile). restore removes what is left of it.
func (s *Server) FailRequests(match func(method, path string) bool, status int, message string, times int) (restore func()) {
	f := &failure{match: match, status: status, message: message, times: times}
	s.lock()
	s.failures[f] = struct{}{}
	s.unlock()
	return func() {
		s.lock()
		delete(s.failures, f)
		s.unlock()
	}
}

func (s *Server) withStall(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.waitGates(r) {
			return
		}
		s.releaseHolds(r.Method, r.URL.Path)
		var d time.Duration
		s.lock()
		for f := range s.failures {
			if f.times > 0 && f.match(r.Method, r.URL.Path) {
				f.times--
				if f.times == 0 {
					delete(s.failures, f)
				}
				s.unlock()
				writeMsg(w, f.status, f.message)
				return
			}
		}
		for st := range s.stalls {
			if st.match(r.Method, r.URL.Path) && st.d > d {
				d = st.d
			}
		}
		late := s.lateFor(r.Method, r.URL.Path)
		s.unlock()
		if late > 0 {
			s.serveLate(w, r, next, late)
			return
		}
		if d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// SetBridgeAddDelay makes POST /bridges/{id}/addChannel take d (real time)
// before it is handled.
func (s *Server) SetBridgeAddDelay(d time.Duration) {
	s.lock()
	defer s.unlock()
	s.bridgeAddDelay = d
}

// Channels lists the ids of live channels (both halves of Local pairs).
func (s *Server) Channels() []string {
	s.lock()
	defer s.unlock()
	out := make([]string, 0, len(s.channels))
	for id := range s.channels {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// ActiveSockets is 1 when app has a current events socket, else 0
// (replaced sockets do not count).
func (s *Server) ActiveSockets(app string) int {
	s.lock()
	defer s.unlock()
	if s.appActive(app) {
		return 1
	}
	return 0
}

// isCurrentNewest reports whether the newest socket that connected for app
// is its current one (used by tests to know a connect was processed).
func (s *Server) isCurrentNewest(app string) bool {
	s.lock()
	defer s.unlock()
	a := s.apps[app]
	if a == nil || a.current == nil {
		return false
	}
	return a.current.seq == s.wsSeq
}

// Now is the simulator's current sim time.
func (s *Server) Now() time.Time {
	s.lock()
	defer s.unlock()
	return s.now()
}

// hold keeps an app's events back (HoldEvents).
type hold struct {
	app       string
	releaseOn func(method, path string) bool
	events    []obj
}

// HoldEvents keeps every event for app back, in order, as if it were still
// on the wire between Asterisk and the controller: nothing after it can
// overtake it. They are sent when a REST request matching releaseOn arrives
// (before that request is handled, so its own events follow them), or when
// release is called, whichever comes first. releaseOn may be nil.
func (s *Server) HoldEvents(app string, releaseOn func(method, path string) bool) (release func()) {
	h := &hold{app: app, releaseOn: releaseOn}
	s.lock()
	s.holds[h] = struct{}{}
	s.unlock()
	return func() {
		s.lock()
		s.releaseHoldLocked(h)
		s.unlock()
	}
}

// held queues e on a hold of app. Called with the lock held.
func (s *Server) held(app string, e obj) bool {
	for h := range s.holds {
		if h.app == app {
			h.events = append(h.events, e)
			return true
		}
	}
	return false
}

// releaseHoldLocked sends what h kept to the app's current socket.
func (s *Server) releaseHoldLocked(h *hold) {
	if _, ok := s.holds[h]; !ok {
		return
	}
	delete(s.holds, h)
	a := s.apps[h.app]
	for _, e := range h.events {
		if a != nil && a.current != nil {
			s.enqueue(a.current, e)
		}
	}
}

// releaseHolds releases the holds a request matches.
func (s *Server) releaseHolds(method, path string) {
	s.lock()
	defer s.unlock()
	for h := range s.holds {
		if h.releaseOn != nil && h.releaseOn(method, path) {
			s.releaseHoldLocked(h)
		}
	}
}

// handleUserEvent is POST /events/user/{eventName}?application=app: a
// ChannelUserevent (no source) to that app's socket, behind every event
// sent to it before (Asterisk writes both through the app's one handler).
func (s *Server) handleUserEvent(w http.ResponseWriter, r *http.Request) {
	p, _ := readParams(r)
	appName := p.str("application")
	if appName == "" {
		writeMsg(w, http.StatusBadRequest, "application parameter is required")
		return
	}
	s.lock()
	defer s.unlock()
	if s.apps[appName] == nil {
		writeMsg(w, http.StatusNotFound, "Application not found")
		return
	}
	s.emitTo([]string{appName}, "ChannelUserevent", nil, obj{{"eventname", r.PathValue("eventName")}, {"userevent", obj{}}})
	writeNoContent(w)
}

type gate struct {
	match   func(method, path string) bool
	entered chan struct{}
	open    chan struct{}
}

// GateRequests makes matching REST requests wait until open is called;
// entered receives once a matching request waits (buffered, 1).
func (s *Server) GateRequests(match func(method, path string) bool) (entered <-chan struct{}, open func()) {
	g := &gate{match: match, entered: make(chan struct{}, 1), open: make(chan struct{})}
	s.lock()
	s.gates[g] = struct{}{}
	s.unlock()
	var once sync.Once
	return g.entered, func() {
		once.Do(func() {
			s.lock()
			delete(s.gates, g)
			s.unlock()
			close(g.open)
		})
	}
}

// waitGates blocks a request while a gate matches it. false: give up.
func (s *Server) waitGates(r *http.Request) bool {
	s.lock()
	var gs []*gate
	for g := range s.gates {
		if g.match(r.Method, r.URL.Path) {
			gs = append(gs, g)
		}
	}
	s.unlock()
	for _, g := range gs {
		select {
		case g.entered <- struct{}{}:
		default:
		}
		select {
		case <-g.open:
		case <-s.done:
			return false
		case <-r.Context().Done():
			return false
		}
	}
	return true
}

// HeldEvents lists the types of the events HoldEvents keeps for app.
func (s *Server) HeldEvents(app string) []string {
	s.lock()
	defer s.unlock()
	var out []string
	for h := range s.holds {
		if h.app != app {
			continue
		}
		for _, e := range h.events {
			for _, f := range e {
				if f.k == "type" {
					out = append(out, fmt.Sprint(f.v))
				}
			}
		}
	}
	return out
}
