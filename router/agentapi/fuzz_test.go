package agentapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// FuzzDecodeBodies feeds any bytes to the strict decoder of every request
// body: it never panics, every failure is a 400 whose field (if any) is
// short printable text, and every success survives a round trip.
func FuzzDecodeBodies(f *testing.F) {
	for _, seed := range []string{
		`{"reason":"break"}`,
		`{"state":"paused","reason":"coaching"}`,
		`{"category":"complaint","ticket_id":"IN-1","further_help_offered":true,"standard_closing":false}`,
		`{"note":"help"}`,
		`{"reason":`, `[]`, `null`, `{"x":1}`, `{"reason":"a"}{}`, `{"further_help_offered":"yes"}`,
		"{\"\xff\":1}", `{"reason":"\u0000"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		targets := []func() any{
			func() any { return &struct{}{} },
			func() any {
				return &struct {
					Reason string `json:"reason"`
				}{}
			},
			func() any {
				return &struct {
					State  string `json:"state"`
					Reason string `json:"reason"`
				}{}
			},
			func() any { return &dispositionBody{} },
			func() any { return &escalateBody{} },
			func() any { return &helpBody{} },
		}
		for _, mk := range targets {
			v := mk()
			err := decodeJSON(b, v)
			if err != nil {
				var fe *fieldError
				if !errors.As(err, &fe) || fe.status != http.StatusBadRequest {
					t.Fatalf("decode %q: %v is not a 400 field error", b, err)
				}
				if !utf8.ValidString(fe.field) || utf8.RuneCountInString(fe.field) > 65 {
					t.Fatalf("decode %q: field %q", b, fe.field)
				}
				continue
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("re-encode %#v: %v", v, err)
			}
			w := mk()
			if err := decodeJSON(out, w); err != nil {
				t.Fatalf("round trip of %q (%s): %v", b, out, err)
			}
		}
		if err := (dispositionBody{}).check(); err == nil {
			t.Fatal("an empty disposition passed")
		}
	})
}

// FuzzLastEventID: any Last-Event-ID is either one this hub issued and
// still holds, or refused; it never panics.
func FuzzLastEventID(f *testing.F) {
	events := make(chan acd.Event, 8)
	h := newHub(4, events, func() { close(events) })
	defer h.close()
	for i := 0; i < 6; i++ {
		events <- acd.Event{Type: acd.EventState, AgentID: "1001"}
	}
	for {
		if _, last, wake, _, _ := h.since(0, allEvents); last == 6 {
			break
		} else {
			<-wake
		}
	}
	for _, seed := range []string{h.id(6), h.id(2), h.id(1), "", "-", h.epoch + "-", h.epoch + "-99", "x-1", h.epoch + "-+3",
		h.epoch + "-18446744073709551615"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		seq, ok := h.resume(id)
		if !ok {
			return
		}
		digits, mine := strings.CutPrefix(id, h.epoch+"-")
		if n, err := strconv.ParseUint(digits, 10, 64); !mine || err != nil || n != seq {
			t.Fatalf("%q resumed at %d", id, seq)
		}
		if seq > 6 || seq < 2 {
			t.Fatalf("%q resumed at %d, outside the ring (3..6 kept, resume after 2..6)", id, seq)
		}
	})
}

// FuzzAuthorizationHeader: any Authorization header gives 200 (a valid
// token only) or 401 with WWW-Authenticate, never anything else.
func FuzzAuthorizationHeader(f *testing.F) {
	for _, seed := range []string{"Bearer " + tok1001, "bearer " + tok1001, "Bearer  " + tok1001, "Basic x", "Bearer", "", "Bearer \x00",
		"Bearer " + tok1001 + "x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		fk := newFake(t)
		api, err := New(fk, Options{Tokens: map[string]string{"1001": tok1001}})
		if err != nil {
			t.Fatal(err)
		}
		defer api.Close()
		req := httptest.NewRequest(http.MethodGet, "/api/v1/agents/1001", nil)
		req.Header["Authorization"] = []string{v}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			scheme, tok, _ := strings.Cut(v, " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) != tok1001 {
				t.Fatalf("%q accepted", v)
			}
		case http.StatusUnauthorized:
			if rec.Header().Get("WWW-Authenticate") == "" {
				t.Fatalf("%q: 401 without WWW-Authenticate", v)
			}
		default:
			t.Fatalf("%q: status %d", v, rec.Code)
		}
	})
}
