package agentapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
)

// selfOp is login, logout, ready or pause: an agent changes its own state
// (a leader changes another's with PUT .../state).
func (a *API) selfOp(op string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p principal) {
		id := r.PathValue("id")
		if id != p.id {
			a.fail(w, r, forbidden(fmt.Sprintf("this token is not agent %s's (leaders use PUT /api/v1/agents/{id}/state)", printable(id))))
			return
		}
		var err error
		switch op {
		case "pause":
			var body struct {
				Reason string `json:"reason"`
			}
			if err = a.decodeBody(r, &body, true); err == nil {
				if err = checkText("reason", body.Reason, 1, 64); err == nil {
					err = a.b.Pause(r.Context(), id, body.Reason)
				}
			}
		default:
			var none struct{}
			if err = a.decodeBody(r, &none, false); err != nil {
				break
			}
			switch op {
			case "login":
				err = a.b.Login(r.Context(), id)
			case "logout":
				err = a.b.Logout(r.Context(), id)
			case "ready":
				err = a.b.Ready(r.Context(), id)
			}
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		a.writeAgent(w, r, id)
	}
}

// writeAgent answers with the agent's status after a change.
func (a *API) writeAgent(w http.ResponseWriter, r *http.Request, id string) {
	st, err := a.b.Agent(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (a *API) listAgents(w http.ResponseWriter, r *http.Request, p principal) {
	if !p.leader() {
		st, err := a.b.Agent(r.Context(), p.id)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, agentList{Agents: []acd.AgentStatus{st}})
		return
	}
	all, err := a.b.Agents(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if all == nil {
		all = []acd.AgentStatus{}
	}
	writeJSON(w, http.StatusOK, agentList{Agents: all})
}

type agentList struct {
	Agents []acd.AgentStatus `json:"agents"`
}

func (a *API) getAgent(w http.ResponseWriter, r *http.Request, p principal) {
	id := r.PathValue("id")
	if id != p.id && !p.leader() {
		a.fail(w, r, forbidden(fmt.Sprintf("this token is not agent %s's", printable(id))))
		return
	}
	a.writeAgent(w, r, id)
}

// setState is a leader's change of an agent's state.
func (a *API) setState(w http.ResponseWriter, r *http.Request, p principal) {
	id := r.PathValue("id")
	if !p.leader() {
		a.fail(w, r, forbidden("only a team leader or supervisor changes another agent's state"))
		return
	}
	var body struct {
		State  acd.State `json:"state"`
		Reason string    `json:"reason"`
	}
	if err := a.decodeBody(r, &body, true); err != nil {
		a.fail(w, r, err)
		return
	}
	switch body.State {
	case acd.Available, acd.LoggedOut:
		if err := checkText("reason", body.Reason, 0, 64); err != nil {
			a.fail(w, r, err)
			return
		}
	case acd.Paused:
		if err := checkText("reason", body.Reason, 1, 64); err != nil {
			a.fail(w, r, err)
			return
		}
	case "":
		a.fail(w, r, badField("state", "required (available, paused or logged_out)"))
		return
	default:
		a.fail(w, r, badField("state", fmt.Sprintf("%q is not one of available, paused, logged_out", printable(string(body.State)))))
		return
	}
	if err := a.b.SetState(r.Context(), p.id, id, body.State, body.Reason); err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.Info().Str("agent_id", id).Str("by", p.id).Str("state", string(body.State)).Msg("agentapi: state set by a leader")
	a.writeAgent(w, r, id)
}

func (a *API) listQueues(w http.ResponseWriter, r *http.Request, _ principal) {
	qs, err := a.b.Queues(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if qs == nil {
		qs = []acd.QueueStatus{}
	}
	writeJSON(w, http.StatusOK, queueList{Queues: qs})
}

type queueList struct {
	Queues []acd.QueueStatus `json:"queues"`
}

// callAgent authorises an action on a call and returns the agent it acts
// for: the agent handling the call (talking, ringing or wrapping it up)
// acts for itself; a leader acts for the agent handling it (forLeader).
func (a *API) callAgent(r *http.Request, p principal, callID string, forLeader bool) (acd.Handling, string, error) {
	h, err := a.b.Handling(r.Context(), callID)
	if err != nil {
		return h, "", err
	}
	if h.AgentID == p.id {
		return h, p.id, nil
	}
	st, err := a.b.Agent(r.Context(), p.id)
	if err != nil {
		return h, "", err
	}
	if st.CallID == callID {
		return h, p.id, nil
	}
	if forLeader && p.leader() {
		if h.AgentID == "" {
			return h, "", &acd.CallStateError{CallID: callID, Op: "act for its agent", Why: "no agent has answered it"}
		}
		return h, h.AgentID, nil
	}
	return h, "", forbidden(fmt.Sprintf("call %s is not agent %s's", printable(callID), p.id))
}

func (a *API) getCall(w http.ResponseWriter, r *http.Request, p principal) {
	callID := r.PathValue("id")
	h, _, err := a.callAgent(r, p, callID, true)
	var cs *acd.CallStateError
	if err != nil && !(p.leader() && errors.As(err, &cs)) { // a leader reads any call
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// dispositionBody is what the desktop posts (policies 5.4, 5.6, 5.7).
type dispositionBody struct {
	Category           acd.Category `json:"category"`
	TicketID           string       `json:"ticket_id"`
	FurtherHelpOffered *bool        `json:"further_help_offered"`
	StandardClosing    *bool        `json:"standard_closing"`
}

func (d dispositionBody) check() error {
	switch {
	case d.Category == "":
		return badField("category", "required (information, request or complaint)")
	case d.FurtherHelpOffered == nil:
		return badField("further_help_offered", "required (true or false)")
	case d.StandardClosing == nil:
		return badField("standard_closing", "required (true or false)")
	}
	return nil
}

func (a *API) disposition(w http.ResponseWriter, r *http.Request, p principal) {
	callID := r.PathValue("id")
	var body dispositionBody
	if err := a.decodeBody(r, &body, true); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := body.check(); err != nil {
		a.fail(w, r, err)
		return
	}
	_, agent, err := a.callAgent(r, p, callID, true)
	if err == nil {
		err = a.b.Disposition(r.Context(), callID, agent, acd.Disposition{Category: body.Category, TicketID: body.TicketID,
			FurtherHelpOffered: *body.FurtherHelpOffered, StandardClosing: *body.StandardClosing})
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.Info().Str("call_id", callID).Str("agent_id", agent).Str("by", p.id).Str("category", string(body.Category)).
		Msg("agentapi: disposition recorded")
	a.writeCall(w, r, callID)
}

// escalateBody: reason is the agent's words for the Team Leader.
type escalateBody struct {
	Reason string `json:"reason"`
}

func (a *API) escalate(w http.ResponseWriter, r *http.Request, p principal) {
	callID := r.PathValue("id")
	var body escalateBody
	if err := a.decodeBody(r, &body, true); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := checkText("reason", body.Reason, 1, 500); err != nil {
		a.fail(w, r, err)
		return
	}
	_, agent, err := a.callAgent(r, p, callID, true)
	if err == nil {
		err = a.b.Escalate(r.Context(), callID, agent, acd.EscalationAgent)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.Info().Str("call_id", callID).Str("agent_id", agent).Str("by", p.id).Msg("agentapi: call escalated")
	a.writeCall(w, r, callID)
}

type helpBody struct {
	Note string `json:"note"`
}

func (a *API) help(w http.ResponseWriter, r *http.Request, p principal) {
	callID := r.PathValue("id")
	var body helpBody
	if err := a.decodeBody(r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := checkText("note", body.Note, 0, 500); err != nil {
		a.fail(w, r, err)
		return
	}
	_, agent, err := a.callAgent(r, p, callID, false)
	if err == nil {
		err = a.b.RequestHelp(r.Context(), agent, callID, body.Note)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, struct {
		Status string `json:"status"`
	}{"leaders notified"})
}

func (a *API) writeCall(w http.ResponseWriter, r *http.Request, callID string) {
	h, err := a.b.Handling(r.Context(), callID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}
