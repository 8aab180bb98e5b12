package arisim

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// channel is one simulated Asterisk channel. All fields are guarded by
// Server.mu.
type channel struct {
	id, name, state string
	protocolID      string
	caller          idName
	connected       idName
	dp              dialplanCEP
	created         string
	seq             int
	tech            string // "Local" or "PJSIP"
	vars            map[string]string

	peer *channel // the other half of a Local pair

	// watchers are the apps that receive this channel's events.
	watchers map[string]bool
	// stasisApp is the app the channel is in, "" when not in Stasis.
	stasisApp string
	// originated: entered Stasis through an originate with app=; such
	// channels stay watched after StasisEnd (STASISSTATUS, ChannelDestroyed).
	originated bool

	bridge *bridge
	player player
	// ctl is the channel's control queue (control.go); ctlBusy: a command
	// (a playback, a DTMF string) is running.
	ctl     []ctlItem
	ctlBusy bool

	gone   bool
	timers []*timer

	call *Call     // placed call this channel belongs to (caller or Stasis side)
	leg  *AgentLeg // agent leg this channel belongs to
	// onUp runs once when the channel is answered (e.g. start the caller script).
	onUp []func()
	// inDialplan: the channel runs dialplan applications (not Stasis,
	// not a bare outgoing Local ;1 half).
	inDialplan bool
	// silentPeer: when this channel goes, its peer is destroyed without a
	// ChannelHangupRequest (originate timeout, transcript 07).
	silentPeer bool
	// beforeDestroy hooks run just before ChannelDestroyed.
	beforeDestroy []func()
	// outgoing: the dialed side of an originate (Local ;1 or PJSIP); it
	// runs AppDial2 "(Outgoing Line)" when not in an application.
	outgoing bool
	// start runs once the originate response is written.
	start func()
	// dial places the call of a channel made by POST /channels/create.
	dial func(timeout time.Duration)
	// device is the Local device name for DeviceStateChanged, if any.
	device string
	// bc is the channel's StasisBroadcast, if it ran one (broadcast.go).
	bc *broadcast
	// dialShown: the originate's Dial with an empty status was sent.
	dialShown bool
}

func (c *channel) json() channelJSON {
	return channelJSON{
		ID: c.id, Name: c.name, State: c.state, ProtocolID: c.protocolID,
		Caller: c.caller, Connected: c.connected, Dialplan: c.dp,
		CreationTime: c.created, Language: "en",
	}
}

func (s *Server) uniqueID() string {
	s.uniq++
	if s.opts.SystemName != "" { // asterisk.conf systemname: <name>-<epoch>.<seq>
		return fmt.Sprintf("%s-%d.%d", s.opts.SystemName, s.epoch, s.uniq)
	}
	return fmt.Sprintf("%d.%d", s.epoch, s.uniq)
}

func (s *Server) newChannel(id, name, state, tech string) *channel {
	s.chanSeq++
	ch := &channel{
		id: id, name: name, state: state, tech: tech,
		created: s.stamp(), seq: s.chanSeq,
		vars: map[string]string{}, watchers: map[string]bool{},
	}
	s.channels[id] = ch
	return ch
}

// sortedChannels lists live channels in creation order.
func (s *Server) sortedChannels() []*channel {
	out := make([]*channel, 0, len(s.channels))
	for _, ch := range s.channels {
		out = append(out, ch)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// idTaken applies Asterisk's duplicate-id rule: an id is taken when a live
// channel id starts with it (README "Extra observation").
func (s *Server) idTaken(id string) bool {
	for cid := range s.channels {
		if strings.HasPrefix(cid, id) {
			return true
		}
	}
	return false
}

func (s *Server) setState(ch *channel, state string) {
	if ch.state == state || ch.gone {
		return
	}
	ch.state = state
	s.emitChan(ch, "ChannelStateChange", nil, nil, false)
	if state == "Up" {
		if ch.call != nil && ch.call.stasis == ch {
			ch.call.rep.Answered = true
		}
		fns := ch.onUp
		ch.onUp = nil
		for _, f := range fns {
			f()
		}
	}
}

func (s *Server) setVar(ch *channel, name, value string, allOnly bool) {
	ch.vars[name] = value
	s.emitChan(ch, "ChannelVarset", obj{{"variable", name}, {"value", value}}, nil, allOnly)
}

func (s *Server) dialplanEvent(ch *channel, app, data string, prio int, allOnly bool) {
	ch.dp.AppName, ch.dp.AppData = app, data
	if prio > 0 {
		ch.dp.Priority = prio
	}
	s.emitChan(ch, "ChannelDialplan", nil, obj{{"dialplan_app", app}, {"dialplan_app_data", data}}, allOnly)
}

// chanTimer schedules f for the channel; it is canceled when the channel goes.
func (s *Server) chanTimer(ch *channel, d time.Duration, f func()) {
	tm := s.after(d, func() {
		if !ch.gone {
			f()
		}
	})
	ch.timers = append(ch.timers, tm)
}

// enterStasis puts the channel into app with args and sends StasisStart.
func (s *Server) enterStasis(ch *channel, appName string, args []string, originated bool) {
	ch.stasisApp = appName
	ch.originated = originated
	ch.dp.AppName = "Stasis"
	ch.dp.AppData = strings.Join(append([]string{appName}, args...), ",")
	s.setVar(ch, "STASISSTATUS", "", false)
	ch.watchers[appName] = true
	if args == nil {
		args = []string{}
	}
	s.emitChan(ch, "StasisStart", nil, obj{{"args", args}}, false)
}

// leaveStasis sends StasisEnd; channels that entered from the dialplan are
// no longer watched afterwards (no ChannelDestroyed reaches the app).
func (s *Server) leaveStasis(ch *channel) {
	if ch.stasisApp == "" {
		return
	}
	app := ch.stasisApp
	ch.stasisApp = ""
	if ch.bc != nil && ch.bc.state == bcClaimed {
		// a claimed broadcast's session is the winner's alone (17: the
		// subscribeAll observer sees neither StasisStart nor StasisEnd)
		s.emitTo([]string{app}, "StasisEnd", nil, obj{{"channel", ch.json()}})
	} else {
		s.emitChan(ch, "StasisEnd", nil, nil, false)
	}
	if !ch.originated {
		delete(ch.watchers, app)
	}
	s.broadcastSessionEnded(ch)
}

// Hangup kinds.
const (
	byController = iota // ARI DELETE: cause 32, soft
	byRemote            // the other side hung up: Q.850 cause, not soft
	byDialplan          // the channel's own dialplan ran Hangup(): 16, soft
)

var causeText = map[int]string{
	0:   "Unknown",
	1:   "Unallocated (unassigned) number",
	16:  "Normal Clearing",
	17:  "User busy",
	18:  "No user responding",
	19:  "User alerting, no answer",
	21:  "Call Rejected",
	26:  "Answered elsewhere",
	28:  "Invalid number format (addr incomplete)",
	31:  "Normal, unspecified",
	34:  "Circuit/channel congestion",
	38:  "Network out of order",
	58:  "Bearer capability not available",
	127: "Interworking, unspecified",
}

// rtpQoS are the variables a PJSIP channel sets when it hangs up.
var rtpQoS = []kv{
	{"RTPAUDIOQOS", "ssrc=1700955403;themssrc=1772142896;lp=0;rxjitter=0.000000;rxcount=122;txjitter=0.001375;txcount=115;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000"},
	{"RTPAUDIOQOSJITTER", "minrxjitter=000.000250;maxrxjitter=000.001750;avgrxjitter=000.001189;stdevrxjitter=000.000354;mintxjitter=000.000000;maxtxjitter=000.000000;avgtxjitter=000.000000;stdevtxjitter=000.000000;"},
	{"RTPAUDIOQOSLOSS", "  minrxlost=000.000000;  maxrxlost=000.000000;  avgrxlost=000.000000;  stdevrxlost=000.000000;  mintxlost=000.000000;  maxtxlost=000.000000;  avgtxlost=000.000000;  stdevtxlost=000.000000;"},
	{"RTPAUDIOQOSRTT", "     minrtt=000.000000;     maxrtt=000.000000;     avgrtt=000.000000;     stdevrtt=000.000000;"},
	{"RTPAUDIOQOSMES", "   minrxmes=000.000000;   maxrxmes=000.000000;   avgrxmes=000.000000;   stdevrxmes=000.000000;   mintxmes=000.000000;   maxtxmes=000.000000;   avgtxmes=000.000000;   stdevtxmes=000.000000;"},
}

// hangup ends a channel. kind says who ended it; cause is the Q.850 cause
// for ChannelDestroyed (and for byRemote's ChannelHangupRequest).
func (s *Server) hangup(ch *channel, kind, cause int) {
	if ch.gone {
		return
	}
	if kind != byDialplan && s.broadcastHangup(ch, cause) {
		return
	}
	switch kind {
	case byController:
		if ch.tech == "PJSIP" {
			for _, q := range rtpQoS {
				s.setVar(ch, q.k, q.v.(string), false)
			}
		}
		s.emitChan(ch, "ChannelHangupRequest", obj{{"cause", 32}, {"soft", true}}, nil, false)
	case byRemote:
		s.emitChan(ch, "ChannelHangupRequest", obj{{"cause", cause}}, nil, false)
		if ch.stasisApp == "" && ch.inDialplan {
			// the dialplan application notices and hangs up itself
			s.emitChan(ch, "ChannelHangupRequest", obj{{"cause", 16}, {"soft", true}}, nil, false)
		}
	case byDialplan:
		s.emitChan(ch, "ChannelHangupRequest", obj{{"cause", 16}, {"soft", true}}, nil, false)
	}
	s.teardown(ch, cause)
}

// teardown removes the channel: playbacks fail, it leaves its bridge and
// Stasis, and is destroyed; then its Local peer follows.
func (s *Server) teardown(ch *channel, cause int) {
	if ch.gone {
		return
	}
	ch.gone = true
	s.log.Debug().Str("channel_id", ch.id).Str("channel", ch.name).Int("cause", cause).Msg("channel destroyed")
	for _, tm := range ch.timers {
		s.stop(tm)
	}
	ch.timers = nil
	s.abortPlayer(&ch.player)
	s.ctlAbort(ch)
	if ch.bridge != nil {
		s.leaveBridge(ch, false)
	}
	wasStasis := ch.stasisApp != ""
	s.leaveStasis(ch)
	if wasStasis && ch.originated {
		s.setVar(ch, "STASISSTATUS", "SUCCESS", false)
	}
	delete(s.channels, ch.id)
	if ch.device != "" {
		s.deviceChanged(ch.device, "NOT_INUSE")
	}
	peer := ch.peer
	if ch.outgoing {
		ch.dp.AppName, ch.dp.AppData = "AppDial2", "(Outgoing Line)"
	} else {
		ch.dp.AppName, ch.dp.AppData = "", ""
	}
	for _, f := range ch.beforeDestroy {
		f()
	}
	s.emitChan(ch, "ChannelDestroyed", nil, obj{{"cause", cause}, {"cause_txt", causeText[cause]}}, false)
	if ch.call != nil {
		ch.call.channelGone(s, ch)
	}
	if ch.leg != nil {
		ch.leg.channelGone(s, ch)
	}
	if peer == nil || peer.gone {
		return
	}
	switch {
	case s.broadcastHangup(peer, 16):
	case ch.silentPeer:
		s.teardown(peer, cause)
	case peer.stasisApp != "" || peer.inDialplan:
		s.hangup(peer, byRemote, 16)
	default:
		s.emitChan(peer, "ChannelHangupRequest", obj{{"cause", 16}}, nil, false)
		s.teardown(peer, 16)
	}
}
