package arisim

import (
	"net/http"
	"strings"
	"time"
)

// handleCreate implements POST /channels/create: the channel is allocated
// and put into the app at once (StasisStart in state Down); nothing is
// dialed until POST /channels/{id}/dial.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	p, _ := readParams(r)
	s.lock()
	defer s.unlock()
	o := originateReq{
		endpoint: p.str("endpoint"), app: p.str("app"), appArgs: p.str("appArgs"),
		chID: p.str("channelId"), otherID: p.str("otherChannelId"),
		caller: parseCallerID(p.str("callerId")), vars: p.variables(), created: true,
		context: "default", extension: "s", priority: 1,
	}
	if o.endpoint == "" {
		writeMsg(w, http.StatusBadRequest, "Endpoint must be specified")
		return
	}
	if o.app == "" {
		writeMsg(w, http.StatusBadRequest, "Application must be specified")
		return
	}
	if (o.chID != "" && s.idTaken(o.chID)) || (o.otherID != "" && (s.idTaken(o.otherID) || strings.HasPrefix(o.chID, o.otherID))) {
		writeMsg(w, http.StatusConflict, "Channel with given unique ID already exists")
		return
	}
	tech, res, ok := strings.Cut(o.endpoint, "/")
	if !ok || tech == "" || res == "" {
		writeMsg(w, http.StatusBadRequest, "Invalid endpoint specified")
		return
	}
	c1 := s.allocate(o, tech, res)
	if c1 == nil {
		writeJSON(w, http.StatusInternalServerError, struct {
			Error string `json:"error"`
		}{"Allocation failed"})
		return
	}
	c1.start = nil
	writeJSON(w, http.StatusOK, c1.json())
	s.enterStasis(c1, o.app, splitArgs(o.appArgs), true)
}

// handleDial implements POST /channels/{id}/dial for created channels.
func (s *Server) handleDial(w http.ResponseWriter, p *params, ch *channel, _ *http.Request) {
	if ch.dial == nil {
		writeMsg(w, http.StatusConflict, "Dialing a channel not created by ARI")
		return
	}
	if ch.state != "Down" {
		writeMsg(w, http.StatusConflict, "Channel is not in the 'Down' state")
		return
	}
	var timeout time.Duration
	if t := p.integer("timeout", 0); t > 0 {
		timeout = time.Duration(t) * time.Second
	}
	dial := ch.dial
	ch.dial = nil
	writeNoContent(w)
	dial(timeout)
}
