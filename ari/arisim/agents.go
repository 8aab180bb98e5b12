package arisim

import (
	"fmt"
	"strconv"
	"time"
)

// Agent is a scripted agent endpoint, reached when the controller
// originates exactly Endpoint (e.g. "PJSIP/agent1001" or
// "Local/1001@agent-sim").
type Agent struct {
	Endpoint    string        // exact endpoint string the controller originates
	AnswerAfter time.Duration // ring this long (sim time), then answer
	NeverAnswer bool          // ring until the originate timeout: ChannelDestroyed cause 19 (transcript 07)
	Busy        bool          // fail at once: ChannelDestroyed cause 17 "User busy"
	HangupAfter time.Duration // after answering, hang up after this long (0 = stay)
}

// AgentLeg is what happened to one originate of an agent endpoint.
type AgentLeg struct {
	ChannelID   string    // the channel the originate returned
	Originated  time.Time // sim time
	Answered    bool
	AnsweredAt  time.Time
	Ended       time.Time
	HungUpBy    string   // "agent", "controller", "caller", "timeout", "busy"
	BridgedWith []string // channel ids
}

// AddAgent registers (or replaces) a scripted agent endpoint. Without a
// registration, "Local/N@agent-sim" answers at once and hangs up after 30 s
// and "Local/N@agent-noanswer" never answers, as in the transcripts' dialplan;
// unregistered PJSIP endpoints fail with 500 Allocation failed.
func (s *Server) AddAgent(a Agent) {
	s.lock()
	defer s.unlock()
	s.agents[a.Endpoint] = a
}

// AgentReport lists one AgentLeg per originate of endpoint, oldest first.
func (s *Server) AgentReport(endpoint string) []AgentLeg {
	s.lock()
	defer s.unlock()
	var out []AgentLeg
	for _, l := range s.agentLegs[endpoint] {
		c := *l
		c.BridgedWith = append([]string(nil), l.BridgedWith...)
		out = append(out, c)
	}
	return out
}

func (s *Server) newLeg(endpoint, id string) *AgentLeg {
	l := &AgentLeg{ChannelID: id, Originated: s.now()}
	s.agentLegs[endpoint] = append(s.agentLegs[endpoint], l)
	return l
}

func (l *AgentLeg) channelGone(s *Server, ch *channel) {
	if l.Ended.IsZero() && ch.id == l.ChannelID {
		l.Ended = s.now()
		if l.HungUpBy == "" {
			l.HungUpBy = "caller"
		}
	}
}

func secsText(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// runLocalAgent plays an agent on the ;2 half (transcripts 05 and 07).
func (s *Server) runLocalAgent(o originateReq, c1, c2 *channel, dialstring string, a Agent) {
	allOnly := o.app == ""
	leg := s.newLeg(o.endpoint, c1.id)
	c1.leg, c2.leg = leg, leg
	if a.Busy {
		s.emitDial(c1, "", dialstring, allOnly)
		leg.HungUpBy = "busy"
		c2.silentPeer = true
		s.hangup(c2, byRemote, 17)
		return
	}
	answerNow := func() {
		leg.Answered, leg.AnsweredAt = true, s.now()
		s.dialplanEvent(c2, "Answer", "", 1, false)
		s.answer(c2)
		wait := "86400"
		if a.HangupAfter > 0 {
			wait = secsText(a.HangupAfter)
		}
		s.chanTimer(c2, 500*time.Millisecond, func() { s.dialplanEvent(c2, "Wait", wait, 2, false) })
		if a.HangupAfter > 0 {
			s.chanTimer(c2, a.HangupAfter, func() {
				if leg.HungUpBy == "" {
					leg.HungUpBy = "agent"
				}
				s.dialplanEvent(c2, "Hangup", "", 3, false)
				s.hangup(c2, byDialplan, 16)
			})
		}
	}
	if !a.NeverAnswer && a.AnswerAfter <= 0 {
		s.emitDial(c1, "", dialstring, allOnly)
		answerNow()
		return
	}
	s.dialplanEvent(c2, "Ringing", "", 1, false)
	s.setState(c1, "Ringing")
	wait := "120"
	if !a.NeverAnswer {
		wait = secsText(a.AnswerAfter)
	}
	s.dialplanEvent(c2, "Wait", wait, 2, false)
	s.emitDial(c1, "", dialstring, allOnly)
	s.emitDial(c1, "RINGING", dialstring, allOnly)
	if !a.NeverAnswer && (o.timeout == 0 || a.AnswerAfter < o.timeout) {
		s.chanTimer(c2, a.AnswerAfter, answerNow)
	}
	if o.timeout > 0 {
		s.chanTimer(c1, o.timeout, func() {
			if c1.state != "Up" {
				leg.HungUpBy = "timeout"
				c2.silentPeer = true
				s.hangup(c2, byRemote, 19)
			}
		})
	}
}

// originatePJSIPAgent creates the single channel of a PJSIP agent.
func (s *Server) originatePJSIPAgent(o originateReq, res string, a Agent) *channel {
	id := o.chID
	if id == "" {
		id = s.uniqueID()
	}
	s.sipSeq++
	ch := s.newChannel(id, fmt.Sprintf("PJSIP/%s-%08x", res, s.sipSeq), "Down", "PJSIP")
	ch.protocolID = fmt.Sprintf("%08x-sim@127.0.0.1", s.sipSeq)
	ch.outgoing = true
	ch.dp = dialplanCEP{Context: "default", Exten: "s", Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"}
	ch.caller, ch.connected = o.caller, o.caller
	if o.app != "" {
		ch.watchers[o.app] = true
	}
	allOnly := o.app == ""
	s.emitChan(ch, "ChannelCreated", nil, nil, true)
	for k, v := range o.vars {
		s.setVar(ch, k, v, true)
	}
	leg := s.newLeg(o.endpoint, id)
	ch.leg = leg
	ch.start = func() { ch.dial(o.timeout) }
	ch.dial = func(timeout time.Duration) {
		o.timeout = timeout
		if a.Busy {
			s.emitDial(ch, "", res, allOnly)
			leg.HungUpBy = "busy"
			s.teardown(ch, 17)
			return
		}
		ch.onUp = append(ch.onUp, func() {
			leg.Answered, leg.AnsweredAt = true, s.now()
			s.emitDial(ch, "ANSWER", res, allOnly)
			if o.app != "" {
				if !o.created {
					s.enterStasis(ch, o.app, splitArgs(o.appArgs), true)
				}
			} else {
				s.runContext(ch, o.context, o.extension, o.priority)
			}
			if a.HangupAfter > 0 {
				s.chanTimer(ch, a.HangupAfter, func() {
					if leg.HungUpBy == "" {
						leg.HungUpBy = "agent"
					}
					s.hangup(ch, byRemote, 16)
				})
			}
		})
		if !a.NeverAnswer && a.AnswerAfter <= 0 {
			s.emitDial(ch, "", res, allOnly)
			s.setState(ch, "Up")
			return
		}
		s.setState(ch, "Ringing")
		s.emitDial(ch, "", res, allOnly)
		s.emitDial(ch, "RINGING", res, allOnly)
		if !a.NeverAnswer && (o.timeout == 0 || a.AnswerAfter < o.timeout) {
			s.chanTimer(ch, a.AnswerAfter, func() { s.setState(ch, "Up") })
		}
		if o.timeout > 0 {
			s.chanTimer(ch, o.timeout, func() {
				if ch.state != "Up" {
					leg.HungUpBy = "timeout"
					s.teardown(ch, 19)
				}
			})
		}
	}
	return ch
}
