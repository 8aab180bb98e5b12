package agentapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// tokenSet holds the SHA-256 digest of each agent's token: the tokens
// themselves are not kept.
type tokenSet []tokenEntry

type tokenEntry struct {
	digest  [sha256.Size]byte
	agentID string
}

func newTokenSet(tokens map[string]string) (tokenSet, error) {
	ids := make([]string, 0, len(tokens))
	for id := range tokens {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	seen := map[[sha256.Size]byte]string{}
	out := make(tokenSet, 0, len(ids))
	for _, id := range ids {
		tok := tokens[id]
		if len(tok) < MinTokenLen || strings.ContainsAny(tok, " \t\r\n") {
			return nil, fmt.Errorf("agentapi: agent %q: token must be at least %d characters without blanks (value not shown)", id, MinTokenLen)
		}
		d := sha256.Sum256([]byte(tok))
		if other, dup := seen[d]; dup {
			return nil, fmt.Errorf("agentapi: agents %q and %q have the same token", other, id)
		}
		seen[d] = id
		out = append(out, tokenEntry{digest: d, agentID: id})
	}
	return out, nil
}

// lookup returns the agent whose token this is. Every entry is compared,
// in constant time, whatever matches.
func (ts tokenSet) lookup(tok string) (string, bool) {
	d := sha256.Sum256([]byte(tok))
	found := ""
	for _, e := range ts {
		if subtle.ConstantTimeCompare(d[:], e.digest[:]) == 1 {
			found = e.agentID
		}
	}
	return found, found != ""
}

// principal is the authenticated agent of a request.
type principal struct {
	id   string
	role acd.Role
}

func (p principal) leader() bool { return p.role == acd.RoleTeamLeader || p.role == acd.RoleSupervisor }

// authenticate reads the bearer token; on failure it writes 401 (or the
// backend's error) and reports false. The token is never logged.
func (a *API) authenticate(w http.ResponseWriter, r *http.Request) (principal, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if h == "" {
		unauthorized(w, "", "missing bearer token")
		return principal{}, false
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		unauthorized(w, "invalid_request", "the Authorization header must be \"Bearer <token>\"")
		return principal{}, false
	}
	id, ok := a.tokens.lookup(strings.TrimSpace(tok))
	if !ok {
		unauthorized(w, "invalid_token", "invalid token")
		return principal{}, false
	}
	st, err := a.b.Agent(r.Context(), id)
	if errors.Is(err, acd.ErrNotFound) {
		// A configured token whose agent is gone from the pool.
		unauthorized(w, "invalid_token", "invalid token")
		return principal{}, false
	}
	if err != nil {
		a.fail(w, r, err)
		return principal{}, false
	}
	return principal{id: id, role: st.Role}, true
}

func unauthorized(w http.ResponseWriter, code, reason string) {
	v := `Bearer realm="tenesa-agent-api"`
	if code != "" {
		v += `, error="` + code + `"`
	}
	w.Header().Set("WWW-Authenticate", v)
	writeError(w, http.StatusUnauthorized, reason, "")
}
