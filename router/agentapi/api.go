package agentapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// Backend is what the API needs of the acd; *acd.Service satisfies it.
type Backend interface {
	Login(ctx context.Context, agentID string) error
	Logout(ctx context.Context, agentID string) error
	Ready(ctx context.Context, agentID string) error
	Pause(ctx context.Context, agentID, reason string) error
	SetState(ctx context.Context, by, agentID string, st acd.State, reason string) error
	Agent(ctx context.Context, agentID string) (acd.AgentStatus, error)
	Agents(ctx context.Context) ([]acd.AgentStatus, error)
	Queues(ctx context.Context) ([]acd.QueueStatus, error)
	Handling(ctx context.Context, callID string) (acd.Handling, error)
	Disposition(ctx context.Context, callID, agentID string, d acd.Disposition) error
	Escalate(ctx context.Context, callID, by string, reason acd.EscalationReason) error
	RequestHelp(ctx context.Context, agentID, callID, note string) error
	SubscribeLeaders() (<-chan acd.Event, func())
}

// Options configure the API.
type Options struct {
	// Tokens maps an agent id to its bearer token (from config). Every
	// token must be at least MinTokenLen characters and unique.
	Tokens map[string]string
	Log    zerolog.Logger
	// KeepAlive is the period of the event streams' keep-alive comments
	// (default 15s).
	KeepAlive time.Duration
	// Replay is how many recent events are kept for Last-Event-ID
	// (default 1024).
	Replay int
	// MaxBody bounds a request body (default 16 KiB).
	MaxBody int64
}

// MinTokenLen is the shortest bearer token accepted.
const MinTokenLen = 16

// API is the agent API handler. Close ends its event streams.
type API struct {
	b         Backend
	log       zerolog.Logger
	tokens    tokenSet
	keepAlive time.Duration
	maxBody   int64
	hub       *hub
	mux       *http.ServeMux
	closeOnce sync.Once
}

// New builds the API and starts following the pool's events (until Close).
func New(b Backend, opts Options) (*API, error) {
	ts, err := newTokenSet(opts.Tokens)
	if err != nil {
		return nil, err
	}
	a := &API{b: b, log: opts.Log, tokens: ts, keepAlive: opts.KeepAlive, maxBody: opts.MaxBody}
	if a.keepAlive <= 0 {
		a.keepAlive = 15 * time.Second
	}
	if a.maxBody <= 0 {
		a.maxBody = 16 << 10
	}
	replay := opts.Replay
	if replay <= 0 {
		replay = 1024
	}
	a.routes()
	events, cancel := b.SubscribeLeaders()
	a.hub = newHub(replay, events, cancel)
	return a, nil
}

// Close stops following the pool's events and ends every event stream.
func (a *API) Close() { a.closeOnce.Do(a.hub.close) }

// route is one path with its handlers by method.
type route struct {
	pattern string
	methods map[string]handlerFunc
}

// handlerFunc handles an authenticated request.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p principal)

func (a *API) routes() {
	a.mux = http.NewServeMux()
	for _, rt := range []route{
		{"/api/v1/agents", map[string]handlerFunc{http.MethodGet: a.listAgents}},
		{"/api/v1/agents/{id}", map[string]handlerFunc{http.MethodGet: a.getAgent}},
		{"/api/v1/agents/{id}/login", map[string]handlerFunc{http.MethodPost: a.selfOp("login")}},
		{"/api/v1/agents/{id}/logout", map[string]handlerFunc{http.MethodPost: a.selfOp("logout")}},
		{"/api/v1/agents/{id}/ready", map[string]handlerFunc{http.MethodPost: a.selfOp("ready")}},
		{"/api/v1/agents/{id}/pause", map[string]handlerFunc{http.MethodPost: a.selfOp("pause")}},
		{"/api/v1/agents/{id}/state", map[string]handlerFunc{http.MethodPut: a.setState}},
		{"/api/v1/agents/{id}/events", map[string]handlerFunc{http.MethodGet: a.agentEvents}},
		{"/api/v1/queues", map[string]handlerFunc{http.MethodGet: a.listQueues}},
		{"/api/v1/calls/{id}", map[string]handlerFunc{http.MethodGet: a.getCall}},
		{"/api/v1/calls/{id}/disposition", map[string]handlerFunc{http.MethodPost: a.disposition}},
		{"/api/v1/calls/{id}/escalate", map[string]handlerFunc{http.MethodPost: a.escalate}},
		{"/api/v1/calls/{id}/help", map[string]handlerFunc{http.MethodPost: a.help}},
		{"/api/v1/leaders/events", map[string]handlerFunc{http.MethodGet: a.leaderEvents}},
	} {
		a.mux.Handle(rt.pattern, a.dispatch(rt))
	}
	a.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such route", "")
	}))
}

// dispatch checks the method, then the token, then runs the handler.
func (a *API) dispatch(rt route) http.Handler {
	allowed := make([]string, 0, len(rt.methods))
	for m := range rt.methods {
		allowed = append(allowed, m)
	}
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := rt.methods[r.Method]
		if !ok {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed (use %s)", r.Method, allow), "")
			return
		}
		p, ok := a.authenticate(w, r)
		if !ok {
			return
		}
		if rec, ok := w.(*recorder); ok {
			rec.agent = p.id
		}
		h(w, r, p)
	})
}

// ServeHTTP sets the security headers, serves the request and logs it
// (method, route, status, duration, agent; never a header or a body).
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	a.mux.ServeHTTP(rec, r)
	_, pattern := a.mux.Handler(r)
	// Reads that succeed (the pages poll) are debug; changes and refusals info.
	ev := a.log.Info()
	switch {
	case rec.status >= 500:
		ev = a.log.Warn()
	case r.Method == http.MethodGet && rec.status < 300:
		ev = a.log.Debug()
	}
	ev.Str("method", r.Method).Str("route", pattern).Str("path", r.URL.Path).Int("status", rec.status).
		Dur("took", time.Since(start)).Str("agent_id", rec.agent).Msg("agentapi: request")
}

// recorder remembers the status and the authenticated agent for the log.
type recorder struct {
	http.ResponseWriter
	status int
	agent  string
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
