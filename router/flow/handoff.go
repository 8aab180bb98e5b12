package flow

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/internal/logging"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/plan"
)

// DirectHandoff is the minimal queueing side until the ACD lands: it rings
// the one configured agent endpoint (handoff.endpoint) with the screen-pop
// as channel variables, holds the caller on music meanwhile, bridges them
// when the agent answers, and gives the caller to the dialplan's plain
// fallback queue when the agent does not answer. It ignores the route's
// queue and skills (they are recorded), which the ACD will honour.
type DirectHandoff struct {
	Log      zerolog.Logger
	Now      func() time.Time
	Attempts int // rings of the agent before the fallback queue; default 2
	// OnBridged, when set, is told each time a caller and an agent are
	// bridged (e.g. to push the screen-pop); it must not block.
	OnBridged func(callID, agentID string)
}

// Handoff implements Handoff.
func (d DirectHandoff) Handoff(ctx context.Context, call ari.Call, p *plan.Plan, req RouteRequest) HandoffResult {
	log := logging.ForCall(d.Log, call.ID())
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	res := HandoffResult{EnqueuedAt: now()}
	// gone: the request failed because the call's context ended (the
	// caller left, or the controller is stopping).
	gone := func(err error) bool {
		return errors.Is(err, ari.ErrCallGone) || ctx.Err() != nil
	}
	end := func(outcome router.Outcome, reason string) HandoffResult {
		res.Outcome, res.FailReason = outcome, reason
		if res.AgentAnsweredAt.IsZero() {
			res.Wait = now().Sub(res.EnqueuedAt)
		}
		return res
	}
	// stopped ends a call whose context ended before it reached an agent:
	// the caller hung up (abandoned in the queue), or the controller is
	// stopping (the controller gives the caller to the dialplan's queue).
	stopped := func() HandoffResult {
		if errors.Is(context.Cause(ctx), ari.ErrShutdown) {
			return end(router.OutcomeFailed, "controller stopping: caller continued in the dialplan")
		}
		return end(router.OutcomeAbandonedQueue, "")
	}
	if err := call.StartMOH(ctx, "default"); err != nil {
		if gone(err) {
			return stopped()
		}
		log.Warn().Err(err).Msg("music on hold failed")
	}
	attempts := d.Attempts
	if attempts <= 0 {
		attempts = 2
	}
	pop, _ := json.Marshal(req.ScreenPop)
	for a := 1; a <= attempts; a++ {
		leg, err := call.Originate(ctx, ari.OriginateRequest{
			Endpoint: p.Handoff.Endpoint, CallerID: req.ScreenPop.Segment + " " + req.Queue,
			Timeout: p.Handoff.RingTimeout,
			Variables: map[string]string{
				"TENESA_QUEUE": req.Queue, "TENESA_SEGMENT": req.ScreenPop.Segment,
				"TENESA_TIER": req.ScreenPop.Tier, "TENESA_INTENT": req.ScreenPop.Intent,
				"TENESA_PRODUCT": req.ScreenPop.Product, "TENESA_CUSTOMER_ID": req.ScreenPop.CustomerID,
				"TENESA_SERVICE_ID": req.ScreenPop.ServiceID, "TENESA_SCREENPOP": string(pop),
			},
			Args: []string{"agent", call.ID()},
		})
		if err != nil {
			if gone(err) {
				return stopped()
			}
			log.Warn().Err(err).Int("attempt", a).Msg("agent originate failed")
			continue
		}
		select {
		case <-ctx.Done():
			return stopped() // the controller hangs up the leg
		case <-leg.Gone():
			log.Info().Int("attempt", a).Int("cause", leg.EndCause()).Msg("agent did not answer")
			continue
		case <-leg.Answered():
		}
		answeredAt := now()
		// The music stays on until the caller is in the bridge (Asterisk
		// keeps a channel's music on hold when ARI adds it to a bridge):
		// a slow bridge request must not leave the caller in silence.
		if _, err := call.Bridge(ctx, leg); err != nil {
			// Asterisk answers 400/422 when either side left between the
			// agent's answer and the bridge; its events tell which.
			switch d.whoLeft(ctx, leg) {
			case callerLeft: // never connected: abandoned while the agent picked up
				return stopped()
			case agentLeft:
				log.Info().Int("attempt", a).Msg("agent left before the bridge")
				continue
			}
			log.Error().Err(err).Msg("bridge failed")
			return end(router.OutcomeFailed, "bridge failed: "+err.Error())
		}
		if err := call.StopMOH(ctx); err != nil && !gone(err) {
			log.Warn().Err(err).Msg("stop music on hold failed")
		}
		res.AgentID, res.AgentAnsweredAt = p.Handoff.Endpoint, answeredAt
		res.Wait = res.AgentAnsweredAt.Sub(res.EnqueuedAt)
		if d.OnBridged != nil {
			d.OnBridged(call.ID(), res.AgentID)
		}
		select {
		case <-ctx.Done(): // caller hung up; the controller tears down leg and bridge
		case <-leg.Gone(): // agent hung up: end the call
			if ctx.Err() == nil {
				_ = call.Hangup(ctx, "normal")
			}
		}
		res.Talk = now().Sub(res.AgentAnsweredAt)
		return end(router.OutcomeAgentAnswered, "")
	}
	// Nobody answered: the dialplan's plain queue takes the caller.
	log.Warn().Msg("agent not reached: continuing to the fallback queue")
	if err := continueTo(ctx, call, "queue"); err != nil && !gone(err) {
		log.Warn().Err(err).Msg("continue to fallback queue failed")
	}
	if ctx.Err() != nil {
		return stopped()
	}
	return end(router.OutcomeFailed, "agent not answering: continued to the dialplan fallback queue")
}

type leaver int

const (
	nobodyLeft leaver = iota
	callerLeft
	agentLeft
)

// whoLeft waits briefly (one ARI round of events) for the end of the caller
// or of the agent leg after a failed bridge.
func (d DirectHandoff) whoLeft(ctx context.Context, leg ari.Leg) leaver {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return callerLeft
	case <-leg.Gone():
		return agentLeft
	case <-t.C:
		return nobodyLeft
	}
}
