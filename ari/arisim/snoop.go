package arisim

import (
	"fmt"
	"net/http"
)

// handleSnoop implements POST /channels/{id}/snoop (transcript 20): a Snoop
// channel, state Up, that enters the given app at once (StasisStart with no
// args, dialplan default/s/1). It does not go through the snooped channel's
// control queue. DELETE gives ChannelHangupRequest (32, soft) and StasisEnd,
// no ChannelDestroyed. No audio is modelled.
func (s *Server) handleSnoop(w http.ResponseWriter, p *params, ch *channel, r *http.Request) {
	appName := p.str("app")
	if appName == "" {
		writeMsg(w, http.StatusBadRequest, "Required parameter app not provided")
		return
	}
	switch p.str("spy") {
	case "", "none", "in", "out", "both":
	default:
		writeMsg(w, http.StatusBadRequest, "Invalid direction specified for spy")
		return
	}
	switch p.str("whisper") {
	case "", "none", "in", "out", "both":
	default:
		writeMsg(w, http.StatusBadRequest, "Invalid direction specified for whisper")
		return
	}
	id := r.PathValue("snoopId")
	if id == "" {
		id = p.str("snoopId")
	}
	if id == "" {
		id = s.uniqueID()
	}
	if s.idTaken(id) {
		writeMsg(w, http.StatusConflict, "Channel with given unique ID already exists")
		return
	}
	s.snoopSeq++
	sn := s.newChannel(id, fmt.Sprintf("Snoop/%s-%08x", ch.id, s.snoopSeq), "Up", "Snoop")
	sn.dp = dialplanCEP{Context: "default", Exten: "s", Priority: 1}
	writeJSON(w, http.StatusOK, sn.json())
	s.enterStasis(sn, appName, splitArgs(p.str("appArgs")), false)
}
