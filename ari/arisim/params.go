package arisim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// params merges query parameters and a JSON body the way Asterisk does:
// the body is parsed after the query, so a body field wins.
type params struct {
	q    url.Values
	body map[string]json.RawMessage
}

func readParams(r *http.Request) (*params, error) {
	p := &params{q: r.URL.Query()}
	if r.Body == nil {
		return p, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return p, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		// Asterisk ignores bodies that are not a JSON object for most
		// resources; be as lenient.
		return p, nil //nolint:nilerr
	}
	p.body = m
	return p, nil
}

// str is a scalar parameter. Numbers and booleans in the body are rendered
// as text.
func (p *params) str(name string) string {
	if raw, ok := p.body[name]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		var f float64
		if json.Unmarshal(raw, &f) == nil {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		var b bool
		if json.Unmarshal(raw, &b) == nil {
			return strconv.FormatBool(b)
		}
		return ""
	}
	vs := p.q[name]
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// list is an array parameter: in the body a JSON array (items) or a single
// string (not split); in the query the last occurrence, split on commas.
func (p *params) list(name string) []string {
	if raw, ok := p.body[name]; ok {
		var arr []string
		if json.Unmarshal(raw, &arr) == nil {
			return arr
		}
		if s := p.str(name); s != "" {
			return []string{s}
		}
		return nil
	}
	s := p.str(name)
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// integer returns the parameter as an int, or def when absent or invalid.
func (p *params) integer(name string, def int) int {
	s := p.str(name)
	if s == "" {
		return def
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return def
	}
	return int(f)
}

// variables is the originate "variables" object (body), as ordered pairs
// sorted by name.
func (p *params) variables() map[string]string {
	out := map[string]string{}
	raw, ok := p.body["variables"]
	if !ok {
		return out
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return out
	}
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeMsg(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, messageJSON{msg})
}

func writeNoContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }
