package agentapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode"
)

// readBody reads a bounded body: (nil, nil) when there is none.
func (a *API) readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, a.maxBody+1))
	if err != nil {
		return nil, &fieldError{status: http.StatusBadRequest, msg: "request body could not be read"}
	}
	if int64(len(b)) > a.maxBody {
		return nil, &fieldError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body larger than %d bytes", a.maxBody)}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return nil, &fieldError{status: http.StatusUnsupportedMediaType, msg: "request body must be application/json"}
	}
	return b, nil
}

// decodeBody decodes a request body into v (a pointer to a struct),
// strictly: required when required is true, one JSON object, no unknown
// field. Errors name the field at fault.
func (a *API) decodeBody(r *http.Request, v any, required bool) error {
	b, err := a.readBody(r)
	if err != nil {
		return err
	}
	if b == nil {
		if required {
			return &fieldError{status: http.StatusBadRequest, msg: "request body required (a JSON object)"}
		}
		return nil
	}
	return decodeJSON(b, v)
}

// decodeJSON is the strict decoder of every request body.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &fieldError{status: http.StatusBadRequest, msg: "malformed JSON: data after the object"}
	}
	return nil
}

func decodeError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &fieldError{status: http.StatusBadRequest, msg: fmt.Sprintf("malformed JSON at byte %d", se.Offset)}
	case errors.As(err, &te):
		if te.Field == "" {
			return &fieldError{status: http.StatusBadRequest, msg: "the body must be a JSON object"}
		}
		return badField(te.Field, fmt.Sprintf("must be a JSON %s", jsonKind(te.Type.Kind().String())))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &fieldError{status: http.StatusBadRequest, msg: "malformed JSON: unexpected end"}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return badField(printable(name), "unknown field")
	}
	return &fieldError{status: http.StatusBadRequest, msg: "malformed JSON"}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "bool":
		return "boolean"
	case "string":
		return "string"
	case "ptr":
		return "value of the right type"
	}
	return goKind
}

// printable bounds a client-supplied name echoed back in an error.
func printable(s string) string {
	var out strings.Builder
	for _, r := range s {
		if out.Len() >= 64 {
			out.WriteString("…")
			break
		}
		if unicode.IsPrint(r) {
			out.WriteRune(r)
		} else {
			out.WriteRune('?')
		}
	}
	return out.String()
}

// checkText validates a free-text field: required (when min > 0), at most
// max characters, no control characters.
func checkText(field, s string, min, max int) error {
	n := len([]rune(s))
	if min > 0 && strings.TrimSpace(s) == "" {
		return badField(field, "required")
	}
	if n > max {
		return badField(field, fmt.Sprintf("at most %d characters", max))
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' {
			return badField(field, "must not contain control characters")
		}
	}
	return nil
}
