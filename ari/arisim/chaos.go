package arisim

import (
	"bytes"
	"maps"
	"net/http"
	"time"
)

// DropWebSocket cuts the events socket that serves app (no close
// handshake, like a network cut between one controller and Asterisk); the
// other controllers' sockets stay. A socket that serves several apps goes
// for all of them. It reports whether a socket was cut.
func (s *Server) DropWebSocket(app string) bool {
	s.lock()
	defer s.unlock()
	a := s.apps[app]
	if a == nil || a.current == nil {
		return false
	}
	s.log.Info().Str("app", app).Msg("dropping the events socket of one application")
	a.current.kill()
	return true
}

// DelayResponses makes matching REST requests take effect at once but
// answers them only d (real time) later, like an Asterisk whose replies
// are slow: a client with a shorter timeout gives up on a request that
// did happen. match is called with the server's lock held and may count
// (e.g. one request in four). restore removes it.
func (s *Server) DelayResponses(match func(method, path string) bool, d time.Duration) (restore func()) {
	st := &stall{match: match, d: d}
	s.lock()
	s.late[st] = struct{}{}
	s.unlock()
	return func() {
		s.lock()
		delete(s.late, st)
		s.unlock()
	}
}

// lateFor is the longest response delay that matches (lock held).
func (s *Server) lateFor(method, path string) time.Duration {
	var d time.Duration
	if path == "/ari/events" { // a WebSocket upgrade cannot be buffered
		return 0
	}
	for st := range s.late {
		if st.match(method, path) && st.d > d {
			d = st.d
		}
	}
	return d
}

// serveLate handles r at once into a buffer and writes the response d
// later (or drops it when the client or the server goes first).
func (s *Server) serveLate(w http.ResponseWriter, r *http.Request, next http.Handler, d time.Duration) {
	rec := &lateWriter{header: http.Header{}}
	next.ServeHTTP(rec, r)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.done:
		return
	case <-r.Context().Done():
		return
	}
	maps.Copy(w.Header(), rec.header)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
}

// lateWriter buffers a response.
type lateWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (l *lateWriter) Header() http.Header { return l.header }
func (l *lateWriter) WriteHeader(code int) {
	if l.status == 0 {
		l.status = code
	}
}
func (l *lateWriter) Write(b []byte) (int, error) {
	if l.status == 0 {
		l.status = http.StatusOK
	}
	return l.body.Write(b)
}
