package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// apiError is the body of every error response.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, status int, reason, field string) {
	writeJSON(w, status, apiError{Error: reason, Field: field})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // plain data: cannot happen
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// statusOf maps an error of the acd (or of a request) to its status, the
// reason shown and the field at fault. Errors of no known class are 500
// and their text is not shown.
func statusOf(err error) (status int, reason, field string) {
	var ve *acd.ValidationError
	var fe *fieldError
	switch {
	case errors.As(err, &fe):
		return fe.status, fe.msg, fe.field
	case errors.As(err, &ve):
		return http.StatusBadRequest, ve.Error(), ve.Field
	case errors.Is(err, acd.ErrInvalid):
		return http.StatusBadRequest, err.Error(), ""
	case errors.Is(err, acd.ErrNotFound):
		return http.StatusNotFound, err.Error(), ""
	case errors.Is(err, acd.ErrForbidden):
		return http.StatusForbidden, err.Error(), ""
	case errors.Is(err, acd.ErrConflict):
		return http.StatusConflict, err.Error(), ""
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "the acd did not answer in time", ""
	}
	return http.StatusInternalServerError, "internal error", ""
}

// fail writes the error response for err; server-side failures are logged.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, reason, field := statusOf(err)
	if status >= 500 && r.Context().Err() == nil {
		a.log.Warn().Err(err).Str("path", r.URL.Path).Msg("agentapi: request failed")
	}
	writeError(w, status, reason, field)
}

// fieldError is a request problem found by the API itself.
type fieldError struct {
	status int
	field  string
	msg    string
}

func (e *fieldError) Error() string {
	if e.field == "" {
		return e.msg
	}
	return e.field + ": " + e.msg
}

func badField(field, msg string) error {
	return &fieldError{status: http.StatusBadRequest, field: field, msg: field + ": " + msg}
}

func forbidden(msg string) error { return &fieldError{status: http.StatusForbidden, msg: msg} }
