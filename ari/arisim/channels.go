package arisim

import (
	"net/http"
	"strconv"
	"strings"
)

// lookupStasis finds a channel that must be in Stasis: 404 when unknown,
// 409 when it exists but is not in a Stasis application. Called with s.mu held.
func (s *Server) lookupStasis(w http.ResponseWriter, id string) *channel {
	ch := s.channels[id]
	if ch == nil {
		writeMsg(w, http.StatusNotFound, "Channel not found")
		return nil
	}
	if ch.stasisApp == "" {
		writeMsg(w, http.StatusConflict, "Channel not in Stasis application")
		return nil
	}
	return ch
}

// anyChanOp wraps a handler on any live channel, in Stasis or in the
// dialplan: reading a variable works on a channel the dialplan runs again
// after continue (transcript 16: 200 {"value":"SUCCESS"}).
func (s *Server) anyChanOp(f func(w http.ResponseWriter, p *params, ch *channel, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := readParams(r)
		s.lock()
		defer s.unlock()
		ch := s.channels[r.PathValue("id")]
		if ch == nil {
			writeMsg(w, http.StatusNotFound, "Channel not found")
			return
		}
		f(w, p, ch, r)
	}
}

// chanOp wraps a handler on a channel in Stasis.
func (s *Server) chanOp(f func(w http.ResponseWriter, p *params, ch *channel, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, _ := readParams(r)
		s.lock()
		defer s.unlock()
		ch := s.lookupStasis(w, r.PathValue("id"))
		if ch == nil {
			return
		}
		f(w, p, ch, r)
	}
}

func (s *Server) handleListChannels(w http.ResponseWriter, _ *http.Request) {
	s.lock()
	defer s.unlock()
	out := []channelJSON{}
	for _, ch := range s.sortedChannels() {
		out = append(out, ch.json())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetChannel(w http.ResponseWriter, r *http.Request) {
	s.lock()
	defer s.unlock()
	ch := s.channels[r.PathValue("id")]
	if ch == nil {
		writeMsg(w, http.StatusNotFound, "Channel not found")
		return
	}
	writeJSON(w, http.StatusOK, ch.json())
}

// hangupReasons maps DELETE /channels reasons to Q.850 causes.
var hangupReasons = map[string]int{
	"normal": 16, "busy": 17, "congestion": 34, "no_answer": 19, "timeout": 19,
	"rejected": 21, "unallocated": 1, "normal_unspecified": 31,
	"number_incomplete": 28, "codec_mismatch": 58, "interworking": 127,
	"failure": 38, "answered_elsewhere": 26,
}

func (s *Server) handleHangup(w http.ResponseWriter, r *http.Request) {
	p, _ := readParams(r)
	cause := 16
	if rc := p.str("reason_code"); rc != "" {
		n, err := strconv.Atoi(rc)
		if err != nil {
			writeMsg(w, http.StatusBadRequest, "Invalid reason for hangup provided")
			return
		}
		cause = n
	} else if reason := p.str("reason"); reason != "" {
		c, ok := hangupReasons[reason]
		if !ok {
			writeMsg(w, http.StatusBadRequest, "Invalid reason for hangup provided")
			return
		}
		cause = c
	}
	s.lock()
	defer s.unlock()
	ch := s.channels[r.PathValue("id")]
	if ch == nil {
		writeMsg(w, http.StatusNotFound, "Channel not found")
		return
	}
	if ch.call != nil && ch.call.stasis == ch {
		ch.call.setHungUpBy("controller")
	}
	if ch.leg != nil && ch.leg.HungUpBy == "" {
		ch.leg.HungUpBy = "controller"
	}
	writeNoContent(w)
	s.hangup(ch, byController, cause)
}

// handleAnswer: a synchronous command (control.go), held by a playback.
func (s *Server) handleAnswer(w http.ResponseWriter, _ *params, ch *channel, r *http.Request) {
	s.syncCmd(w, r, ch, func() { s.answer(ch) })
}

// answer brings a channel Up (and its Local peer, which then runs its side).
func (s *Server) answer(ch *channel) {
	if ch.peer != nil && !ch.peer.gone && ch.peer.state != "Up" {
		defer s.setState(ch.peer, "Up")
	}
	s.setState(ch, "Up")
}

// noEvent handlers: ring, moh, hold, mute, silence produce no events (08).
func (s *Server) handleNoEvent(w http.ResponseWriter, _ *params, _ *channel, _ *http.Request) {
	writeNoContent(w)
}

// handleMOH starts or stops music on hold (no event, transcript 08); a
// placed call's report keeps whether it is on and every start.
func (s *Server) handleMOH(w http.ResponseWriter, _ *params, ch *channel, r *http.Request) {
	writeNoContent(w)
	if ch.call == nil || ch.call.stasis != ch {
		return
	}
	on := r.Method == http.MethodPost
	rep := &ch.call.rep
	if on && !rep.MusicOnHold {
		rep.MOHStarts = append(rep.MOHStarts, s.now())
	}
	rep.MusicOnHold = on
	ch.call.noteMedia()
}

func (s *Server) handlePlay(w http.ResponseWriter, p *params, ch *channel, r *http.Request) {
	s.play(w, p, r.PathValue("pbid"), ch, nil)
}

// handleSendDTMF: an asynchronous command (control.go). The digits reach
// the far end of a Local pair (its ChannelDtmfReceived, if an app watches it).
func (s *Server) handleSendDTMF(w http.ResponseWriter, p *params, ch *channel, _ *http.Request) {
	d := p.str("dtmf")
	if d == "" {
		writeMsg(w, http.StatusBadRequest, "DTMF is required")
		return
	}
	writeNoContent(w)
	s.asyncCmd(ch, func(done func()) { s.sendDigits(ch, d, 0, done) })
}

func (s *Server) sendDigits(ch *channel, digits string, i int, done func()) {
	if i >= len(digits) {
		done()
		return
	}
	d := digits[i]
	s.chanTimer(ch, sendDigitReport, func() {
		if ch.call != nil {
			ch.call.rep.DTMFReceived += string(d)
		}
		if peer := ch.peer; peer != nil && !peer.gone {
			s.emitChan(peer, "ChannelDtmfReceived", nil, obj{{"digit", string(d)}, {"duration_ms", 100}}, false)
		}
	})
	s.chanTimer(ch, sendDigitEnd, func() { s.sendDigits(ch, digits, i+1, done) })
}

func (s *Server) handleGetVar(w http.ResponseWriter, p *params, ch *channel, _ *http.Request) {
	name := p.str("variable")
	if name == "" {
		writeMsg(w, http.StatusBadRequest, "Variable name is required")
		return
	}
	v, ok := ch.getVar(name)
	if !ok {
		writeMsg(w, http.StatusNotFound, "Provided variable was not found")
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Value string `json:"value"`
	}{v})
}

// getVar reads a variable or one of a few dialplan functions.
func (c *channel) getVar(name string) (string, bool) {
	switch strings.ToUpper(name) {
	case "CALLERID(NUM)", "CALLERID(NUMBER)":
		return c.caller.Number, true
	case "CALLERID(NAME)":
		return c.caller.Name, true
	case "CHANNEL", "CHANNEL(NAME)":
		return c.name, true
	case "UNIQUEID":
		return c.id, true
	case "EXTEN":
		return c.dp.Exten, true
	}
	v, ok := c.vars[name]
	return v, ok
}

func (s *Server) handleSetVar(w http.ResponseWriter, p *params, ch *channel, r *http.Request) {
	name := p.str("variable")
	if name == "" {
		writeMsg(w, http.StatusBadRequest, "Variable name is required")
		return
	}
	value := p.str("value")
	// A synchronous command (control.go), held by a playback.
	s.syncCmd(w, r, ch, func() {
		if ch.call != nil {
			ch.call.vars[name] = value
		}
		s.setVar(ch, name, value, false)
	})
}

func (s *Server) handleContinue(w http.ResponseWriter, p *params, ch *channel, _ *http.Request) {
	ctx, ext := p.str("context"), p.str("extension")
	prio := p.integer("priority", 0)
	if ctx == "" {
		ctx = ch.dp.Context
	}
	if ext == "" {
		ext = ch.dp.Exten
	}
	if prio <= 0 {
		prio = ch.dp.Priority + 1
	}
	// An asynchronous command (control.go): 204 at once, StasisEnd when
	// the commands before it (a playback) have run.
	writeNoContent(w)
	s.asyncCmd(ch, func(done func()) {
		if ch.stasisApp == "" {
			done()
			return
		}
		if ch.call != nil && ch.call.stasis == ch {
			ch.call.setHungUpBy("continue")
			ch.call.rep.ContinuedTo = ctx + "," + ext + "," + strconv.Itoa(prio)
		}
		s.leaveStasis(ch)
		// What was queued behind the continue is dropped with the session.
		s.abortPlayer(&ch.player)
		for _, it := range ch.ctl {
			if it.abort != nil {
				it.abort()
			}
		}
		ch.ctl = nil
		done()
		s.runContext(ch, ctx, ext, prio)
	})
}

func (s *Server) handleRedirect(w http.ResponseWriter, p *params, ch *channel, _ *http.Request) {
	ep := p.str("endpoint")
	if ep == "" {
		writeMsg(w, http.StatusBadRequest, "Required parameter endpoint not provided")
		return
	}
	if !strings.Contains(ep, "/") {
		writeMsg(w, http.StatusBadRequest, "Endpoint parameter is invalid")
		return
	}
	if ch.call != nil && ch.call.stasis == ch {
		ch.call.setHungUpBy("continue")
		ch.call.rep.ContinuedTo = "redirect:" + ep
	}
	writeNoContent(w)
	s.leaveStasis(ch)
	// The channel is transferred away: it leaves this Asterisk.
	s.chanTimer(ch, 0, func() { s.hangup(ch, byDialplan, 16) })
}
