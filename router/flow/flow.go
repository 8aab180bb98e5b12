// Package flow is the SOP call flow of the TENESA line, one goroutine per
// call: answer → standard greeting → identification → segmentation check →
// known incident → intent menu → self-service or a route request handed to
// the queueing side. Every call ends with exactly one outcome and one
// handling record, whatever happens.
package flow

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/internal/logging"
	"github.com/tenesa-ivr/tenesa-ivr/metrics"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/plan"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// Customers is the narrow look-up port the flow needs (segmentation.Resolver).
// Each method answers within the look-up budget; Redis trouble comes back as
// a Degraded result, not an error.
type Customers interface {
	ByANI(ctx context.Context, raw string) (segmentation.Result, error)
	BySID(ctx context.Context, id string) (segmentation.Result, error)
	Ticket(ctx context.Context, sid string) (segmentation.TicketResult, error)
	Incident(ctx context.Context, product, region string) (segmentation.IncidentResult, error)
}

// RouteRequest is what the IVR hands to the queueing side for a caller who
// needs an agent (DESIGN §1 step 7).
type RouteRequest struct {
	plan.Route
	ScreenPop ScreenPop
}

// ScreenPop is the data shown to the agent with the call.
type ScreenPop struct {
	CallID       string `json:"call_id"`
	CustomerID   string `json:"customer_id,omitempty"`
	CustomerName string `json:"customer_name,omitempty"`
	Segment      string `json:"segment,omitempty"`
	Tier         string `json:"tier,omitempty"`
	ServiceID    string `json:"service_id,omitempty"`
	Intent       string `json:"intent,omitempty"`
	Product      string `json:"product,omitempty"`
	Topic        string `json:"topic,omitempty"`
	Language     string `json:"language"`
	OpenTicket   string `json:"open_ticket,omitempty"`
	IdentifiedBy string `json:"identified_by"`  // ani | sid | none
	Keys         string `json:"keys,omitempty"` // the IVR path: each prompt's entry, space-separated ("2 470300000001# 0")
	Degraded     bool   `json:"degraded,omitempty"`
}

// HandoffResult is how the queueing side ended the call.
type HandoffResult struct {
	Outcome         router.Outcome // agent_answered, abandoned_queue or failed
	AgentID         string
	EnqueuedAt      time.Time
	AgentAnsweredAt time.Time
	Wait, Talk      time.Duration
	FailReason      string
}

// Handoff is the queueing side: it owns the call from the route request to
// its end (queue, agent, bridge) and returns how it ended.
type Handoff interface {
	Handoff(ctx context.Context, call ari.Call, p *plan.Plan, req RouteRequest) HandoffResult
}

// RecordCompleter is implemented by a queueing side whose part of the
// record ends after the caller is released (the agent's wrap-up and
// disposition): Complete takes the record and submits it to sink once
// complete, in the background; it must not block. false: not its call,
// the flow submits the record now.
type RecordCompleter interface {
	Complete(rec *router.Record, sink router.RecordSink) bool
}

// Resumer is implemented by a queueing side that keeps waiting calls
// across a controller restart: Resume takes back an adopted call it still
// has waiting (ok false: none, the flow starts the call afresh).
type Resumer interface {
	Resume(ctx context.Context, call ari.Call, p *plan.Plan) (res HandoffResult, queue string, ok bool)
}

// AdoptedEnder is implemented by a queueing side that must hear of the end
// of a call adopted while talking to an agent.
type AdoptedEnder interface {
	AdoptedEnded(ctx context.Context, callID string, agentHungUp bool)
}

// Flow runs the SOP for each call. Its fields are set once at start-up and
// read by every call; nothing in it is written by a call goroutine.
// Everything configurable a call needs (lines, menus, prompts, segment rules,
// routing) comes from the Plan the call started with.
type Flow struct {
	Instance  string       // names this controller in records
	Plans     *plan.Holder // a call takes the current plan once and keeps it
	Customers Customers
	Handoff   Handoff
	// Records takes each call's record once the caller is released; it
	// never blocks (router.RecordWriter writes in the background).
	Records router.RecordSink
	// Handover carries the record of a bridged call across a controller
	// restart (nil: each controller records what it saw).
	Handover router.Handover
	Metrics  *metrics.Metrics
	Zones    router.Zones
	Log      zerolog.Logger
	Now      func() time.Time
	// TeardownTimeout bounds hang-up and record writing after the call's
	// context has ended. Default 5s.
	TeardownTimeout time.Duration
}

// Handle runs one call; it is an ari.Handler. It reads like the SOP.
func (f *Flow) Handle(ctx context.Context, call ari.Call) {
	c := f.newCall(ctx, call)
	defer c.finish()

	// A call adopted while talking to an agent (its previous controller went
	// away) stays with the agent: no second greeting, no IVR.
	// So does a call whose record was handed over, even if its bridge is
	// gone by now: its record goes on, never a second one.
	handedOver := c.takeHandover()
	if c.info.BridgeID != "" || handedOver {
		c.resumeBridged()
		return
	}
	// A call adopted while it waited for an agent (its controller
	// restarted) takes its place in the queue back.
	if c.info.Adopted && c.resumeQueued() {
		return
	}
	// A caller taken over from a dead controller while in the IVR: an
	// apology and an agent (see resumeIVR).
	if c.info.TakenOver {
		c.resumeIVR()
		return
	}

	// 1. answer; the caller's number is looked up meanwhile (one round trip)
	ani := c.lookupANI()
	if !c.do(router.StageAnswer, func() error { return call.Answer(ctx) }) {
		return
	}
	c.answered()
	c.identifiedByANI(<-ani)

	// 1. standard greeting in the caller's local time band
	if !c.greet() {
		return
	}

	// 2. identify: caller number, else the service ID by DTMF (3 tries)
	if c.degraded {
		c.routeDegraded()
		return
	}
	if !c.identified() {
		if !c.askServiceID() {
			return
		}
		if c.degraded {
			c.routeDegraded()
			return
		}
		if !c.identified() {
			c.routeUnidentified()
			return
		}
	}

	// 3. segmentation check: not served here → redirect (wrong_segment)
	if !c.res.Served {
		c.redirect()
		return
	}

	// 4. known incident on the caller's products in the caller's region
	if !c.announceIncident() {
		return
	}

	// 5-7. intent menu → self-service or route to an agent
	c.menu()
}

func (c *callFlow) identified() bool { return c.res.Found }

// takeHandover takes, for an adopted call, the record its previous
// controller handed over on shutdown; true when there was one (or the
// sweeper already wrote it).
func (c *callFlow) takeHandover() bool {
	if !c.info.Adopted || c.f.Handover == nil {
		return false
	}
	prev, err := c.f.Handover.Take(c.ctx, c.call.ID())
	switch {
	case errors.Is(err, router.ErrHandoverSwept):
		// adopted after its due time: the sweeper already wrote the
		// record; a second one would count the call twice
		c.log.Warn().Msg("handed-over record already finalised by the sweeper: no second record")
		c.noRecord = true
		return true
	case err != nil:
		c.log.Warn().Err(err).Msg("handed-over record not read")
	}
	if prev == nil {
		return false
	}
	c.rec, c.keys, c.lang = prev, []byte(prev.IVRPath), prev.Language
	c.rec.Adopted = true
	c.degraded = prev.Degraded
	return true
}

// resumeBridged keeps an adopted, already bridged call until the caller
// leaves; the controller owns the bridge and the agent leg and tears them
// down then. A handed-over call no longer bridged ends at once (the
// controller's cleanup gives the caller to the dialplan's fallback).
func (c *callFlow) resumeBridged() {
	c.rec.Outcome = router.OutcomeAgentAnswered
	c.enter(router.StageAgent)
	if c.info.BridgeID == "" {
		c.log.Warn().Msg("handed-over call no longer bridged: ending it")
		return
	}
	c.log.Info().Str("bridge_id", c.info.BridgeID).Msg("adopted call already with an agent: waiting for its end")
	agentLeft := anyGone(c.ctx, c.info.AgentLegs)
	select {
	case <-c.ctx.Done():
	case <-agentLeft:
		// The agent hung up: end the call rather than leave the caller
		// alone in the bridge.
		c.log.Info().Msg("agent of the adopted call hung up: ending the call")
		c.hangup()
	}
	if e, ok := c.f.Handoff.(AdoptedEnder); ok && !errors.Is(context.Cause(c.ctx), ari.ErrShutdown) &&
		!errors.Is(context.Cause(c.ctx), ari.ErrReplaced) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), 5*time.Second)
		e.AdoptedEnded(ctx, c.call.ID(), isClosed(agentLeft))
		cancel()
	}
}

// resumeQueued hands an adopted call back to the queueing side when it
// still has it waiting; false: the call starts afresh.
func (c *callFlow) resumeQueued() bool {
	r, ok := c.f.Handoff.(Resumer)
	if !ok {
		return false
	}
	c.enter(router.StageQueue)
	h, queue, ok := r.Resume(c.ctx, c.call, c.plan)
	if !ok {
		return false
	}
	c.rec.Queue = queue
	c.handoffResult(h)
	return true
}

// resumeIVR takes a caller over from a dead controller while in the IVR
// (or before its queue): what the caller had answered died with that
// controller, and a second greeting and menu round would make the caller
// start again. The caller hears an apology at once and goes to an agent,
// routed by what the caller's number tells (segment, tier, language).
func (c *callFlow) resumeIVR() {
	c.log.Warn().Msg("caller taken over in the IVR from a dead controller: apology, then an agent")
	ani := c.lookupANI()
	if !c.do(router.StageAnswer, func() error { return c.call.Answer(c.ctx) }) { // no-op: the channel is up
		return
	}
	c.identifiedByANI(<-ani)
	if c.identified() && !c.res.Served {
		c.redirect()
		return
	}
	if !c.play(router.StageIdentify, c.medias(c.plan.Prompts.Degraded)...) {
		return
	}
	c.route(c.attrs())
}

// anyGone closes when the first of legs ends (never with no legs); its
// helper ends with ctx.
func anyGone(ctx context.Context, legs []ari.Leg) <-chan struct{} {
	out := make(chan struct{})
	if len(legs) == 0 {
		return out
	}
	go func() {
		cases := make(chan struct{}, len(legs))
		done := make(chan struct{})
		defer close(done)
		for _, l := range legs {
			go func() {
				select {
				case <-l.Gone():
					cases <- struct{}{}
				case <-done:
				}
			}()
		}
		select {
		case <-cases:
			close(out)
		case <-ctx.Done():
		}
	}()
	return out
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// errorStage classifies an error that ended the flow at a stage: the caller
// leaving is an abandon, anything else a failure (the controller then gives
// the caller back to the dialplan's fallback queue).
func (c *callFlow) errorAt(stage router.Stage, err error) {
	if c.rec.Outcome != "" {
		return
	}
	if c.gone(err) {
		c.rec.Outcome, c.rec.AbandonStage = abandonOutcome(stage), stage
		return
	}
	c.rec.Outcome, c.rec.AbandonStage, c.rec.FailReason = router.OutcomeFailed, stage, err.Error()
}

func (c *callFlow) gone(err error) bool {
	return errors.Is(err, ari.ErrCallGone) || errors.Is(context.Cause(c.ctx), ari.ErrCallGone)
}

// abandonOutcome is the outcome of a caller hanging up at a stage.
func abandonOutcome(stage router.Stage) router.Outcome {
	if stage == router.StageQueue {
		return router.OutcomeAbandonedQueue
	}
	return router.OutcomeAbandonedIVR
}

func (f *Flow) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Flow) newCall(ctx context.Context, call ari.Call) *callFlow {
	info := call.Info()
	p := f.Plans.Load()
	c := &callFlow{f: f, ctx: ctx, call: call, plan: p, info: info,
		log: logging.CallContext(f.Log, call.ID()).Str("plan", p.Version).Logger()}
	c.rec = &router.Record{CallID: call.ID(), Instance: f.Instance, Server: info.Server, Line: info.DNIS,
		Adopted: info.Adopted, StartedAt: f.now()}
	line, ok := p.Line(info.DNIS)
	if !ok {
		c.log.Warn().Str("line", info.DNIS).Msg("line not configured; using the default time zone")
	}
	c.line, c.lang = line, line.Language
	c.stageStart = c.rec.StartedAt
	c.log.Info().Str("line", info.DNIS).Str("caller", logging.MaskNumber(info.CallerNumber)).
		Bool("adopted", info.Adopted).Msg("call started")
	return c
}
