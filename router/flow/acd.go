package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/internal/logging"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/acd"
	"github.com/tenesa-ivr/tenesa-ivr/router/plan"
	"github.com/tenesa-ivr/tenesa-ivr/router/say"
)

// Prompts of the queue (deployments/asterisk/sounds/prompts.yaml).
const (
	promptQueuePosition = "queue-position"
	promptQueueWait     = "queue-wait-minutes"
	promptOverflow      = "queue-overflow"
	promptEscalation    = "escalation-supervisor"
)

// ACDHandoff is the queueing side over the acd (router/acd): the call's
// goroutine enqueues the caller, holds them on music with the queue's
// position announcements, rings the agents the acd offers, bridges the
// first to answer and reports every fact back to the acd. The acd never
// touches ARI; this is where its notices become channel operations.
//
// The call's record waits for the agent's wrap-up (disposition, wrap-up
// time) without holding the caller: Complete finishes it in the
// background. Close ends those waits (records are written with what is
// known) and waits for them.
type ACDHandoff struct {
	acd *acd.Service
	log zerolog.Logger
	// MOHClass is the music-on-hold class (default "default").
	MOHClass string
	// RecordWait bounds how long a record waits beyond the wrap-up time
	// for the wrap-up's end (default 30s).
	RecordWait time.Duration
	// ReportTimeout bounds each report to the acd and each clean-up
	// request made after the call's context ended (default 5s). Every
	// report gets its own: a report made when a long conversation ends
	// must not inherit a deadline that started with it.
	ReportTimeout time.Duration
	// Pending, when set, keeps each record waiting for its wrap-up in
	// Redis too (router.RedisHandover): should this controller die during
	// the wrap-up, the hand-over sweeper of a survivor writes the record
	// after its due time (without the disposition), so the call still has
	// exactly one. nil: the record lives only in this process meanwhile.
	Pending router.Handover
	// Reach keeps each call on its Asterisk (ari.servers): the acd offers
	// a call only to agents its box can dial, and the agent leg is
	// originated on the caller's box with Reach.Dial's endpoint. Zero: one
	// Asterisk, every agent's endpoint as configured.
	Reach acd.Reach

	mu     sync.Mutex
	closed bool
	stop   chan struct{}
	wg     sync.WaitGroup
}

// The queue facts (entered, answered, abandoned, overflowed, talk,
// wrap-up, dispositions) are counted by the acd into the controller's
// metrics, once each whichever controller saw them (acd.Options.Metrics):
// the hand-off counts none of them.

// NewACDHandoff builds the hand-off over a started acd Service.
func NewACDHandoff(svc *acd.Service, log zerolog.Logger) *ACDHandoff {
	return &ACDHandoff{acd: svc, log: log, stop: make(chan struct{})}
}

// Close stops waiting for wrap-ups (pending records are written now with
// what the acd knows) and waits for the record goroutines.
func (h *ACDHandoff) Close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.stop)
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// waiting is one call's hand-off: owned by the call's goroutine.
type waiting struct {
	h     *ACDHandoff
	ctx   context.Context
	call  ari.Call
	plan  *plan.Plan
	w     *acd.Waiter
	log   zerolog.Logger
	lang  string
	queue string
	res   HandoffResult
	pop   ScreenPop
	moh   bool
	// pending is a notice read while an announcement played (it stopped
	// the announcement); handled next.
	pending *acd.Notice
}

// Handoff implements Handoff.
func (h *ACDHandoff) Handoff(ctx context.Context, call ari.Call, p *plan.Plan, req RouteRequest) HandoffResult {
	wt := &waiting{h: h, ctx: ctx, call: call, plan: p, lang: req.ScreenPop.Language, queue: req.Queue,
		pop: req.ScreenPop, log: logging.CallContext(h.log, call.ID()).Str("queue", req.Queue).Logger()}
	wt.res.EnqueuedAt = time.Now()
	popJSON, _ := json.Marshal(req.ScreenPop)
	w, err := h.acd.Enqueue(ctx, acd.CallEntry{CallID: call.ID(), Queue: req.Queue, Priority: req.Priority,
		Skills: req.Skills, ScreenPop: popJSON, ServiceID: req.ScreenPop.ServiceID,
		OpenComplaint: req.ScreenPop.OpenTicket != "", Box: h.Reach.CallBox(call.Info().Server)})
	if err != nil {
		if ctx.Err() != nil {
			// The caller left while the enqueue was in flight: its script
			// may have run, so the acd is told (left reports the abandon;
			// a call it never queued is not found, and nothing changes).
			return wt.left()
		}
		wt.log.Error().Err(err).Msg("enqueue failed: caller continues in the dialplan")
		return wt.end(router.OutcomeFailed, "enqueue failed: "+err.Error())
	}
	wt.w = w
	defer w.Close()
	return wt.run()
}

// Resume takes back a call adopted after a restart that the acd still has
// waiting (or ringing) for an agent: it keeps its queue and place and waits
// again. ok is false when the acd has no such call (a new call).
func (h *ACDHandoff) Resume(ctx context.Context, call ari.Call, p *plan.Plan) (res HandoffResult, queue string, ok bool) {
	hd, err := h.acd.Handling(ctx, call.ID())
	if err != nil || !hd.AnsweredAt.IsZero() || !hd.EndedAt.IsZero() || hd.Abandoned {
		return HandoffResult{}, "", false
	}
	var pop ScreenPop
	_ = json.Unmarshal(hd.ScreenPop, &pop)
	wt := &waiting{h: h, ctx: ctx, call: call, plan: p, lang: pop.Language, queue: hd.Queue, pop: pop,
		log: logging.CallContext(h.log, call.ID()).Str("queue", hd.Queue).Logger()}
	if wt.lang == "" {
		wt.lang = "id"
	}
	wt.res.EnqueuedAt = hd.EnqueuedAt
	w, err := h.acd.Enqueue(ctx, acd.CallEntry{CallID: call.ID(), Queue: hd.Queue, Priority: hd.Priority,
		ScreenPop: hd.ScreenPop, EnqueuedAt: hd.EnqueuedAt, Box: h.Reach.CallBox(call.Info().Server)})
	if err != nil {
		wt.log.Warn().Err(err).Msg("adopted call not taken back into its queue")
		return HandoffResult{}, "", false
	}
	wt.log.Info().Msg("adopted call back in its queue, keeping its place")
	wt.w = w
	defer w.Close()
	return wt.run(), hd.Queue, true
}

func (wt *waiting) end(outcome router.Outcome, reason string) HandoffResult {
	wt.res.Outcome, wt.res.FailReason = outcome, reason
	if wt.res.AgentAnsweredAt.IsZero() {
		wt.res.Wait = time.Since(wt.res.EnqueuedAt)
	}
	return wt.res
}

// gone: a request failed because the caller left (or the controller stops).
func (wt *waiting) gone(err error) bool {
	return errors.Is(err, ari.ErrCallGone) || wt.ctx.Err() != nil
}

// bg is a context for reports to the acd after the call's context ended.
func (wt *waiting) bg() (context.Context, context.CancelFunc) {
	d := wt.h.ReportTimeout
	if d <= 0 {
		d = 5 * time.Second
	}
	return context.WithTimeout(context.WithoutCancel(wt.ctx), d)
}

// left ends a call whose context ended before an agent talked to it.
func (wt *waiting) left() HandoffResult {
	ctx, cancel := wt.bg()
	defer cancel()
	if errors.Is(context.Cause(wt.ctx), ari.ErrReplaced) {
		// The call stays queued in Redis: the controller that adopts the
		// caller takes its place back (Resume); its offers are set aside
		// meanwhile. That controller writes the record.
		return wt.end(router.OutcomeFailed, "application replaced: call left in its queue for the adopter")
	}
	var notQueued *acd.NotFoundError
	if err := wt.h.acd.Abandoned(ctx, wt.call.ID()); err != nil && !errors.As(err, &notQueued) {
		wt.log.Warn().Err(err).Msg("acd: abandon not reported")
	}
	if errors.Is(context.Cause(wt.ctx), ari.ErrShutdown) {
		// The controller's clean-up gives the caller to the dialplan's
		// fallback queue: out of ours.
		return wt.end(router.OutcomeFailed, "controller stopping: caller continued in the dialplan")
	}
	res := wt.end(router.OutcomeAbandonedQueue, "")
	return res
}

func (wt *waiting) startMOH() bool {
	if wt.moh {
		return true
	}
	class := wt.h.MOHClass
	if class == "" {
		class = "default"
	}
	if err := wt.call.StartMOH(wt.ctx, class); err != nil {
		if wt.gone(err) {
			return false
		}
		wt.log.Warn().Err(err).Msg("music on hold failed")
		return true
	}
	wt.moh = true
	return true
}

func (wt *waiting) stopMOH() bool {
	if !wt.moh {
		return true
	}
	wt.moh = false
	if err := wt.call.StopMOH(wt.ctx); err != nil {
		if wt.gone(err) {
			return false
		}
		wt.log.Warn().Err(err).Msg("stop music on hold failed")
	}
	return true
}

// run is the waiting loop: music on hold, announcements every queue
// period, notices from the acd.
func (wt *waiting) run() HandoffResult {
	if !wt.startMOH() {
		return wt.left()
	}
	for {
		var n acd.Notice
		if wt.pending != nil {
			n, wt.pending = *wt.pending, nil
		} else {
			var tick <-chan time.Time
			var t *time.Timer
			if every := wt.announceEvery(); every > 0 {
				t = time.NewTimer(every)
				tick = t.C
			}
			var announce bool
			select {
			case <-wt.ctx.Done():
			case n = <-wt.w.Notices():
			case <-tick:
				announce = true
			}
			if t != nil {
				t.Stop()
			}
			if wt.ctx.Err() != nil {
				return wt.left()
			}
			if announce {
				if !wt.announce() {
					return wt.left()
				}
				continue
			}
		}
		if res, done := wt.notice(n); done {
			return res
		}
	}
}

func (wt *waiting) announceEvery() time.Duration {
	return wt.h.acd.Settings().Queues[wt.queue].AnnounceEvery
}

// announce plays the caller's position and estimated wait. A notice of
// the acd stops it at once (the playback holds the channel's command
// queue: an agent must never wait for a prompt to end).
func (wt *waiting) announce() bool {
	pos, err := wt.h.acd.Position(wt.ctx, wt.call.ID())
	if err != nil {
		wt.log.Warn().Err(err).Msg("queue position not read: no announcement")
		return wt.ctx.Err() == nil
	}
	prompts := append([]string{promptQueuePosition}, say.Number(wt.lang, pos.Position)...)
	if pos.EstimateKnown {
		mins := int((pos.EstimatedWait + time.Minute - 1) / time.Minute)
		prompts = append(append(prompts, promptQueueWait), say.Number(wt.lang, max(mins, 1))...)
	}
	return wt.playInterruptible(prompts...)
}

// playInterruptible plays prompts between music on hold; a notice stops
// the playback and is kept in wt.pending. false: the caller left.
func (wt *waiting) playInterruptible(prompts ...string) bool {
	media := make([]string, 0, len(prompts))
	for _, p := range prompts {
		media = append(media, wt.plan.Media(wt.lang, p))
	}
	if !wt.stopMOH() {
		return false
	}
	pctx, cancel := context.WithCancel(wt.ctx)
	got := make(chan acd.Notice, 1)
	watcherDone := make(chan struct{})
	go func() { // only reads the waiter and cancels: never touches the call
		defer close(watcherDone)
		select {
		case n := <-wt.w.Notices():
			got <- n
			cancel()
		case <-pctx.Done():
		}
	}()
	_, err := wt.call.Play(pctx, ari.PlayOptions{Media: media})
	cancel()
	<-watcherDone
	select {
	case n := <-got:
		wt.pending = &n
		wt.log.Info().Str("notice", string(n.Kind)).Msg("announcement stopped for a notice of the acd")
	default:
	}
	if err != nil && wt.gone(err) {
		return false
	}
	return wt.startMOH()
}

// notice handles one notice while the caller waits; done when the call
// ended with it.
func (wt *waiting) notice(n acd.Notice) (HandoffResult, bool) {
	switch n.Kind {
	case acd.NoticeOffer:
		if n.Offer == nil {
			return HandoffResult{}, false
		}
		// A reservation lost in a Redis failover must not ring (its
		// agents may be reserved again for another call): see
		// acd.ConfirmOffer. Not confirmed: the call keeps waiting.
		if err := wt.h.acd.ConfirmOffer(wt.ctx, n); err != nil {
			if wt.ctx.Err() != nil {
				return wt.left(), true
			}
			wt.log.Warn().Err(err).Msg("offer not confirmed in Redis: its agents are not rung, the call waits on")
			return HandoffResult{}, false
		}
		return wt.ring(*n.Offer)
	case acd.NoticeMoved:
		if !wt.moved(n.Move) {
			return wt.left(), true
		}
	case acd.NoticeWithdrawn: // nothing rings while waiting
	}
	return HandoffResult{}, false
}

// moved: the call waits in another queue now; the caller hears why and
// keeps the music.
func (wt *waiting) moved(m *acd.Escalation) bool {
	if m == nil {
		return true
	}
	wt.queue = m.To
	wt.log = wt.log.With().Str("queue", m.To).Logger()
	wt.log.Info().Str("from", m.From).Str("reason", string(m.Reason)).Msg("call moved to another queue")
	prompt := promptEscalation
	if m.Reason == acd.EscalationMaxWait {
		prompt = promptOverflow
	}
	return wt.playInterruptible(prompt)
}

// screenPopVars are the screen-pop as the agent leg's channel variables.
func (wt *waiting) screenPopVars() map[string]string {
	p := wt.pop
	vars := map[string]string{
		"TENESA_CUSTOMER_ID": p.CustomerID, "TENESA_SEGMENT": p.Segment, "TENESA_TIER": p.Tier,
		"TENESA_SERVICE_ID": p.ServiceID, "TENESA_INTENT": p.Intent, "TENESA_PRODUCT": p.Product,
		"TENESA_TICKET": p.OpenTicket, "TENESA_IDENTIFIED_BY": p.IdentifiedBy, "TENESA_QUEUE": wt.queue,
	}
	for k, v := range vars {
		if v == "" {
			delete(vars, k)
		}
	}
	return vars
}

type legEvent struct {
	agent    string
	answered bool // else gone
}

// ringing is one offer's legs.
type ringing struct {
	legs   map[string]ari.Leg // agent id → leg still ringing or answered
	events chan legEvent
	stop   chan struct{}
	wg     sync.WaitGroup
}

func (r *ringing) watch(agent string, l ari.Leg) {
	r.legs[agent] = l
	r.wg.Add(1)
	go func() { // only reads the leg's channels
		defer r.wg.Done()
		select {
		case <-l.Answered():
			select {
			case r.events <- legEvent{agent, true}:
			case <-r.stop:
			}
		case <-l.Gone():
			select {
			case r.events <- legEvent{agent, false}:
			case <-r.stop:
			}
		case <-r.stop:
		}
	}()
}

func (r *ringing) close() { close(r.stop); r.wg.Wait() }

// ring originates the offered agents' endpoints into the app with the
// screen-pop; the first to answer is bridged with the caller.
func (wt *waiting) ring(o acd.Offer) (HandoffResult, bool) {
	r := &ringing{legs: map[string]ari.Leg{}, events: make(chan legEvent, 2*len(o.Agents)), stop: make(chan struct{})}
	defer r.close()
	vars := wt.screenPopVars()
	for _, a := range o.Agents {
		ep, ok := wt.h.Reach.Dial(wt.call.Info().Server, a)
		if !ok { // the reservation checks the box: a reservation from before a reload
			wt.log.Error().Str("agent_id", a.ID).Str("box", a.Box).Msg("agent not reachable from the caller's Asterisk")
			wt.noAnswer(a.ID)
			continue
		}
		l, err := wt.call.Originate(wt.ctx, ari.OriginateRequest{Endpoint: ep,
			CallerID: wt.pop.Segment + " " + wt.queue, Timeout: o.RingTimeout, Variables: vars,
			Args: []string{"agent", wt.call.ID()}})
		if err != nil {
			if wt.gone(err) {
				wt.hangupAll(r)
				return wt.left(), true
			}
			wt.log.Warn().Err(err).Str("agent_id", a.ID).Msg("agent originate failed")
			wt.noAnswer(a.ID)
			continue
		}
		r.watch(a.ID, l)
	}
	for len(r.legs) > 0 {
		select {
		case <-wt.ctx.Done():
			wt.hangupAll(r)
			return wt.left(), true
		case n := <-wt.w.Notices():
			switch n.Kind {
			case acd.NoticeWithdrawn:
				for _, a := range n.Agents {
					wt.hangupLeg(r, a)
				}
			case acd.NoticeMoved:
				wt.hangupAll(r)
				if !wt.moved(n.Move) {
					return wt.left(), true
				}
				return HandoffResult{}, false
			case acd.NoticeOffer: // a second offer while ringing: take it next
				wt.pending = &n
			}
		case e := <-r.events:
			l, ok := r.legs[e.agent]
			if !ok {
				continue
			}
			if !e.answered {
				delete(r.legs, e.agent)
				wt.log.Info().Str("agent_id", e.agent).Int("cause", l.EndCause()).Msg("agent did not answer")
				wt.noAnswer(e.agent)
				continue
			}
			if res, done, talked := wt.connect(r, e.agent, l); talked || done {
				return res, done
			}
		}
	}
	return HandoffResult{}, false
}

// noAnswer reports that agent did not answer (its leg rang out or failed),
// with its own time bound: it comes after the ringing, however long that was.
func (wt *waiting) noAnswer(agent string) {
	ctx, cancel := wt.bg()
	defer cancel()
	if err := wt.h.acd.NoAnswer(ctx, wt.call.ID(), agent); err != nil && !errors.Is(err, acd.ErrConflict) {
		wt.log.Warn().Err(err).Str("agent_id", agent).Msg("acd: no answer not reported")
	}
}

func (wt *waiting) hangupLeg(r *ringing, agent string) {
	l, ok := r.legs[agent]
	if !ok {
		return
	}
	delete(r.legs, agent)
	ctx, cancel := wt.bg()
	defer cancel()
	if err := l.Hangup(ctx); err != nil {
		wt.log.Warn().Err(err).Str("agent_id", agent).Msg("agent leg hang-up failed")
	}
}

func (wt *waiting) hangupAll(r *ringing) {
	for a := range r.legs {
		wt.hangupLeg(r, a)
	}
}

// connect bridges the caller with the agent who answered. talked: the
// caller talked to the agent (res is final when done); otherwise the
// bridge did not happen and the agent is reported as not answering (music
// on hold back on for the next agent).
func (wt *waiting) connect(r *ringing, agent string, l ari.Leg) (res HandoffResult, done, talked bool) {
	if !wt.stopMOH() {
		wt.hangupAll(r)
		return wt.left(), true, false
	}
	b, err := wt.call.Bridge(wt.ctx, l)
	if err != nil && !wt.gone(err) && !legGone(l) {
		// 404/409: the bridge's trouble (not the caller's): try a new one.
		wt.log.Warn().Err(err).Str("agent_id", agent).Msg("bridge failed: trying again")
		b, err = wt.call.Bridge(wt.ctx, l)
	}
	if err != nil {
		if wt.gone(err) {
			wt.hangupAll(r)
			return wt.left(), true, false
		}
		wt.log.Warn().Err(err).Str("agent_id", agent).Bool("agent_left", legGone(l)).
			Msg("caller not bridged with the agent: next agent")
		wt.hangupLeg(r, agent)
		wt.noAnswer(agent)
		if !wt.startMOH() {
			wt.hangupAll(r)
			return wt.left(), true, false
		}
		return HandoffResult{}, false, false
	}
	ctx, cancel := wt.bg()
	err = wt.h.acd.Answered(ctx, wt.call.ID(), agent)
	cancel()
	if err != nil {
		wt.log.Warn().Err(err).Str("agent_id", agent).Msg("acd: answer not accepted")
	}
	delete(r.legs, agent)
	wt.hangupAll(r) // ring_all: the others
	now := time.Now()
	wt.res.AgentID, wt.res.AgentAnsweredAt = agent, now
	wt.res.Wait = now.Sub(wt.res.EnqueuedAt)
	wt.log.Info().Str("agent_id", agent).Str("bridge_id", b.ID()).Msg("caller talking to agent")
	return wt.talk(agent, l, b)
}

func legGone(l ari.Leg) bool {
	select {
	case <-l.Gone():
		return true
	default:
		return false
	}
}

// talk waits for the end of the conversation: either side hanging up
// ends it and the agent wraps up; an escalation by the agent moves the
// caller to the team leader queue (the agent's leg is hung up). What is
// done at the end gets its own time bound (wt.bg): a conversation lasts
// minutes.
func (wt *waiting) talk(agent string, l ari.Leg, b ari.Bridge) (HandoffResult, bool, bool) {
	ended := func(who acd.Party) {
		ctx, cancel := wt.bg()
		defer cancel()
		if err := wt.h.acd.Ended(ctx, wt.call.ID(), who); err != nil {
			wt.log.Warn().Err(err).Msg("acd: end of call not reported")
		}
		wt.res.Talk = time.Since(wt.res.AgentAnsweredAt)
	}
	for {
		select {
		case <-wt.ctx.Done():
			if errors.Is(context.Cause(wt.ctx), ari.ErrShutdown) || errors.Is(context.Cause(wt.ctx), ari.ErrReplaced) {
				// left bridged for the adopter (its record is handed over)
				wt.res.Talk = time.Since(wt.res.AgentAnsweredAt)
				return wt.end(router.OutcomeAgentAnswered, ""), true, true
			}
			ended(acd.PartyCaller)
			return wt.end(router.OutcomeAgentAnswered, ""), true, true
		case <-l.Gone():
			ended(acd.PartyAgent)
			if err := wt.call.Hangup(wt.ctx, "normal"); err != nil && !wt.gone(err) {
				wt.log.Warn().Err(err).Msg("caller hang-up after the agent's failed")
			}
			return wt.end(router.OutcomeAgentAnswered, ""), true, true
		case n := <-wt.w.Notices():
			if n.Kind != acd.NoticeMoved {
				continue
			}
			// The agent escalated: the acd put it in wrap-up; its leg goes.
			wt.log.Info().Str("agent_id", agent).Msg("agent escalated the call: caller back on hold for the team leader")
			ctx, cancel := wt.bg()
			defer cancel()
			if err := l.Hangup(ctx); err != nil {
				wt.log.Warn().Err(err).Msg("escalating agent's leg hang-up failed")
			}
			if err := b.Destroy(ctx); err != nil {
				wt.log.Warn().Err(err).Msg("bridge destroy after escalation failed")
			}
			cancel()
			wt.res.AgentID, wt.res.AgentAnsweredAt = "", time.Time{}
			if !wt.moved(n.Move) {
				return wt.left(), true, true
			}
			return HandoffResult{}, false, true
		}
	}
}

// AdoptedEnded tells the acd that a call adopted while bridged ended (who
// hung up).
func (h *ACDHandoff) AdoptedEnded(ctx context.Context, callID string, agentHungUp bool) {
	who := acd.PartyCaller
	if agentHungUp {
		who = acd.PartyAgent
	}
	if err := h.acd.Ended(ctx, callID, who); err != nil && !errors.Is(err, acd.ErrNotFound) {
		h.log.Warn().Err(err).Str("call_id", callID).Msg("acd: end of adopted call not reported")
	}
}

// Complete implements RecordCompleter: a call that went through the acd
// gets the acd's part of its record (queue, wait, agent, talk, wrap-up,
// escalations, disposition) once the agent's wrap-up ended, in the
// background; the caller is released meanwhile.
func (h *ACDHandoff) Complete(rec *router.Record, sink router.RecordSink) bool {
	if rec.EnqueuedAt == nil && !rec.Adopted {
		return false
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return false
	}
	h.wg.Add(1)
	h.mu.Unlock()
	saved := h.savePending(rec)
	go func() {
		defer h.wg.Done()
		h.complete(rec)
		if saved && !h.takePending(rec.CallID) {
			return // the sweeper wrote it meanwhile
		}
		sink.Submit(rec)
	}()
	return true
}

// savePending stores the record as it is now (see Pending); false when
// there is no store or it failed (the record then only lives here).
func (h *ACDHandoff) savePending(rec *router.Record) bool {
	if h.Pending == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	cp := *rec
	if err := h.Pending.Save(ctx, &cp); err != nil {
		h.log.Warn().Err(err).Str("call_id", rec.CallID).Msg("record waiting for the wrap-up not saved in Redis")
		return false
	}
	return true
}

// takePending removes the saved copy; false when the sweeper already
// wrote the record (this process took too long, or was thought dead).
func (h *ACDHandoff) takePending(callID string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := h.Pending.Take(ctx, callID); errors.Is(err, router.ErrHandoverSwept) {
		h.log.Warn().Str("call_id", callID).Msg("record already finalised by the hand-over sweeper: not written again")
		return false
	} else if err != nil {
		// Writing it now could make two (the sweeper finds the saved
		// copy later): the sweeper writes it, once.
		h.log.Warn().Err(err).Str("call_id", callID).Msg("saved record not taken back: the hand-over sweeper writes it")
		return false
	}
	return true
}

func (h *ACDHandoff) complete(rec *router.Record) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-h.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	hd, err := h.acd.Handling(ctx, rec.CallID)
	if err != nil {
		if !errors.Is(err, acd.ErrNotFound) {
			h.log.Warn().Err(err).Str("call_id", rec.CallID).Msg("acd handling not read: record without it")
		}
		return
	}
	if hd.AgentID != "" && !hd.WrapUpDone && !hd.EndedAt.IsZero() {
		hd = h.waitWrapUp(ctx, rec.CallID, hd)
	}
	fill(rec, hd)
}

// waitWrapUp waits for the end of the agent's wrap-up after this call.
func (h *ACDHandoff) waitWrapUp(ctx context.Context, callID string, hd acd.Handling) acd.Handling {
	events, unsubscribe := h.acd.Subscribe(hd.AgentID)
	defer unsubscribe()
	wrap := h.acd.Settings().Queues[hd.Queue].WrapUp
	limit := h.RecordWait
	if limit <= 0 {
		limit = 30 * time.Second
	}
	deadline := time.NewTimer(wrap + limit)
	defer deadline.Stop()
	for {
		// read again after subscribing: the end may have come meanwhile
		if cur, err := h.acd.Handling(ctx, callID); err == nil {
			hd = cur
			if hd.WrapUpDone || hd.AgentID == "" {
				return hd
			}
		}
		select {
		case <-ctx.Done():
			return hd
		case <-deadline.C:
			h.log.Warn().Str("call_id", callID).Str("agent_id", hd.AgentID).
				Msg("wrap-up end not seen in time: record written without it")
			return hd
		case ev, ok := <-events:
			if !ok {
				return hd
			}
			if ev.CallID != callID || (ev.Type != acd.EventWrapUpEnd && ev.Type != acd.EventState) {
				continue
			}
		}
	}
}

// fill copies the acd's part into the record.
func fill(rec *router.Record, hd acd.Handling) {
	rec.Queue, rec.FirstQueue = hd.Queue, hd.FirstQueue
	if rec.Priority == 0 {
		rec.Priority = hd.Priority
	}
	if !hd.EnqueuedAt.IsZero() {
		t := hd.EnqueuedAt
		rec.EnqueuedAt = &t
	}
	rec.WaitSeconds = hd.Wait.Seconds()
	if hd.AgentID != "" && !hd.AnsweredAt.IsZero() {
		rec.AgentID = hd.AgentID
		t := hd.AnsweredAt
		rec.AgentAnsweredAt = &t
		rec.TalkSeconds = hd.Talk.Seconds()
	}
	rec.WrapUpSeconds = hd.WrapUp.Seconds()
	rec.EndedBy = string(hd.EndedBy)
	rec.Escalations = nil
	for _, e := range hd.Escalations {
		rec.Escalations = append(rec.Escalations, router.Escalation{From: e.From, To: e.To,
			Reason: string(e.Reason), By: e.By, At: e.At})
	}
	if d := hd.Disposition; d != nil {
		rec.Disposition = &router.Disposition{Category: string(d.Category), TicketID: d.TicketID,
			FurtherHelpOffered: d.FurtherHelpOffered, StandardClosing: d.StandardClosing, AgentID: d.AgentID, At: d.At}
	}
	rec.DispositionMissing = hd.NotRecorded
}

// String names the hand-off in logs.
func (h *ACDHandoff) String() string { return fmt.Sprintf("acd(%s)", h.acd.Instance()) }
