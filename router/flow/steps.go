package flow

import (
	"context"
	"strconv"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/plan"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// askServiceID asks an unidentified caller for the service ID, ending with
// #, up to the configured attempts. False when the call ended.
func (c *callFlow) askServiceID() bool {
	id := c.plan.Identification
	for attempt := 1; attempt <= id.MaxAttempts; attempt++ {
		c.rec.Identification.Attempts = attempt
		g, ok := c.gather(router.StageIdentify, ari.GatherOptions{
			Prompts: c.medias(id.Prompt), MaxDigits: id.MaxDigits, Terminator: id.Terminator,
		})
		if !ok {
			return false
		}
		if g.Digits != "" {
			res, err := c.f.Customers.BySID(c.ctx, g.Digits)
			c.plan.Segments.Apply(&res) // decided by the call's plan, whatever was reloaded since
			switch {
			case res.Degraded:
				c.degraded = true
				return true
			case err == nil && res.Found:
				c.sid = g.Digits
				c.identify(res, "sid")
				return true
			}
			c.log.Info().Int("attempt", attempt).Str("result", string(res.Outcome)).Msg("service ID not recognised")
		}
		if attempt < id.MaxAttempts && !c.play(router.StageIdentify, c.medias(id.InvalidPrompt)...) {
			return false
		}
	}
	return true
}

// routeDegraded: Redis did not answer; the caller is unidentified and goes
// to the general queue with a short notice.
func (c *callFlow) routeDegraded() {
	c.log.Warn().Msg("segmentation degraded: routing to the general queue")
	if !c.play(router.StageIdentify, c.medias(c.plan.Prompts.Degraded)...) {
		return
	}
	c.route(plan.Attrs{Language: c.lang})
}

// routeUnidentified: no caller number match and no valid service ID after
// every attempt → an agent, with identification=none.
func (c *callFlow) routeUnidentified() {
	if !c.play(router.StageIdentify, c.medias(c.plan.Identification.FailedPrompt)...) {
		return
	}
	c.route(plan.Attrs{Language: c.lang})
}

// redirect tells a caller of a segment TENESA does not serve where to call,
// then transfers there (or continues in the dialplan).
func (c *callFlow) redirect() {
	c.rec.Outcome = router.OutcomeWrongSegment
	rd := c.res.Redirect
	var prompt, target string
	if rd != nil {
		prompt, target = rd.Prompt, rd.Target
	}
	c.log.Info().Str("segment", c.rec.Segment).Str("target", target).Msg("segment not served: redirecting")
	if !c.play(router.StageSegment, c.medias(prompt)...) {
		return
	}
	if err := continueTo(c.ctx, c.call, target); err != nil && !c.gone(err) {
		// The controller's cleanup continues the caller in the dialplan.
		c.log.Warn().Err(err).Msg("redirect failed")
	}
}

// continueTo gives the caller back to the dialplan: with a target, at
// [tenesa-after-ivr] <target> (ari's RedirectContext; deployments/asterisk
// decides what "147" or "queue" dials, the controller cannot dial anything
// else); without one, at the priority after Stasis(), which leads to the
// plain queue.
func continueTo(ctx context.Context, call ari.Call, target string) error {
	if target != "" {
		return call.Redirect(ctx, target)
	}
	return call.Continue(ctx, "", "", 0)
}

// announceIncident plays a known mass outage that hits one of the caller's
// products in the caller's region, then offers to continue. False when the
// call ended.
func (c *callFlow) announceIncident() bool {
	cu := c.res.Customer
	var inc *segmentation.Incident
	for _, p := range cu.Products {
		r, err := c.f.Customers.Incident(c.ctx, p, cu.Region)
		if err == nil && r.Found && ongoing(r.Incident, c.f.now()) {
			inc = r.Incident
			break
		}
		if r.Degraded {
			break // do not keep a caller waiting on a sick Redis
		}
	}
	if inc == nil {
		return true
	}
	c.log.Info().Str("product", inc.Product).Str("region", inc.Region).Msg("announcing incident")
	prompt := inc.Prompt
	if prompt == "" {
		prompt = c.plan.Prompts.IncidentPrompt
	}
	media := c.medias(prompt)
	if !inc.ExpectedEnd.IsZero() {
		media = append(media, c.medias(c.plan.Prompts.IncidentETA)...)
		media = append(media, c.sayTime(inc.ExpectedEnd)...)
	}
	if !c.play(router.StageIncident, media...) {
		return false
	}
	// "press 1 to continue, or stay on the line": any answer continues
	_, ok := c.gather(router.StageIncident, ari.GatherOptions{
		Prompts: c.medias(c.plan.Prompts.IncidentContinue), MaxDigits: 1,
	})
	return ok
}

// menu runs the intent menus until the caller is served or routed. Invalid
// keys and silence re-prompt; after the configured tries the caller goes
// to an agent with what is known so far.
func (c *callFlow) menu() {
	attrs := c.attrs()
	m := c.plan.Root
	tries := 0
	for {
		g, ok := c.gather(router.StageMenu, ari.GatherOptions{Prompts: c.medias(m.Prompt), MaxDigits: 1})
		if !ok {
			return
		}
		opt := m.Options[g.Digits]
		if opt == nil {
			tries++
			if tries >= c.plan.Retries {
				c.log.Info().Str("menu", m.Name).Int("tries", tries).Msg("no valid choice: routing to an agent")
				c.route(attrs)
				return
			}
			retry := c.plan.Prompts.Invalid
			if g.Status == ari.GatherSilence {
				retry = c.plan.Prompts.NoInput
			}
			if !c.play(router.StageMenu, c.medias(retry)...) {
				return
			}
			continue
		}
		tries = 0
		if opt.Intent != "" {
			attrs.Intent = opt.Intent
		}
		if opt.Product != "" {
			attrs.Product = opt.Product
		}
		if opt.Topic != "" {
			attrs.Topic = opt.Topic
		}
		switch opt.Action {
		case plan.ActionMenu:
			m = opt.Next
		case plan.ActionLanguage:
			c.lang = opt.Language
			attrs.Language = c.lang
			if !c.play(router.StageMenu, c.medias(c.plan.Prompts.LanguageSwitched)...) {
				return
			}
		case plan.ActionTicketStatus:
			c.ticketStatus(attrs)
			return
		case plan.ActionRoute, plan.ActionAgent:
			c.route(attrs)
			return
		default:
			c.log.Error().Str("action", string(opt.Action)).Msg("unknown menu action: routing to an agent")
			c.route(attrs)
			return
		}
	}
}

// attrs are the routing attributes known about the caller.
func (c *callFlow) attrs() plan.Attrs {
	a := plan.Attrs{Language: c.lang, Identified: c.res.Found}
	if cu := c.res.Customer; cu != nil && c.res.Found {
		a.Segment, a.Tier = cu.Segment, cu.Tier
	}
	return a
}

// ticketStatus speaks the open ticket of the caller's service, then offers
// an agent (SOP activities 10 and 13).
func (c *callFlow) ticketStatus(attrs plan.Attrs) {
	c.enter(router.StageSelfSvc)
	p := c.plan.Prompts
	if c.sid == "" { // identified by number: which service?
		g, ok := c.gather(router.StageSelfSvc, ari.GatherOptions{
			Prompts: c.medias(c.plan.Identification.Prompt), MaxDigits: c.plan.Identification.MaxDigits,
			Terminator: c.plan.Identification.Terminator,
		})
		if !ok {
			return
		}
		c.sid = g.Digits
	}
	var media []string
	result := "no_ticket"
	tr, err := c.f.Customers.Ticket(c.ctx, c.sid)
	switch {
	case tr.Degraded:
		c.degraded = true
		c.rec.SelfServiceResult = "degraded"
		if c.play(router.StageSelfSvc, c.medias(p.Degraded)...) {
			c.route(attrs)
		}
		return
	case err == nil && tr.Found:
		t := tr.Ticket
		c.ticket, result = t.TicketID, "ticket_"+t.Status
		media = append(media, c.medias(p.TicketIntro)...)
		media = append(media, spell(t.TicketID))
		media = append(media, c.medias(p.TicketStatus[t.Status])...)
		if !t.UpdatedAt.IsZero() {
			media = append(media, c.medias(p.TicketLastUpdate)...)
			media = append(media, c.sayTime(t.UpdatedAt)...)
		}
		if !t.ETA.IsZero() {
			media = append(media, c.medias(p.TicketETA)...)
			media = append(media, c.sayTime(t.ETA)...)
		}
	default:
		media = append(media, c.medias(p.TicketNone)...)
	}
	c.rec.SelfServiceResult = result
	if !c.play(router.StageSelfSvc, media...) {
		return
	}
	// offer an agent: 0 agent, 1 end; anything else re-prompts, then agent
	for tries := 1; ; tries++ {
		g, ok := c.gather(router.StageSelfSvc, ari.GatherOptions{Prompts: c.medias(p.TicketOfferAgent), MaxDigits: 1})
		if !ok {
			return
		}
		switch {
		case g.Digits == "0":
			c.route(attrs)
			return
		case g.Digits == "1":
			c.rec.Outcome = router.OutcomeSelfServed
			if c.play(router.StageClosing, c.medias(p.Closing)...) {
				c.hangup()
			}
			return
		case tries >= c.plan.Retries:
			c.route(attrs)
			return
		}
		retry := p.Invalid
		if g.Status == ari.GatherSilence {
			retry = p.NoInput
		}
		if !c.play(router.StageSelfSvc, c.medias(retry)...) {
			return
		}
	}
}

// route builds the route request and hands the caller to the queueing side.
func (c *callFlow) route(attrs plan.Attrs) {
	attrs.Language = c.lang
	r := c.plan.Match(attrs)
	c.rec.Intent, c.rec.Product = attrs.Intent, attrs.Product
	c.rec.Queue, c.rec.Priority = r.Queue, r.Priority
	req := RouteRequest{Route: r, ScreenPop: ScreenPop{
		CallID: c.call.ID(), Segment: attrs.Segment, Tier: attrs.Tier, ServiceID: c.sid,
		Intent: attrs.Intent, Product: attrs.Product, Topic: attrs.Topic, Language: c.lang,
		OpenTicket: c.ticket, IdentifiedBy: c.rec.Identification.Method, Keys: string(c.keys),
		Degraded: c.degraded,
	}}
	if req.ScreenPop.IdentifiedBy == "" {
		req.ScreenPop.IdentifiedBy = "none"
	}
	if cu := c.res.Customer; cu != nil && c.res.Found {
		req.ScreenPop.CustomerID, req.ScreenPop.CustomerName = cu.ID, cu.Name
	}
	c.log.Info().Str("queue", r.Queue).Int("priority", r.Priority).Strs("skills", r.Skills).
		Str("rule", r.Rule).Msg("route request")
	if !c.play(router.StageRoute, c.medias(c.plan.Prompts.Transfer)...) {
		return
	}
	c.enter(router.StageQueue)
	h := c.f.Handoff.Handoff(c.ctx, c.call, c.plan, req)
	c.rec.Outcome, c.rec.AgentID, c.rec.FailReason = h.Outcome, h.AgentID, h.FailReason
	if !h.EnqueuedAt.IsZero() {
		t := h.EnqueuedAt
		c.rec.EnqueuedAt = &t
	}
	if !h.AgentAnsweredAt.IsZero() {
		t := h.AgentAnsweredAt
		c.rec.AgentAnsweredAt = &t
		c.enter(router.StageAgent)
	}
	c.rec.WaitSeconds, c.rec.TalkSeconds = h.Wait.Seconds(), h.Talk.Seconds()
	if h.Outcome == router.OutcomeAbandonedQueue {
		c.rec.AbandonStage = router.StageQueue
	}
}

// sayTime speaks a date and time in the caller's zone (the one the
// greeting used): day, month, hour, minute.
func (c *callFlow) sayTime(t time.Time) []string {
	loc := c.f.Zones[c.zone]
	if loc != nil {
		t = t.In(loc)
	}
	out := []string{
		"number:" + strconv.Itoa(t.Day()),
		c.media("month-" + twoDigits(int(t.Month()))),
		c.media("at-time"),
		"number:" + strconv.Itoa(t.Hour()),
	}
	if t.Minute() != 0 { // "pukul 14", not "pukul 14 0"
		out = append(out, "number:"+strconv.Itoa(t.Minute()))
	}
	return out
}

// ongoing: an incident is announced from its start until its expected end
// (an open-ended one until the CRM removes it).
func ongoing(inc *segmentation.Incident, now time.Time) bool {
	if !inc.StartedAt.IsZero() && now.Before(inc.StartedAt) {
		return false
	}
	return inc.ExpectedEnd.IsZero() || now.Before(inc.ExpectedEnd)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// spell speaks an identifier: digits: when it is all digits, else
// characters: with its letters and digits (separators dropped).
func spell(s string) string {
	b := make([]byte, 0, len(s))
	digits := true
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= '0' && ch <= '9':
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z':
			digits = false
		default:
			continue
		}
		b = append(b, ch)
	}
	if digits {
		return "digits:" + string(b)
	}
	return "characters:" + string(b)
}
