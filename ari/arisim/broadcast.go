package arisim

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// StasisBroadcast (Asterisk ≥ 22.7, app_stasis_broadcast.c and
// res_stasis_broadcast.c; transcripts 14–19 and their README section).
//
//	[broadcast-in]  _X.: NoOp, StasisBroadcast(2000,^tenesa-ivr-,${EXTEN}),
//	                     NoOp, Wait(1), Hangup
//	                8001: the same with args "8001:notify" and notify_claimed=yes
//
// The channel offers itself to every connected app whose name matches the
// filter (CallBroadcast); the first POST /events/claim wins (204), later
// claims get 409 while the winner's Stasis session lasts and 404 once the
// broadcast is over. The winner gets StasisStart with the args split at ':'.
// Nobody claiming within the timeout gives STASISSTATUS=TIMEOUT and the
// dialplan continues. A hangup is noticed only at the checks every 200 ms
// from the start, so a claim in that gap still wins (17).

// broadcastContext is the dialplan context that runs StasisBroadcast.
const broadcastContext = "broadcast-in"

// broadcastCheck is how often StasisBroadcast looks for a hangup.
const broadcastCheck = 200 * time.Millisecond

// Broadcast states.
const (
	bcWaiting = iota // offered, no claim yet
	bcClaimed        // the winner's Stasis session runs: claims get 409
	bcOver           // timeout, failure or the session ended: claims get 404
)

// broadcast is one StasisBroadcast in progress on a channel.
type broadcast struct {
	filter  *regexp.Regexp
	args    []string
	notify  bool
	state   int
	hungUp  bool // a hangup request arrived; noticed at the next check
	winner  string
	start   time.Time // sim time StasisBroadcast started
	timeout *timer
	checks  *timer // the check that will notice a hangup, once one came
}

// broadcastData is StasisBroadcast's argument string in [broadcast-in].
func broadcastData(exten string, timeout time.Duration) (data string, notify bool) {
	ms := strconv.FormatInt(timeout.Milliseconds(), 10)
	if exten == "8001" {
		return ms + ",^tenesa-ivr-," + exten + ":notify,yes", true
	}
	return ms + ",^tenesa-ivr-," + exten, false
}

// runBroadcastContext runs [broadcast-in] on ch from priority prio.
func (s *Server) runBroadcastContext(ch *channel, exten string, prio int) {
	switch {
	case prio <= 2:
		what := "TENESA broadcast %s from %q <%s>"
		if exten == "8001" {
			what = "TENESA broadcast %s notify_claimed from %q <%s>"
		}
		s.dialplanEvent(ch, "NoOp", fmt.Sprintf(what, exten, ch.caller.Name, ch.caller.Number), 1, false)
		s.stasisBroadcast(ch, exten)
	case prio == 3:
		s.dialplanEvent(ch, "NoOp", "TENESA broadcast ended STASISSTATUS="+ch.vars["STASISSTATUS"], 3, false)
		s.dialplanEvent(ch, "Wait", "1", 4, false)
		s.chanTimer(ch, time.Second, func() {
			s.dialplanEvent(ch, "Hangup", "", 5, false)
			s.hangup(ch, byDialplan, 16)
		})
	default:
		s.dialplanEvent(ch, "Hangup", "", 5, false)
		s.hangup(ch, byDialplan, 16)
	}
}

// stasisBroadcast starts StasisBroadcast on ch (priority 2).
func (s *Server) stasisBroadcast(ch *channel, exten string) {
	timeout := s.opts.BroadcastTimeout
	if ch.call != nil && ch.call.bcTimeout > 0 {
		timeout = ch.call.bcTimeout
	}
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	data, notify := broadcastData(exten, timeout)
	s.dialplanEvent(ch, "StasisBroadcast", data, 2, false)
	ch.inDialplan = false
	args := strings.Split(exten, ":")
	if notify {
		args = []string{exten, "notify"}
	}
	bc := &broadcast{filter: regexp.MustCompile("^tenesa-ivr-"), args: args, notify: notify}
	ch.bc = bc
	s.setVar(ch, "STASISSTATUS", "", false)
	s.emitTo(s.broadcastApps(bc), "CallBroadcast", nil, obj{
		{"channel", ch.json()}, {"caller", ch.caller.Number}, {"called", exten},
	})
	bc.timeout = s.after(timeout, func() {
		if ch.gone || bc.state != bcWaiting {
			return
		}
		s.endBroadcast(ch, "TIMEOUT")
	})
	bc.start = s.now()
}

// broadcastApps are the connected apps whose name matches the filter.
func (s *Server) broadcastApps(bc *broadcast) []string {
	var out []string
	for n, a := range s.apps {
		if a.current != nil && bc.filter.MatchString(n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// endBroadcast ends an unclaimed broadcast (TIMEOUT, FAILED): the dialplan
// continues, or the channel goes when the caller had hung up.
func (s *Server) endBroadcast(ch *channel, status string) {
	bc := ch.bc
	bc.state = bcOver
	s.stop(bc.timeout)
	s.stop(bc.checks)
	s.setVar(ch, "STASISSTATUS", status, false)
	if ch.call != nil {
		ch.call.rep.Broadcast = status
	}
	if bc.hungUp {
		s.emitChan(ch, "ChannelHangupRequest", obj{{"cause", 16}, {"soft", true}}, nil, false)
		s.teardown(ch, 0)
		return
	}
	ch.inDialplan = true
	s.runBroadcastContext(ch, ch.dp.Exten, 3)
}

// broadcastHangup is a hangup request on a channel whose broadcast waits:
// StasisBroadcast notices it only at its next check.
func (s *Server) broadcastHangup(ch *channel, cause int) bool {
	bc := ch.bc
	if bc == nil || bc.state != bcWaiting {
		return false
	}
	if !bc.hungUp {
		bc.hungUp = true
		s.emitChan(ch, "ChannelHangupRequest", obj{{"cause", cause}}, nil, false)
		// the next of the checks every 200 ms from the start (only that
		// one is scheduled: one timer per hangup, not five per second)
		elapsed := s.now().Sub(bc.start)
		next := (elapsed/broadcastCheck + 1) * broadcastCheck
		bc.checks = s.after(next-elapsed, func() {
			if !ch.gone && bc.state == bcWaiting {
				s.endBroadcast(ch, "TIMEOUT")
			}
		})
	}
	return true
}

// broadcastSessionEnded is called when the winner's Stasis session ends
// (continue or hangup): the broadcast is over and STASISSTATUS=SUCCESS.
func (s *Server) broadcastSessionEnded(ch *channel) {
	if bc := ch.bc; bc != nil && bc.state == bcClaimed {
		bc.state = bcOver
		s.setVar(ch, "STASISSTATUS", "SUCCESS", false)
		if ch.call != nil {
			ch.call.rep.Broadcast = "SUCCESS"
		}
	}
}

// handleClaim is POST /events/claim (channelId, application; query or body).
func (s *Server) handleClaim(w http.ResponseWriter, r *http.Request) {
	p, _ := readParams(r)
	id, appName := p.str("channelId"), p.str("application")
	if id == "" {
		writeMsg(w, http.StatusBadRequest, "channelId parameter is required")
		return
	}
	if appName == "" {
		writeMsg(w, http.StatusBadRequest, "application parameter is required")
		return
	}
	s.lock()
	defer s.unlock()
	ch := s.channels[id]
	if ch == nil || ch.gone || ch.bc == nil || ch.bc.state == bcOver {
		writeMsg(w, http.StatusNotFound, "Channel not found or not in broadcast state")
		return
	}
	bc := ch.bc
	if bc.state == bcClaimed {
		writeMsg(w, http.StatusConflict, "Channel has already been claimed by another application")
		return
	}
	bc.state = bcClaimed
	bc.winner = appName
	if ch.call != nil {
		ch.call.rep.ClaimedBy = appName
	}
	s.stop(bc.timeout)
	s.stop(bc.checks)
	s.log.Debug().Str("channel_id", id).Str("app", appName).Msg("channel claimed")
	if bc.notify {
		s.emitTo(s.broadcastApps(bc), "CallClaimed", nil, obj{{"channel", ch.json()}, {"winner_app", appName}})
	}
	writeNoContent(w)
	if !s.appActive(appName) {
		s.log.Debug().Str("app", appName).Msg("Stasis app not registered")
		s.endBroadcast(ch, "FAILED")
		return
	}
	ch.stasisApp = appName
	ch.originated = false
	ch.watchers[appName] = true
	if ch.call != nil {
		ch.call.stasis = ch
		ch.call.app = appName
	}
	s.emitTo([]string{appName}, "StasisStart", nil, obj{{"args", bc.args}, {"channel", ch.json()}})
	if bc.hungUp {
		// The caller had gone: the session ends at once (17).
		s.chanTimer(ch, time.Millisecond, func() {
			s.leaveStasis(ch)
			s.broadcastSessionEnded(ch)
			s.emitChan(ch, "ChannelHangupRequest", obj{{"cause", 16}, {"soft", true}}, nil, false)
			s.teardown(ch, 0)
		})
	}
}
