package agentapi

import (
	"fmt"
	"net/http"

	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// dayCalls: an agent reads its own calls of the day, a leader anyone's.
func (a *API) dayCalls(w http.ResponseWriter, r *http.Request, p principal) {
	id := r.PathValue("id")
	if id != p.id && !p.leader() {
		a.fail(w, r, forbidden(fmt.Sprintf("this token is not agent %s's", printable(id))))
		return
	}
	calls, err := a.b.DayCalls(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if calls == nil {
		calls = []acd.DayCall{}
	}
	writeJSON(w, http.StatusOK, struct {
		Calls []acd.DayCall `json:"calls"`
	}{calls})
}

func (a *API) listCases(w http.ResponseWriter, r *http.Request, p principal) {
	if !p.leader() {
		a.fail(w, r, forbidden("only team leaders and supervisors read the escalation inbox"))
		return
	}
	cs, err := a.b.Cases(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if cs == nil {
		cs = []acd.Case{}
	}
	writeJSON(w, http.StatusOK, struct {
		Escalations []acd.Case `json:"escalations"`
	}{cs})
}

func (a *API) takeCase(w http.ResponseWriter, r *http.Request, p principal) {
	if !p.leader() {
		a.fail(w, r, forbidden("only team leaders and supervisors take escalations"))
		return
	}
	var none struct{}
	if err := a.decodeBody(r, &none, false); err != nil {
		a.fail(w, r, err)
		return
	}
	c, err := a.b.TakeCase(r.Context(), r.PathValue("id"), p.id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (a *API) resolveCase(w http.ResponseWriter, r *http.Request, p principal) {
	if !p.leader() {
		a.fail(w, r, forbidden("only team leaders and supervisors resolve escalations"))
		return
	}
	var body struct {
		Note string `json:"note"`
	}
	if err := a.decodeBody(r, &body, true); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := checkText("note", body.Note, 1, 500); err != nil {
		a.fail(w, r, err)
		return
	}
	c, err := a.b.ResolveCase(r.Context(), r.PathValue("id"), p.id, body.Note)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// me is the status of the token's own agent: the pages sign in with a
// token alone and learn who they are (and whether they lead) from it.
func (a *API) me(w http.ResponseWriter, r *http.Request, p principal) { a.writeAgent(w, r, p.id) }
