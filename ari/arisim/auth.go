package arisim

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// authorized checks Basic auth or api_key=user:pass like Asterisk's HTTP
// server does for ARI.
func (s *Server) authorized(r *http.Request) bool {
	if s.opts.Username == "" {
		return true
	}
	if u, p, ok := r.BasicAuth(); ok {
		return s.credsOK(u, p)
	}
	if k := r.URL.Query().Get("api_key"); k != "" {
		u, p, _ := strings.Cut(k, ":")
		return s.credsOK(u, p)
	}
	return false
}

func (s *Server) credsOK(u, p string) bool {
	uok := subtle.ConstantTimeCompare([]byte(u), []byte(s.opts.Username)) == 1
	pok := subtle.ConstantTimeCompare([]byte(p), []byte(s.opts.Password)) == 1
	return uok && pok
}

// withAuth answers 401 as Asterisk does when credentials are missing or wrong.
func (s *Server) withAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="Asterisk REST Interface"`)
			writeJSON(w, http.StatusUnauthorized, messageJSON{"Authentication required"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
