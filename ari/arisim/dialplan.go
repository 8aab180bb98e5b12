package arisim

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The simulator's mini-dialplan mirrors testdata/transcripts/extensions.conf
// (the dialplan the transcripts were recorded with):
//
//	[tenesa-in]      _X. and s: NoOp, Stasis(tenesa-ivr,${EXTEN}), Hangup
//	[from-callers]   include tenesa-in (PJSIP callers)
//	[caller-sim]     Answer, Wait(WAIT1), SendDTMF(DTMF_SCRIPT), Wait(WAIT2), Hangup
//	[agent-sim]      Answer, Wait(30), Hangup
//	[agent-noanswer] Ringing, Wait(120), Hangup
//	[after-continue] NoOp, Playback(beep), Hangup

// defaultApp is the app [tenesa-in] hands calls to.
const defaultApp = "tenesa-ivr"

func parseCallerID(v string) idName {
	v = strings.TrimSpace(v)
	if i := strings.Index(v, "<"); i >= 0 {
		j := strings.Index(v[i:], ">")
		num := v[i+1:]
		if j >= 0 {
			num = v[i+1 : i+j]
		}
		return idName{Name: strings.Trim(strings.TrimSpace(v[:i]), `"`), Number: num}
	}
	return idName{Number: v}
}

// originateReq is a parsed POST /channels.
type originateReq struct {
	endpoint, app, appArgs string
	context, extension     string
	priority               int
	chID, otherID          string
	caller                 idName
	timeout                time.Duration // 0 = none
	vars                   map[string]string
	created                bool // POST /channels/create: in Stasis before the dial
}

func (s *Server) handleOriginate(w http.ResponseWriter, r *http.Request) {
	p, _ := readParams(r)
	s.lock()
	defer s.unlock()
	o := originateReq{
		endpoint: p.str("endpoint"), app: p.str("app"), appArgs: p.str("appArgs"),
		context: p.str("context"), extension: p.str("extension"),
		priority: p.integer("priority", 1),
		chID:     p.str("channelId"), otherID: p.str("otherChannelId"),
		caller: parseCallerID(p.str("callerId")),
		vars:   p.variables(),
	}
	if id := r.PathValue("id"); id != "" {
		o.chID = id
	}
	switch t := p.integer("timeout", 30); {
	case t > 0:
		o.timeout = time.Duration(t) * time.Second
	default:
		o.timeout = 0
	}
	if f := s.opts.Hooks.Originate; f != nil && o.endpoint != "" {
		f(o.endpoint, receivedAt(r))
	}
	if o.endpoint == "" {
		writeMsg(w, http.StatusBadRequest, "Endpoint must be specified")
		return
	}
	if o.app == "" && o.extension == "" {
		writeMsg(w, http.StatusBadRequest, "Application or extension must be specified")
		return
	}
	if (o.chID != "" && s.idTaken(o.chID)) || (o.otherID != "" && (s.idTaken(o.otherID) || strings.HasPrefix(o.chID, o.otherID))) {
		s.staleDup = true
		writeMsg(w, http.StatusConflict, "Channel with given unique ID already exists")
		return
	}
	tech, res, ok := strings.Cut(o.endpoint, "/")
	if !ok || tech == "" || res == "" {
		writeMsg(w, http.StatusBadRequest, "Invalid endpoint specified")
		return
	}
	if o.context == "" {
		o.context = "default"
	}
	if o.extension == "" {
		o.extension = "s"
	}
	c1 := s.allocate(o, tech, res)
	if c1 == nil {
		if s.staleDup {
			s.staleDup = false
			writeMsg(w, http.StatusConflict, "Channel with given unique ID already exists")
			return
		}
		writeJSON(w, http.StatusInternalServerError, struct {
			Error string `json:"error"`
		}{"Allocation failed"})
		return
	}
	s.staleDup = false
	s.log.Debug().Str("endpoint", o.endpoint).Str("channel_id", c1.id).Str("app", o.app).Msg("originate")
	writeJSON(w, http.StatusOK, c1.json())
	s.startOriginated(c1)
}

// localPair creates the two halves of a Local channel.
func (s *Server) localPair(exten, context, id1, id2 string) (c1, c2 *channel) {
	s.localSeq++
	base := fmt.Sprintf("Local/%s@%s-%08x", exten, context, s.localSeq)
	if id1 == "" {
		id1 = s.uniqueID()
		if id2 == "" {
			id2 = s.uniqueID()
		}
	} else if id2 == "" {
		id2 = id1 + ";2"
	}
	c1 = s.newChannel(id1, base+";1", "Down", "Local")
	c1.dp = dialplanCEP{Context: context, Exten: exten, Priority: 1}
	c2 = s.newChannel(id2, base+";2", "Ring", "Local")
	c2.dp = dialplanCEP{Context: context, Exten: exten, Priority: 1}
	c1.peer, c2.peer = c2, c1
	c1.outgoing = true
	c2.inDialplan = true
	return c1, c2
}

// originateLocal creates the pair, sends the creation events and wires what
// each half does. The returned ;1 half is what the originate answers with.
func (s *Server) originateLocal(o originateReq, res string) *channel {
	exten, context, _ := strings.Cut(res, "@")
	context, _, _ = strings.Cut(context, "/")
	if context == "" {
		context = "default"
	}
	switch context {
	case "tenesa-in", "from-callers", "caller-sim", "agent-sim", "agent-noanswer", "after-continue", broadcastContext:
	default:
		if _, ok := s.agents[o.endpoint]; !ok {
			return nil
		}
	}
	c1, c2 := s.localPair(exten, context, o.chID, o.otherID)
	if context == "caller-sim" || o.context == "caller-sim" {
		c := s.newCall(nil, scriptFromVars(o.vars), "Local", defaultApp)
		c1.call, c2.call = c, c
	}
	if o.app != "" {
		c1.watchers[o.app] = true
		c2.watchers[o.app] = true
	}
	s.emitChan(c1, "ChannelCreated", nil, nil, true)
	s.emitChan(c2, "ChannelCreated", nil, nil, true)
	c1.caller, c1.connected = o.caller, o.caller
	c2.caller, c2.connected = o.caller, o.caller
	c1.dp.AppName, c1.dp.AppData = "AppDial2", "(Outgoing Line)"
	s.emitChan(c1, "ChannelDialplan", nil, obj{{"dialplan_app", "AppDial2"}, {"dialplan_app_data", "(Outgoing Line)"}}, true)
	s.callerIDEvents(c1, true)
	names := make([]string, 0, len(o.vars))
	for k := range o.vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		s.setVar(c1, k, o.vars[k], true)
	}
	// variables are inherited by the ;2 half (in reverse order, like Asterisk)
	for i := len(names) - 1; i >= 0; i-- {
		s.setVar(c2, names[i], o.vars[names[i]], true)
	}
	s.callerIDEvents(c2, false)
	c1.dial = func(timeout time.Duration) {
		o.timeout = timeout
		s.runLocal(o, c1, c2, exten, context)
	}
	c1.start = func() { c1.dial(o.timeout) }
	return c1
}

// startOriginated runs what was deferred until the originate response.
func (s *Server) startOriginated(c1 *channel) {
	if f := c1.start; f != nil {
		c1.start = nil
		f()
	}
}

func (s *Server) callerIDEvents(ch *channel, allOnly bool) {
	s.emitChan(ch, "ChannelCallerId", nil, obj{{"caller_presentation", 0}, {"caller_presentation_txt", "Presentation Allowed, Not Screened"}}, allOnly)
	s.emitChan(ch, "ChannelConnectedLine", nil, nil, allOnly)
}

func (s *Server) emitDial(peer *channel, status, dialstring string, allOnly bool) {
	s.emitTo(s.targets(peer.watchers, allOnly), "Dial", nil, obj{
		{"dialstatus", status}, {"forward", ""}, {"dialstring", dialstring}, {"peer", peer.json()},
	})
}

// runLocal starts both halves of an originated Local channel.
func (s *Server) runLocal(o originateReq, c1, c2 *channel, exten, context string) {
	dialstring := exten + "@" + context
	// What ;1 does once ;2 answers: enter the app or run the given context.
	if o.app != "" {
		c1.onUp = append(c1.onUp, func() {
			s.emitDial(c1, "ANSWER", dialstring, false)
			if !o.created {
				s.enterStasis(c1, o.app, splitArgs(o.appArgs), true)
			}
		})
	} else {
		c1.onUp = append(c1.onUp, func() {
			s.emitDial(c1, "ANSWER", dialstring, true)
			s.runContext(c1, o.context, o.extension, o.priority)
		})
		c1.beforeDestroy = append(c1.beforeDestroy, func() {
			if c1.state != "Up" {
				if !c1.dialShown {
					s.emitDial(c1, "", dialstring, true)
				}
				s.emitDial(c1, "NOANSWER", dialstring, true)
			}
		})
	}
	if a, ok := s.agents[o.endpoint]; ok {
		s.runLocalAgent(o, c1, c2, dialstring, a)
		return
	}
	switch context {
	case "agent-sim":
		s.runLocalAgent(o, c1, c2, dialstring, Agent{Endpoint: o.endpoint, HangupAfter: 30 * time.Second})
	case "agent-noanswer":
		s.runLocalAgent(o, c1, c2, dialstring, Agent{Endpoint: o.endpoint, NeverAnswer: true})
	default:
		if o.app != "" {
			s.emitDial(c1, "", dialstring, false)
		}
		if o.timeout > 0 && context != "caller-sim" {
			s.chanTimer(c1, o.timeout, func() {
				if c1.state != "Up" {
					c2.silentPeer = true
					s.hangup(c2, byRemote, 19)
				}
			})
		}
		if context == broadcastContext {
			// the ;1 half dials at once (15); StasisBroadcast does not
			// answer, so the rest waits for the end
			s.emitDial(c1, "", dialstring, true)
			c1.dialShown = true
		}
		s.runContext(c2, context, exten, 1)
	}
}

func splitArgs(v string) []string {
	if v == "" {
		return []string{}
	}
	return strings.Split(v, ",")
}

// runContext runs the mini-dialplan on ch from context/exten/priority.
func (s *Server) runContext(ch *channel, context, exten string, prio int) {
	ch.dp = dialplanCEP{Context: context, Exten: exten, Priority: prio}
	ch.inDialplan = true
	switch context {
	case "tenesa-in", "from-callers":
		if prio > 2 {
			s.dialplanEvent(ch, "Hangup", "", 3, false)
			s.hangup(ch, byDialplan, 16)
			return
		}
		s.dialplanEvent(ch, "NoOp", fmt.Sprintf("TENESA in %s from %q <%s>", exten, ch.caller.Name, ch.caller.Number), 1, false)
		appName := defaultApp
		if ch.call != nil && ch.call.app != "" {
			appName = ch.call.app
		}
		s.stasisFromDialplan(ch, appName, []string{exten})
	case broadcastContext:
		if prio <= 1 {
			dev := ch.name
			if i := strings.LastIndex(dev, "-"); i > 0 {
				dev = dev[:i]
			}
			ch.device = dev
			if ch.peer != nil {
				ch.peer.device = dev
			}
		}
		s.runBroadcastContext(ch, exten, prio)
	case "caller-sim":
		c := ch.call
		if c == nil {
			c = s.newCall(ch, scriptFromVars(ch.vars), "Local", defaultApp)
			ch.call = c
		}
		c.caller = ch
		if ch.peer != nil && ch.peer.call == nil {
			ch.peer.call = c
		}
		s.dialplanEvent(ch, "Answer", "", 1, false)
		s.answer(ch)
		s.runScript(c)
	case "after-continue":
		s.dialplanEvent(ch, "NoOp", "TENESA after-continue "+ch.name, 1, false)
		s.dialplanEvent(ch, "Playback", "beep", 2, false)
		s.chanTimer(ch, s.mediaDuration("sound:beep"), func() {
			s.dialplanEvent(ch, "Hangup", "", 3, false)
			s.hangup(ch, byDialplan, 16)
		})
	default:
		// no such extension: the PBX hangs the channel up
		s.hangup(ch, byDialplan, 16)
	}
}

// stasisFromDialplan is Stasis(app,args) from the dialplan. Without a
// connected app it fails and the dialplan continues to Hangup (12).
func (s *Server) stasisFromDialplan(ch *channel, appName string, args []string) {
	s.dialplanEvent(ch, "Stasis", strings.Join(append([]string{appName}, args...), ","), ch.dp.Priority+1, false)
	if ch.tech == "Local" {
		dev := strings.SplitN(ch.name, "-", 2)[0]
		if i := strings.LastIndex(ch.name, "-"); i > 0 {
			dev = ch.name[:i]
		}
		ch.device = dev
		s.deviceChanged(dev, "INUSE")
	}
	if !s.appActive(appName) {
		s.log.Debug().Str("app", appName).Msg("Stasis app doesn't exist")
		if ch.device != "" {
			s.deviceChanged(ch.device, "NOT_INUSE")
			ch.device = ""
		}
		s.setVar(ch, "STASISSTATUS", "", false)
		s.setVar(ch, "STASISSTATUS", "FAILED", false)
		s.dialplanEvent(ch, "Hangup", "", ch.dp.Priority+1, false)
		s.hangup(ch, byDialplan, 16)
		return
	}
	ch.inDialplan = false
	s.enterStasis(ch, appName, args, false)
	if ch.call != nil {
		ch.call.stasis = ch
	}
}

// scriptFromVars builds the [caller-sim] script from WAIT1/DTMF_SCRIPT/WAIT2.
func scriptFromVars(v map[string]string) []Step {
	secs := func(name string, def float64) time.Duration {
		if f, err := strconv.ParseFloat(v[name], 64); err == nil && v[name] != "" {
			return time.Duration(f * float64(time.Second))
		}
		return time.Duration(def * float64(time.Second))
	}
	// priorities as in extensions.conf: Answer 1, Wait 2, GotoIf 3,
	// SendDTMF 4, Wait 5, Hangup 6
	at := func(st Step, prio int) Step { st.prio = prio; return st }
	steps := []Step{at(Wait(secs("WAIT1", 3)), 2)}
	if d := v["DTMF_SCRIPT"]; d != "" {
		steps = append(steps, at(Press(d), 4))
	}
	return append(steps, at(Wait(secs("WAIT2", 60)), 5), at(HangUp(), 6))
}

// allocate creates the channel of an originate (POST /channels or
// /channels/create): a Local pair or a scripted PJSIP agent; nil when the
// technology or endpoint is unknown ("Allocation failed").
func (s *Server) allocate(o originateReq, tech, res string) *channel {
	switch {
	case strings.EqualFold(tech, "Local"):
		return s.originateLocal(o, res)
	case strings.EqualFold(tech, "PJSIP"):
		// An offline endpoint (no contact registered) cannot be
		// allocated, like an unknown one.
		if a, ok := s.agents[o.endpoint]; ok && !s.offline[res] {
			return s.originatePJSIPAgent(o, res, a)
		}
	}
	return nil
}
