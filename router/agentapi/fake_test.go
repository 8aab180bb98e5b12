package agentapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// fake is a Backend of function fields; agents and calls answer Agent,
// Agents and Handling unless the function is set. A nil operation field
// fails the test if called.
type fake struct {
	t *testing.T

	mu     sync.Mutex
	agents map[string]acd.AgentStatus
	calls  map[string]acd.Handling

	login, logout, ready func(id string) error
	pause                func(id, reason string) error
	setState             func(by, id string, st acd.State, reason string) error
	queues               func() ([]acd.QueueStatus, error)
	dispose              func(callID, agentID string, d acd.Disposition) error
	escalate             func(callID, by string, reason acd.EscalationReason) error
	help                 func(agentID, callID, note string) error

	events chan acd.Event
}

func (f *fake) unexpected(op string) error {
	f.t.Errorf("unexpected backend call %s", op)
	return context.Canceled
}

func (f *fake) Login(_ context.Context, id string) error {
	if f.login == nil {
		return f.unexpected("Login")
	}
	return f.login(id)
}

func (f *fake) Logout(_ context.Context, id string) error {
	if f.logout == nil {
		return f.unexpected("Logout")
	}
	return f.logout(id)
}

func (f *fake) Ready(_ context.Context, id string) error {
	if f.ready == nil {
		return f.unexpected("Ready")
	}
	return f.ready(id)
}

func (f *fake) Pause(_ context.Context, id, reason string) error {
	if f.pause == nil {
		return f.unexpected("Pause")
	}
	return f.pause(id, reason)
}

func (f *fake) SetState(_ context.Context, by, id string, st acd.State, reason string) error {
	if f.setState == nil {
		return f.unexpected("SetState")
	}
	return f.setState(by, id, st, reason)
}

func (f *fake) Agent(_ context.Context, id string) (acd.AgentStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.agents[id]
	if !ok {
		return acd.AgentStatus{}, &acd.NotFoundError{Kind: "agent", ID: id}
	}
	return st, nil
}

func (f *fake) Agents(context.Context) ([]acd.AgentStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []acd.AgentStatus
	for _, id := range []string{"1001", "1002", "2001"} {
		if st, ok := f.agents[id]; ok {
			out = append(out, st)
		}
	}
	return out, nil
}

func (f *fake) Queues(context.Context) ([]acd.QueueStatus, error) {
	if f.queues == nil {
		return nil, f.unexpected("Queues")
	}
	return f.queues()
}

func (f *fake) Handling(_ context.Context, callID string) (acd.Handling, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.calls[callID]
	if !ok {
		return acd.Handling{}, &acd.NotFoundError{Kind: "call", ID: callID}
	}
	return h, nil
}

func (f *fake) Disposition(_ context.Context, callID, agentID string, d acd.Disposition) error {
	if f.dispose == nil {
		return f.unexpected("Disposition")
	}
	return f.dispose(callID, agentID, d)
}

func (f *fake) Escalate(_ context.Context, callID, by string, reason acd.EscalationReason) error {
	if f.escalate == nil {
		return f.unexpected("Escalate")
	}
	return f.escalate(callID, by, reason)
}

func (f *fake) RequestHelp(_ context.Context, agentID, callID, note string) error {
	if f.help == nil {
		return f.unexpected("RequestHelp")
	}
	return f.help(agentID, callID, note)
}

func (f *fake) SubscribeLeaders() (<-chan acd.Event, func()) {
	var once sync.Once
	return f.events, func() { once.Do(func() { close(f.events) }) }
}

// Tokens of the fake pool: 1001 and 1002 are agents, 2001 a team leader.
const (
	tok1001 = "tok-1001-aaaaaaaaaaaaaaaa"
	tok1002 = "tok-1002-bbbbbbbbbbbbbbbb"
	tok2001 = "tok-2001-cccccccccccccccc"
)

// newFake is a pool with agents 1001 (on call c1), 1002 (available) and
// team leader 2001; call c1 is 1001's, c2 is 1002's past call.
func newFake(t *testing.T) *fake {
	return &fake{
		t: t,
		agents: map[string]acd.AgentStatus{
			"1001": {Agent: acd.Agent{ID: "1001", Name: "Agent 1001", Role: acd.RoleAgent}, State: acd.OnCall, CallID: "c1"},
			"1002": {Agent: acd.Agent{ID: "1002", Name: "Agent 1002", Role: acd.RoleAgent}, State: acd.Available},
			"2001": {Agent: acd.Agent{ID: "2001", Name: "Leader 2001", Role: acd.RoleTeamLeader}, State: acd.Available},
		},
		calls: map[string]acd.Handling{
			"c1": {CallID: "c1", Queue: "general", AgentID: "1001", ScreenPop: json.RawMessage(`{"customer_name":"PT Maju"}`)},
			"c2": {CallID: "c2", Queue: "general", AgentID: "1002"},
			"c3": {CallID: "c3", Queue: "general"},
		},
		events: make(chan acd.Event, 64),
	}
}

// harness is an API over a fake, with its log captured.
type harness struct {
	f   *fake
	api *API
	log *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newHarness(t *testing.T, f *fake, opts Options) *harness {
	t.Helper()
	buf := &syncBuffer{}
	if opts.Tokens == nil {
		opts.Tokens = map[string]string{"1001": tok1001, "1002": tok1002, "2001": tok2001}
	}
	opts.Log = zerolog.New(io.MultiWriter(buf, zerolog.NewTestWriter(t))).Level(zerolog.DebugLevel)
	api, err := New(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Close)
	return &harness{f: f, api: api, log: buf}
}

// do runs one request through the API and returns the recorded response.
func (h *harness) do(t *testing.T, method, path, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.api.ServeHTTP(rec, req)
	return rec
}

func errorOf(t *testing.T, rec *httptest.ResponseRecorder) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", rec.Body.String(), err)
	}
	if e.Error == "" {
		t.Fatalf("error body %q has no reason", rec.Body.String())
	}
	return e
}

// sse is a client reading one event stream.
type sse struct {
	resp   *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
}

type sseEvent struct {
	id, typ, data string
	comment       bool
}

func openStream(t *testing.T, url, token, lastID string) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("stream %s: status %d", url, resp.StatusCode)
	}
	s := &sse{resp: resp, r: bufio.NewReader(resp.Body), cancel: cancel}
	t.Cleanup(s.close)
	return s
}

func (s *sse) close() { s.cancel(); s.resp.Body.Close() }

// next reads the next event or comment (frames without either, like the
// retry line, are skipped). The read is bounded so a missing event fails.
func (s *sse) next(t *testing.T) sseEvent {
	t.Helper()
	type res struct {
		ev  sseEvent
		err error
	}
	ch := make(chan res, 1)
	go func() {
		var ev sseEvent
		for {
			line, err := s.r.ReadString('\n')
			if err != nil {
				ch <- res{err: err}
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if ev.typ != "" || ev.comment {
					ch <- res{ev: ev}
					return
				}
			case strings.HasPrefix(line, ":"):
				ev.comment, ev.data = true, line
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("stream ended: %v", r.err)
		}
		return r.ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return sseEvent{}
}

// nextEvent skips keep-alive comments.
func (s *sse) nextEvent(t *testing.T) sseEvent {
	t.Helper()
	for {
		if ev := s.next(t); !ev.comment {
			return ev
		}
	}
}

var errBoom = errors.New("boom")

func requestFor(method, path, token, body, contentType string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		if contentType == "" {
			contentType = "application/json"
		}
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

func httpRecord(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
