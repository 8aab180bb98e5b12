package agentapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"unicode/utf8"
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
