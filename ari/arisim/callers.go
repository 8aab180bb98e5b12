package arisim

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Caller is a scripted inbound caller (the outside world).
type Caller struct {
	Number, Name string // caller ID
	DNIS         string // dialed number, default "8000"; becomes StasisStart args[0]
	// Tech is "Local" (default: a Local/DNIS@tenesa-in pair whose ;2 half
	// enters Stasis in state Ring) or "PJSIP" (one PJSIP/<Number> channel,
	// shaped like transcript 01).
	// An empty Number is "" for Local and "caller1" for PJSIP.
	Tech string
	App  string // Stasis app, default "tenesa-ivr"
	// Broadcast places a Local call into [broadcast-in] instead:
	// StasisBroadcast offers it to every connected app matching
	// ^tenesa-ivr- (CallBroadcast), the first POST /events/claim wins, and
	// without a claim within Options.BroadcastTimeout the dialplan goes on
	// (CallReport.Broadcast "TIMEOUT"). App is then not used.
	Broadcast bool
	// BroadcastTimeout overrides Options.BroadcastTimeout for this call
	// (as a dialplan may give each line its own window).
	BroadcastTimeout time.Duration
	Script           []Step // run in order once the controller answers
}

type stepKind int

const (
	stepWait stepKind = iota
	stepPress
	stepWaitStart
	stepWaitEnd
	stepHangUp
)

// Step is one action of a caller script; build it with Wait, Press,
// WaitForPrompt, WaitPromptEnd or HangUp.
type Step struct {
	kind stepKind
	d    time.Duration
	arg  string
	prio int // dialplan priority shown on a Local caller half (0 = next)
}

// Wait pauses the script for d (sim time).
func Wait(d time.Duration) Step { return Step{kind: stepWait, d: d} }

// Press sends DTMF digits like SendDTMF: 100 ms tones about 350 ms apart
// (sim time); 'W' pauses 1 s and 'w' 0.5 s.
func Press(digits string) Step { return Step{kind: stepPress, arg: digits} }

// WaitForPrompt waits until a playback item whose media URI contains sub
// has started on the caller's Stasis channel (or its bridge) since the
// prompt the previous WaitForPrompt/WaitPromptEnd step matched; so a
// repeated WaitForPrompt("menu") waits for the menu to be played again.
func WaitForPrompt(sub string) Step { return Step{kind: stepWaitStart, arg: sub} }

// WaitPromptEnd waits until the first matching item after the one the
// previous WaitPromptEnd matched has ended (done, stopped or failed); it
// may be the item a preceding WaitForPrompt matched.
func WaitPromptEnd(sub string) Step { return Step{kind: stepWaitEnd, arg: sub} }

// HangUp hangs the caller up.
func HangUp() Step { return Step{kind: stepHangUp} }

// Heard is one media item played to the caller.
type Heard struct {
	Media      string
	Status     string // "done", "failed" or "stopped"
	Start, End time.Time
}

// CallReport is what happened on a placed call.
type CallReport struct {
	Answered     bool
	Heard        []Heard
	DTMFSent     string   // digits the caller pressed
	DTMFReceived string   // digits the controller sent to the caller (POST dtmf)
	BridgedWith  []string // channel ids
	HungUpBy     string   // "caller", "controller" or "continue"
	ContinuedTo  string   // "context,exten,priority" or "redirect:<endpoint>"
	Vars         map[string]string
	// ClaimedBy is the app whose claim won a broadcast call; Broadcast is
	// its STASISSTATUS once the broadcast is over ("SUCCESS", "TIMEOUT",
	// "FAILED"). Both "" for a call that was not broadcast.
	ClaimedBy, Broadcast string
	// MusicOnHold: music on hold is on now (POST .../moh, and neither
	// DELETE nor a playback on the channel since). As in Asterisk, joining
	// a bridge does not stop it (POST /bridges/{id}/addChannel imparts the
	// channel without ast_moh_stop: res/stasis/control.c
	// control_swap_channel_in_bridge), and a channel with music on hold
	// hears the music, not the bridge, until the music is stopped;
	// MOHStarts: when each start came (sim time).
	MusicOnHold bool
	MOHStarts   []time.Time
	// MaxSilence is the longest stretch (sim time) the caller heard
	// nothing: no prompt, no music on hold, no bridge with another channel,
	// counted from the first thing heard until the call's end (a caller who
	// hangs up in silence was left in it); SilenceFrom is when it began.
	MaxSilence  time.Duration
	SilenceFrom time.Time
	// Silences are those stretches, in order (the first 256).
	Silences []Silence
	// MaxWaitSilence is the longest silence the caller did not fill with
	// keys: a key the caller presses restarts it (the caller typing a
	// service ID is not waiting for the system); WaitSilenceFrom is when
	// it began.
	MaxWaitSilence  time.Duration
	WaitSilenceFrom time.Time
}

// Silence is a stretch of sim time the caller heard nothing.
type Silence struct{ From, To time.Time }

// Call is a placed inbound call.
type Call struct {
	s      *Server
	app    string
	tech   string
	caller *channel // the half that plays the caller
	stasis *channel // the half that enters Stasis
	steps  []Step
	pc     int
	// blocked: a WaitForPrompt/WaitPromptEnd step is waiting
	blocked bool
	// lastStart/lastEnd: Heard indexes consumed by the last WaitForPrompt /
	// WaitPromptEnd, so a repeated step waits for a new prompt.
	lastStart, lastEnd int
	playing            []string // media currently playing on the Stasis channel
	done               chan struct{}
	closed             bool
	rep                CallReport
	vars               map[string]string
	bcTimeout          time.Duration // Caller.BroadcastTimeout
	heardAny           bool          // silence counts from the first media
	silentSince        time.Time     // zero while the caller hears something
	waitSince          time.Time     // silentSince, or the caller's last key after it
}

func (s *Server) newCall(caller *channel, steps []Step, tech, app string) *Call {
	c := &Call{s: s, app: app, tech: tech, caller: caller, steps: steps, done: make(chan struct{}), vars: map[string]string{}, lastStart: -1, lastEnd: -1}
	s.calls = append(s.calls, c)
	return c
}

// ChannelID is the id of the channel that entered (or tried to enter) Stasis.
func (c *Call) ChannelID() string {
	c.s.lock()
	defer c.s.unlock()
	if c.stasis != nil {
		return c.stasis.id
	}
	return ""
}

// HangUp makes the caller give up now, whatever the script says, like the
// rig's DELETE of the caller's ;1 half in transcript 17 (a Local call) or
// the phone hanging up (PJSIP).
func (c *Call) HangUp() {
	c.s.lock()
	defer c.s.unlock()
	if c.caller == nil || c.caller.gone {
		return
	}
	c.setHungUpBy("caller")
	if c.tech == "Local" {
		c.s.hangup(c.caller, byController, 16)
		return
	}
	c.s.hangup(c.caller, byRemote, 16)
}

// Done is closed when the call's channel is gone.
func (c *Call) Done() <-chan struct{} { return c.done }

// Transcript reports what happened so far.
func (c *Call) Transcript() CallReport {
	c.s.lock()
	defer c.s.unlock()
	r := c.rep
	r.Heard = slices.Clone(c.rep.Heard)
	r.BridgedWith = slices.Clone(c.rep.BridgedWith)
	r.Vars = maps.Clone(c.vars)
	r.MOHStarts = slices.Clone(c.rep.MOHStarts)
	r.Silences = slices.Clone(c.rep.Silences)
	return r
}

func (c *Call) finish() {
	if !c.closed {
		c.closeSilence(c.s.now())
		c.closed = true
		close(c.done)
	}
}

// hearing: the caller hears a prompt, music on hold or another channel of
// its bridge.
func (c *Call) hearing() bool {
	if len(c.playing) > 0 || c.rep.MusicOnHold {
		return true
	}
	st := c.stasis
	return st != nil && !st.gone && st.bridge != nil && st.bridge.typ != "holding" && len(st.bridge.channels) >= 2
}

// noteMedia re-evaluates the caller's silence after a change of what it
// hears (called with s.mu held).
func (c *Call) noteMedia() {
	if c.closed {
		return
	}
	now := c.s.now()
	if c.hearing() {
		c.heardAny = true
		c.closeSilence(now)
		return
	}
	if c.heardAny && c.silentSince.IsZero() {
		c.silentSince, c.waitSince = now, now
	}
}

// noteKey: the caller pressed a key; a silence it is in restarts as a
// wait for the system (called with s.mu held).
func (c *Call) noteKey(now time.Time) {
	if c.silentSince.IsZero() {
		return
	}
	c.closeWait(now)
	c.waitSince = now
}

func (c *Call) closeWait(now time.Time) {
	if c.waitSince.IsZero() {
		return
	}
	if d := now.Sub(c.waitSince); d > c.rep.MaxWaitSilence {
		c.rep.MaxWaitSilence, c.rep.WaitSilenceFrom = d, c.waitSince
	}
	c.waitSince = time.Time{}
}

func (c *Call) closeSilence(now time.Time) {
	if c.silentSince.IsZero() {
		return
	}
	c.closeWait(now)
	if d := now.Sub(c.silentSince); d > c.rep.MaxSilence {
		c.rep.MaxSilence, c.rep.SilenceFrom = d, c.silentSince
	}
	if now.After(c.silentSince) && len(c.rep.Silences) < 256 {
		c.rep.Silences = append(c.rep.Silences, Silence{c.silentSince, now})
	}
	c.silentSince = time.Time{}
}

// noteMediaOf re-evaluates the silence of the placed calls whose Stasis
// channel is among chans.
func noteMediaOf(chans ...*channel) {
	for _, ch := range chans {
		if ch.call != nil && ch.call.stasis == ch {
			ch.call.noteMedia()
		}
	}
}

func (c *Call) setHungUpBy(who string) {
	if c.rep.HungUpBy == "" {
		c.rep.HungUpBy = who
	}
}

func (c *Call) channelGone(s *Server, ch *channel) {
	if ch == c.stasis || c.stasis == nil {
		c.setHungUpBy("caller")
		c.finish()
	}
}

// PlaceCall places an inbound call. The Stasis channel exists when it
// returns (StasisStart sent if the app is connected).
func (s *Server) PlaceCall(cl Caller) (*Call, error) {
	if cl.DNIS == "" {
		cl.DNIS = "8000"
	}
	if cl.App == "" {
		cl.App = defaultApp
	}
	if cl.Tech == "" {
		cl.Tech = "Local"
	}
	s.lock()
	defer s.unlock()
	if s.closed {
		return nil, errors.New("arisim: server closed")
	}
	id := idName{Name: cl.Name, Number: cl.Number}
	s.log.Debug().Str("tech", cl.Tech).Str("number", cl.Number).Str("dnis", cl.DNIS).Str("app", cl.App).Msg("placing call")
	switch strings.ToUpper(cl.Tech) {
	case "LOCAL":
		context := "tenesa-in"
		if cl.Broadcast {
			context = broadcastContext
		}
		c1, c2 := s.localPair(cl.DNIS, context, "", "")
		c := s.newCall(c1, slices.Clone(cl.Script), "Local", cl.App)
		c1.call, c2.call = c, c
		c.bcTimeout = cl.BroadcastTimeout
		if cl.Broadcast {
			// the call is the ;2 half's from the start: Done waits for
			// it, not for the caller's half (17: it may be claimed after
			// the caller hung up)
			c.stasis = c2
		}
		c1.caller, c1.connected, c2.caller, c2.connected = id, id, id, id
		c1.dp.AppName, c1.dp.AppData = "AppDial2", "(Outgoing Line)"
		s.emitChan(c1, "ChannelCreated", nil, nil, true)
		s.emitChan(c2, "ChannelCreated", nil, nil, true)
		c1.onUp = append(c1.onUp, func() {
			c.rep.Answered = true
			c1.inDialplan = true
			s.runScript(c)
		})
		s.runContext(c2, context, cl.DNIS, 1)
		return c, nil
	case "PJSIP":
		if cl.Number == "" {
			cl.Number = "caller1"
			id.Number = cl.Number
		}
		s.sipSeq++
		ch := s.newChannel(s.uniqueID(), fmt.Sprintf("PJSIP/%s-%08x", cl.Number, s.sipSeq), "Ring", "PJSIP")
		ch.protocolID = fmt.Sprintf("%08x-%04x-sim@127.0.0.1", s.sipSeq*7919, s.sipSeq)
		ch.caller = id
		ch.dp = dialplanCEP{Context: "from-callers", Exten: cl.DNIS, Priority: 1}
		c := s.newCall(ch, slices.Clone(cl.Script), "PJSIP", cl.App)
		ch.call = c
		s.emitChan(ch, "ChannelCreated", nil, nil, true)
		ch.onUp = append(ch.onUp, func() {
			c.rep.Answered = true
			s.runScript(c)
		})
		ch.inDialplan = true
		s.stasisFromDialplan(ch, cl.App, []string{cl.DNIS})
		return c, nil
	}
	return nil, fmt.Errorf("arisim: unknown caller tech %q", cl.Tech)
}

// runScript executes steps until one blocks. Called with s.mu held.
func (s *Server) runScript(c *Call) {
	for c.pc < len(c.steps) && !c.closed {
		if c.caller == nil || c.caller.gone {
			return
		}
		st := c.steps[c.pc]
		s.showStep(c, st)
		switch st.kind {
		case stepWait:
			c.pc++
			s.chanTimer(c.caller, st.d, func() { s.runScript(c) })
			return
		case stepPress:
			c.pc++
			s.pressDigits(c, st.arg, 0)
			return
		case stepWaitStart:
			if i := c.findHeard(st.arg, max(c.lastStart, c.lastEnd)); i >= 0 {
				c.lastStart = i
				c.pc++
				continue
			}
			c.blocked = true
			return
		case stepWaitEnd:
			if i := c.findHeard(st.arg, c.lastEnd); i >= 0 && !c.rep.Heard[i].End.IsZero() {
				c.lastEnd = i
				c.pc++
				continue
			}
			c.blocked = true
			return
		case stepHangUp:
			c.pc++
			c.setHungUpBy("caller")
			if c.caller == c.stasis {
				s.hangup(c.caller, byRemote, 16)
			} else {
				s.hangup(c.caller, byDialplan, 16)
			}
			return
		}
	}
}

// showStep moves a Local caller half's dialplan location to the step, as
// [caller-sim] would (ChannelDialplan, seen by subscribeAll apps).
func (s *Server) showStep(c *Call, st Step) {
	ch := c.caller
	if ch == c.stasis || ch.tech != "Local" {
		return
	}
	prio := st.prio
	if prio == 0 {
		prio = ch.dp.Priority + 1
	}
	switch st.kind {
	case stepWait:
		s.dialplanEvent(ch, "Wait", secsText(st.d), prio, false)
	case stepPress:
		s.dialplanEvent(ch, "SendDTMF", st.arg, prio, false)
	case stepHangUp:
		s.dialplanEvent(ch, "Hangup", "", prio, false)
	}
}

// findHeard is the index of the first heard item after index `after`
// whose media contains sub, or -1.
func (c *Call) findHeard(sub string, after int) int {
	for i := after + 1; i < len(c.rep.Heard); i++ {
		if strings.Contains(c.rep.Heard[i].Media, sub) {
			return i
		}
	}
	return -1
}

// pressDigits sends digits[i:] one element at a time. Timing from the
// transcripts: a Local (SendDTMF) digit is reported 200 ms after it starts
// with duration_ms 100 and the next one starts 350 ms after it; a SIP
// (RFC 4733) digit is reported after 190 ms with duration_ms 180.
func (s *Server) pressDigits(c *Call, digits string, i int) {
	if i >= len(digits) {
		s.runScript(c)
		return
	}
	d := digits[i]
	next := func() { s.pressDigits(c, digits, i+1) }
	switch d {
	case 'W':
		s.chanTimer(c.caller, time.Second, next)
		return
	case 'w':
		s.chanTimer(c.caller, 500*time.Millisecond, next)
		return
	}
	report, dur := 200*time.Millisecond, 100
	if c.tech == "PJSIP" {
		report, dur = 190*time.Millisecond, 180
	}
	s.chanTimer(c.caller, report, func() {
		c.rep.DTMFSent += string(d)
		c.noteKey(s.now())
		if st := c.stasis; st != nil && !st.gone && st.stasisApp != "" {
			s.emitChan(st, "ChannelDtmfReceived", nil, obj{{"digit", string(d)}, {"duration_ms", dur}}, false)
		}
	})
	s.chanTimer(c.caller, 350*time.Millisecond, next)
}

// heardStart/heardEnd record media played to a call's Stasis channel,
// directly or through its bridge, and wake a waiting script step.
//
// A playback on the channel itself ends its music on hold, as in Asterisk
// (main/file.c openstream_internal deactivates the channel's generator,
// and res_musiconhold's is one; nothing restarts it when the prompt
// ends): the music must be started again after the prompt. A playback on
// the bridge does not touch the channel's generator.
func (s *Server) heardStart(p *playback, uri string) {
	for _, c := range callsOf(p) {
		if p.ch != nil {
			c.rep.MusicOnHold = false
		}
		c.playing = append(c.playing, uri)
		c.rep.Heard = append(c.rep.Heard, Heard{Media: uri, Start: s.now()})
		c.noteMedia()
		s.wake(c)
	}
}

func (s *Server) heardEnd(p *playback, status string) {
	uri := p.media[p.idx]
	for _, c := range callsOf(p) {
		i := slices.Index(c.playing, uri)
		if i < 0 {
			continue // joined the bridge while it played
		}
		c.playing = slices.Delete(c.playing, i, i+1)
		for i := len(c.rep.Heard) - 1; i >= 0; i-- {
			if h := &c.rep.Heard[i]; h.Media == uri && h.End.IsZero() {
				h.End, h.Status = s.now(), status
				break
			}
		}
		c.noteMedia()
		s.wake(c)
	}
}

// callsOf lists the placed calls that hear p.
func callsOf(p *playback) []*Call {
	var chans []*channel
	if p.ch != nil {
		chans = []*channel{p.ch}
	} else if p.br != nil {
		chans = p.br.channels
	}
	var out []*Call
	for _, ch := range chans {
		if ch.call != nil && ch.call.stasis == ch {
			out = append(out, ch.call)
		}
	}
	return out
}

// wake re-evaluates a blocked prompt step, outside the current event
// cascade.
func (s *Server) wake(c *Call) {
	if !c.blocked || c.caller == nil || c.caller.gone {
		return
	}
	c.blocked = false
	s.chanTimer(c.caller, 0, func() { s.runScript(c) })
}
