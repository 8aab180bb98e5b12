package agentapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// TestEveryRouteHappyPath calls each route as the role allowed to, and
// checks the status, the body and what reached the backend.
func TestEveryRouteHappyPath(t *testing.T) {
	type call struct{ got string }
	tests := []struct {
		name, method, path, token, body string
		setup                           func(f *fake, c *call)
		want                            int
		wantCall                        string // what the backend saw
		wantBody                        string // a fragment of the response
	}{
		{name: "agent logs in", method: "POST", path: "/api/v1/agents/1002/login", token: tok1002,
			setup: func(f *fake, c *call) { f.login = func(id string) error { c.got = "login " + id; return nil } },
			want:  200, wantCall: "login 1002", wantBody: `"id":"1002"`},
		{name: "agent logs out", method: "POST", path: "/api/v1/agents/1002/logout", token: tok1002,
			setup: func(f *fake, c *call) { f.logout = func(id string) error { c.got = "logout " + id; return nil } },
			want:  200, wantCall: "logout 1002"},
		{name: "agent gets ready with an empty object body", method: "POST", path: "/api/v1/agents/1002/ready", token: tok1002, body: `{}`,
			setup: func(f *fake, c *call) { f.ready = func(id string) error { c.got = "ready " + id; return nil } },
			want:  200, wantCall: "ready 1002"},
		{name: "agent pauses with a reason", method: "POST", path: "/api/v1/agents/1002/pause", token: tok1002, body: `{"reason":"break"}`,
			setup: func(f *fake, c *call) {
				f.pause = func(id, r string) error { c.got = "pause " + id + " " + r; return nil }
			},
			want: 200, wantCall: "pause 1002 break"},
		{name: "agent lists agents and sees only itself", method: "GET", path: "/api/v1/agents", token: tok1002,
			want: 200, wantBody: `{"agents":[{"id":"1002"`},
		{name: "leader lists every agent", method: "GET", path: "/api/v1/agents", token: tok2001,
			want: 200, wantBody: `"id":"2001"`},
		{name: "agent reads itself", method: "GET", path: "/api/v1/agents/1001", token: tok1001,
			want: 200, wantBody: `"call_id":"c1"`},
		{name: "leader reads an agent", method: "GET", path: "/api/v1/agents/1001", token: tok2001,
			want: 200, wantBody: `"state":"on_call"`},
		{name: "leader pauses an agent", method: "PUT", path: "/api/v1/agents/1002/state", token: tok2001,
			body: `{"state":"paused","reason":"coaching"}`,
			setup: func(f *fake, c *call) {
				f.setState = func(by, id string, st acd.State, r string) error {
					c.got = by + " sets " + id + " " + string(st) + " " + r
					return nil
				}
			},
			want: 200, wantCall: "2001 sets 1002 paused coaching"},
		{name: "leader logs an agent out without a reason", method: "PUT", path: "/api/v1/agents/1002/state", token: tok2001,
			body: `{"state":"logged_out"}`,
			setup: func(f *fake, c *call) {
				f.setState = func(by, id string, st acd.State, r string) error { c.got = id + " " + string(st); return nil }
			},
			want: 200, wantCall: "1002 logged_out"},
		{name: "agent reads queue figures", method: "GET", path: "/api/v1/queues", token: tok1002,
			setup: func(f *fake, c *call) {
				f.queues = func() ([]acd.QueueStatus, error) { return []acd.QueueStatus{{Name: "general", Waiting: 3}}, nil }
			},
			want: 200, wantBody: `"waiting":3`},
		{name: "agent reads its call with the screen-pop", method: "GET", path: "/api/v1/calls/c1", token: tok1001,
			want: 200, wantBody: `"customer_name":"PT Maju"`},
		{name: "leader reads a call no agent answered", method: "GET", path: "/api/v1/calls/c3", token: tok2001,
			want: 200, wantBody: `"call_id":"c3"`},
		{name: "agent records the disposition of its call", method: "POST", path: "/api/v1/calls/c1/disposition", token: tok1001,
			body: `{"category":"complaint","ticket_id":"IN-123","further_help_offered":true,"standard_closing":false}`,
			setup: func(f *fake, c *call) {
				f.dispose = func(callID, agent string, d acd.Disposition) error {
					b, _ := json.Marshal(d)
					c.got = callID + " " + agent + " " + string(b)
					return nil
				}
			},
			want: 200, wantCall: `c1 1001 {"category":"complaint","ticket_id":"IN-123","further_help_offered":true,"standard_closing":false,"agent_id":"","at":"0001-01-01T00:00:00Z"}`},
		{name: "leader records a disposition for the agent on the call", method: "POST", path: "/api/v1/calls/c1/disposition", token: tok2001,
			body: `{"category":"information","further_help_offered":true,"standard_closing":true}`,
			setup: func(f *fake, c *call) {
				f.dispose = func(callID, agent string, d acd.Disposition) error { c.got = callID + " " + agent; return nil }
			},
			want: 200, wantCall: "c1 1001"},
		{name: "agent escalates its call", method: "POST", path: "/api/v1/calls/c1/escalate", token: tok1001,
			body: `{"reason":"customer asks for a manager"}`,
			setup: func(f *fake, c *call) {
				f.escalate = func(callID, by string, r acd.EscalationReason) error {
					c.got = callID + " " + by + " " + string(r)
					return nil
				}
			},
			want: 200, wantCall: "c1 1001 agent_request"},
		{name: "leader escalates for the agent on the call", method: "POST", path: "/api/v1/calls/c1/escalate", token: tok2001,
			body: `{"reason":"taking over"}`,
			setup: func(f *fake, c *call) {
				f.escalate = func(callID, by string, r acd.EscalationReason) error { c.got = callID + " " + by; return nil }
			},
			want: 200, wantCall: "c1 1001"},
		{name: "agent asks for help on its call", method: "POST", path: "/api/v1/calls/c1/help", token: tok1001,
			body: `{"note":"billing dispute"}`,
			setup: func(f *fake, c *call) {
				f.help = func(agent, callID, note string) error { c.got = agent + " " + callID + " " + note; return nil }
			},
			want: 202, wantCall: "1001 c1 billing dispute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			var c call
			if tt.setup != nil {
				tt.setup(f, &c)
			}
			h := newHarness(t, f, Options{})
			rec := h.do(t, tt.method, tt.path, tt.token, tt.body)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.want, rec.Body)
			}
			if c.got != tt.wantCall {
				t.Errorf("backend saw %q, want %q", c.got, tt.wantCall)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body %s does not contain %s", rec.Body, tt.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// TestErrorClasses checks each error class: status, reason, field.
func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name, method, path, token, body, contentType string
		setup                                        func(f *fake)
		want                                         int
		wantField                                    string
		wantReason                                   string // a fragment
	}{
		{name: "401 no token", method: "GET", path: "/api/v1/agents", want: 401, wantReason: "missing bearer token"},
		{name: "401 unknown token", method: "GET", path: "/api/v1/agents", token: "not-a-token-of-anyone", want: 401, wantReason: "invalid token"},
		{name: "401 token of an agent gone from the pool", method: "GET", path: "/api/v1/agents", token: "tok-9999-dddddddddddddddd",
			want: 401, wantReason: "invalid token"},
		{name: "403 agent's token used to log in another agent", method: "POST", path: "/api/v1/agents/1001/login", token: tok1002,
			want: 403, wantReason: "not agent 1001's"},
		{name: "403 agent's token used to pause another agent", method: "POST", path: "/api/v1/agents/1001/pause", token: tok1002,
			body: `{"reason":"x"}`, want: 403},
		{name: "403 agent reads another agent", method: "GET", path: "/api/v1/agents/1001", token: tok1002, want: 403},
		{name: "403 agent sets another's state", method: "PUT", path: "/api/v1/agents/1001/state", token: tok1002,
			body: `{"state":"paused","reason":"x"}`, want: 403, wantReason: "team leader or supervisor"},
		{name: "403 agent records the disposition of another's call", method: "POST", path: "/api/v1/calls/c1/disposition", token: tok1002,
			body: `{"category":"request","further_help_offered":true,"standard_closing":true}`, want: 403, wantReason: "not agent 1002's"},
		{name: "403 agent escalates another's call", method: "POST", path: "/api/v1/calls/c1/escalate", token: tok1002,
			body: `{"reason":"x"}`, want: 403},
		{name: "403 leader asks help on a call it is not on", method: "POST", path: "/api/v1/calls/c1/help", token: tok2001,
			body: `{"note":"x"}`, want: 403},
		{name: "403 agent reads another's call", method: "GET", path: "/api/v1/calls/c1", token: tok1002, want: 403},
		{name: "403 agent reads another agent's events", method: "GET", path: "/api/v1/agents/1001/events", token: tok1002, want: 403},
		{name: "403 agent reads the leaders' events", method: "GET", path: "/api/v1/leaders/events", token: tok1002, want: 403},
		{name: "404 leader reads an unknown agent", method: "GET", path: "/api/v1/agents/nobody", token: tok2001, want: 404,
			wantReason: `unknown agent "nobody"`},
		{name: "404 leader sets an unknown agent's state", method: "PUT", path: "/api/v1/agents/nobody/state", token: tok2001,
			body: `{"state":"available"}`, want: 404,
			setup: func(f *fake) {
				f.setState = func(by, id string, st acd.State, r string) error { return &acd.NotFoundError{Kind: "agent", ID: id} }
			}},
		{name: "404 unknown call", method: "POST", path: "/api/v1/calls/nope/escalate", token: tok1001, body: `{"reason":"x"}`, want: 404,
			wantReason: `unknown call "nope"`},
		{name: "404 unknown route", method: "GET", path: "/api/v1/nothing", token: tok1001, want: 404},
		{name: "405 GET on login", method: "GET", path: "/api/v1/agents/1001/login", token: tok1001, want: 405, wantReason: "use POST"},
		{name: "405 DELETE on agents", method: "DELETE", path: "/api/v1/agents", want: 405},
		{name: "409 ready while on a call", method: "POST", path: "/api/v1/agents/1001/ready", token: tok1001, want: 409,
			setup: func(f *fake) {
				f.ready = func(id string) error {
					return &acd.StateError{AgentID: id, Op: "ready", State: acd.OnCall, CallID: "c1"}
				}
			},
			wantReason: `agent "1001" cannot ready while on_call (call c1)`},
		{name: "409 disposition after the wrap-up", method: "POST", path: "/api/v1/calls/c2/disposition", token: tok1002,
			body: `{"category":"request","further_help_offered":false,"standard_closing":true}`, want: 409,
			setup: func(f *fake) {
				f.dispose = func(callID, agent string, d acd.Disposition) error {
					return &acd.CallStateError{CallID: callID, Op: "record a disposition", Why: "agent 1002 is available"}
				}
			},
			wantReason: "agent 1002 is available"},
		{name: "409 leader acts for a call no agent answered", method: "POST", path: "/api/v1/calls/c3/escalate", token: tok2001,
			body: `{"reason":"x"}`, want: 409, wantReason: "no agent has answered it"},
		{name: "400 pause without a body", method: "POST", path: "/api/v1/agents/1002/pause", token: tok1002, want: 400,
			wantReason: "request body required"},
		{name: "400 pause without reason names the field", method: "POST", path: "/api/v1/agents/1002/pause", token: tok1002,
			body: `{}`, want: 400, wantField: "reason"},
		{name: "400 unknown field is rejected", method: "POST", path: "/api/v1/agents/1002/pause", token: tok1002,
			body: `{"reason":"break","until":"12:00"}`, want: 400, wantField: "until", wantReason: "unknown field"},
		{name: "400 unknown field on a body-less route", method: "POST", path: "/api/v1/agents/1002/ready", token: tok1002,
			body: `{"force":true}`, want: 400, wantField: "force"},
		{name: "400 wrong type names the field", method: "POST", path: "/api/v1/calls/c1/disposition", token: tok1001,
			body: `{"category":"request","further_help_offered":"yes","standard_closing":true}`, want: 400, wantField: "further_help_offered"},
		{name: "400 missing boolean names the field", method: "POST", path: "/api/v1/calls/c1/disposition", token: tok1001,
			body: `{"category":"request","further_help_offered":true}`, want: 400, wantField: "standard_closing"},
		{name: "400 category from the acd's validation", method: "POST", path: "/api/v1/calls/c1/disposition", token: tok1001,
			body: `{"category":"gossip","further_help_offered":true,"standard_closing":true}`, want: 400, wantField: "category",
			setup: func(f *fake) {
				f.dispose = func(callID, agent string, d acd.Disposition) error {
					return &acd.ValidationError{Field: "category", Message: `"gossip" is not one of information, request, complaint`}
				}
			}},
		{name: "400 malformed JSON", method: "POST", path: "/api/v1/calls/c1/escalate", token: tok1001, body: `{"reason":`, want: 400,
			wantReason: "malformed JSON"},
		{name: "400 two objects", method: "POST", path: "/api/v1/calls/c1/escalate", token: tok1001, body: `{"reason":"a"}{}`, want: 400,
			wantReason: "data after the object"},
		{name: "400 not an object", method: "POST", path: "/api/v1/calls/c1/escalate", token: tok1001, body: `["reason"]`, want: 400},
		{name: "400 bad state names the field", method: "PUT", path: "/api/v1/agents/1002/state", token: tok2001,
			body: `{"state":"on_call"}`, want: 400, wantField: "state"},
		{name: "400 paused without reason", method: "PUT", path: "/api/v1/agents/1002/state", token: tok2001,
			body: `{"state":"paused"}`, want: 400, wantField: "reason"},
		{name: "400 control characters in a reason", method: "POST", path: "/api/v1/agents/1002/pause", token: tok1002,
			body: `{"reason":"a\u0007b"}`, want: 400, wantField: "reason"},
		{name: "413 body too large", method: "POST", path: "/api/v1/calls/c1/help", token: tok1001,
			body: `{"note":"` + strings.Repeat("x", 20000) + `"}`, want: 413},
		{name: "415 body not JSON", method: "POST", path: "/api/v1/agents/1002/pause", token: tok1002,
			body: `reason=break`, contentType: "application/x-www-form-urlencoded", want: 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			h := newHarness(t, f, Options{Tokens: map[string]string{"1001": tok1001, "1002": tok1002, "2001": tok2001,
				"9999": "tok-9999-dddddddddddddddd"}})
			req := requestFor(tt.method, tt.path, tt.token, tt.body, tt.contentType)
			rec := httpRecord(h.api, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.want, rec.Body)
			}
			e := errorOf(t, rec)
			if e.Field != tt.wantField {
				t.Errorf("field %q, want %q (%s)", e.Field, tt.wantField, e.Error)
			}
			if !strings.Contains(e.Error, tt.wantReason) {
				t.Errorf("reason %q does not contain %q", e.Error, tt.wantReason)
			}
			switch tt.want {
			case 401:
				if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") {
					t.Errorf("WWW-Authenticate %q", got)
				}
			case 405:
				if got := rec.Header().Get("Allow"); got == "" {
					t.Error("405 without Allow")
				}
			}
		})
	}
}

// TestBadAuthorizationHeaders: every malformed header is a 401, never a 500.
func TestBadAuthorizationHeaders(t *testing.T) {
	h := newHarness(t, newFake(t), Options{})
	for name, v := range map[string]string{
		"basic scheme":         "Basic dXNlcjpwYXNz",
		"bearer with no token": "Bearer ",
		"token alone":          tok1001,
		"near miss":            "Bearer " + tok1001[:len(tok1001)-1] + "b",
	} {
		t.Run(name, func(t *testing.T) {
			req := requestFor("GET", "/api/v1/agents", "", "", "")
			req.Header.Set("Authorization", v)
			rec := httpRecord(h.api, req)
			if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
				t.Fatalf("status %d, WWW-Authenticate %q", rec.Code, rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

// TestSecurityHeadersOnEveryResponse: success and every error class carry
// the strict headers.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, Options{})
	for _, c := range []struct{ method, path, token string }{
		{"GET", "/api/v1/agents", tok1001},
		{"GET", "/api/v1/agents", ""},
		{"GET", "/api/v1/agents/1002", tok1001},
		{"GET", "/api/v1/agents/nobody", tok2001},
		{"PATCH", "/api/v1/agents", tok1001},
		{"GET", "/", ""},
	} {
		rec := h.do(t, c.method, c.path, c.token, "")
		for k, want := range map[string]string{
			"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
			"X-Content-Type-Options":  "nosniff",
			"Cache-Control":           "no-store",
			"Referrer-Policy":         "no-referrer",
			"X-Frame-Options":         "DENY",
		} {
			if got := rec.Header().Get(k); got != want {
				t.Errorf("%s %s (%d): %s = %q, want %q", c.method, c.path, rec.Code, k, got, want)
			}
		}
		if rec.Header().Get("Set-Cookie") != "" || rec.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s %s: sets a cookie or allows cross-origin reads", c.method, c.path)
		}
	}
}

// TestTokensNeverLogged: valid, wrong and near-miss tokens, on success
// and on every failure, never reach the log or a response body.
func TestTokensNeverLogged(t *testing.T) {
	f := newFake(t)
	f.ready = func(id string) error {
		return &acd.StateError{AgentID: id, Op: "ready", State: acd.OnCall, CallID: "c1"}
	}
	f.queues = func() ([]acd.QueueStatus, error) { return nil, errBoom }
	h := newHarness(t, f, Options{})
	nearMiss := tok1002[:len(tok1002)-2] + "zz"
	var bodies strings.Builder
	for _, c := range []struct{ method, path, token string }{
		{"GET", "/api/v1/agents", tok1001},
		{"POST", "/api/v1/agents/1001/ready", tok1001},
		{"GET", "/api/v1/queues", tok1001}, // a 500, logged with its error
		{"POST", "/api/v1/agents/1001/login", tok1002},
		{"GET", "/api/v1/agents", nearMiss},
		{"GET", "/api/v1/agents?access_token=" + tok2001, ""},
	} {
		rec := h.do(t, c.method, c.path, c.token, "")
		bodies.WriteString(rec.Body.String())
	}
	logged := h.log.String()
	if !strings.Contains(logged, `"route":"/api/v1/agents/{id}/ready"`) || !strings.Contains(logged, "boom") {
		t.Fatalf("the log does not have the requests and the failure: %s", logged)
	}
	for _, tok := range []string{tok1001, tok1002, tok2001, nearMiss} {
		if strings.Contains(logged, tok) {
			t.Errorf("the log contains %q", tok)
		}
		if strings.Contains(bodies.String(), tok) {
			t.Errorf("a response contains %q", tok)
		}
	}
}

// TestTokenConfigIsChecked: short, blank-containing and shared tokens are
// refused, without showing the token.
func TestTokenConfigIsChecked(t *testing.T) {
	for name, tokens := range map[string]map[string]string{
		"too short":     {"1001": "short"},
		"with a blank":  {"1001": "abcdefgh ijklmnopq"},
		"shared by two": {"1001": tok1001, "1002": tok1001},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(newFake(t), Options{Tokens: tokens})
			if err == nil {
				t.Fatal("accepted")
			}
			for _, tok := range tokens {
				if strings.Contains(err.Error(), tok) {
					t.Errorf("error %q shows the token", err)
				}
			}
		})
	}
}
