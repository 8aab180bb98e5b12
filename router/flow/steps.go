package flow

import (
	"context"
	"time"

	"github.com/tenesa-ivr/tenesa-ivr/ari"
	"github.com/tenesa-ivr/tenesa-ivr/internal/logging"
	"github.com/tenesa-ivr/tenesa-ivr/router"
	"github.com/tenesa-ivr/tenesa-ivr/router/plan"
	"github.com/tenesa-ivr/tenesa-ivr/router/say"
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
			if !c.ticketStatus(attrs) {
				return
			}
			// further help: back to the main menu
			attrs, m, tries = c.attrs(), c.plan.Root, 0
			continue
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
// an agent (SOP activities 10 and 13) and further help (activity 14). True
// when the caller asked to go back to the main menu.
func (c *callFlow) ticketStatus(attrs plan.Attrs) (mainMenu bool) {
	c.enter(router.StageSelfSvc)
	p := c.plan.Prompts
	notOwned := false
	if c.sid == "" { // identified by number: which service?
		g, ok := c.gather(router.StageSelfSvc, ari.GatherOptions{
			Prompts: c.medias(c.plan.Identification.Prompt), MaxDigits: c.plan.Identification.MaxDigits,
			Terminator: c.plan.Identification.Terminator,
		})
		if !ok {
			return false
		}
		owned, ok := c.ownService(g.Digits)
		if !ok { // Redis did not answer
			c.rec.SelfServiceResult = "degraded"
			if c.play(router.StageSelfSvc, c.medias(p.Degraded)...) {
				c.route(attrs)
			}
			return false
		}
		if owned {
			c.sid = g.Digits
		} else if g.Digits != "" {
			notOwned = true
		}
	}
	var media []string
	result := "no_ticket"
	var tr segmentation.TicketResult
	var err error
	if notOwned {
		result = "service_not_owned" // never read a stranger's ticket: "not found"
	} else if c.sid != "" {
		tr, err = c.f.Customers.Ticket(c.ctx, c.sid)
	}
	switch {
	case tr.Degraded:
		c.degraded = true
		c.rec.SelfServiceResult = "degraded"
		if c.play(router.StageSelfSvc, c.medias(p.Degraded)...) {
			c.route(attrs)
		}
		return false
	case err == nil && tr.Found:
		t := tr.Ticket
		c.ticket, result = t.TicketID, "ticket_"+t.Status
		media = append(media, c.medias(p.TicketIntro)...)
		media = append(media, c.medias(say.Spell(t.TicketID)...)...)
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
		return false
	}
	// offer an agent: 0 agent, 1 done (further help); anything else
	// re-prompts, then an agent
	for tries := 1; ; tries++ {
		g, ok := c.gather(router.StageSelfSvc, ari.GatherOptions{Prompts: c.medias(p.TicketOfferAgent), MaxDigits: 1})
		if !ok {
			return false
		}
		switch {
		case g.Digits == "0":
			c.route(attrs)
			return false
		case g.Digits == "1":
			return c.furtherHelp(attrs)
		case tries >= c.plan.Retries:
			c.route(attrs)
			return false
		}
		if !c.retry(router.StageSelfSvc, g) {
			return false
		}
	}
}

// furtherHelp offers more help after self-service (SOP activity 14): 1 the
// main menu (true), 0 an agent, 2 or silence the closing; another key
// re-prompts, and after the configured tries the closing.
func (c *callFlow) furtherHelp(attrs plan.Attrs) (mainMenu bool) {
	c.rec.FurtherHelp.Offered = true
	p := c.plan.Prompts
	for tries := 1; ; tries++ {
		g, ok := c.gather(router.StageSelfSvc, ari.GatherOptions{Prompts: c.medias(p.FurtherHelp), MaxDigits: 1})
		if !ok {
			return false
		}
		switch {
		case g.Digits == "1":
			c.rec.FurtherHelp.Choice = "main_menu"
			return true
		case g.Digits == "0":
			c.rec.FurtherHelp.Choice = "agent"
			c.route(attrs)
			return false
		case g.Digits == "2" || g.Digits == "" || tries >= c.plan.Retries:
			c.rec.FurtherHelp.Choice = "closing"
			c.rec.Outcome = router.OutcomeSelfServed
			if c.play(router.StageClosing, c.medias(p.Closing)...) {
				c.hangup()
			}
			return false
		}
		if !c.retry(router.StageSelfSvc, g) {
			return false
		}
	}
}

// retry plays the invalid-key or no-input prompt after a gather.
func (c *callFlow) retry(stage router.Stage, g ari.GatherResult) bool {
	prompt := c.plan.Prompts.Invalid
	if g.Status == ari.GatherSilence {
		prompt = c.plan.Prompts.NoInput
	}
	return c.play(stage, c.medias(prompt)...)
}

// ownService reports whether a service ID typed by a caller identified by
// number belongs to that caller's customer: only then is its ticket read
// out (a caller must never hear a stranger's ticket). ok is false when
// Redis did not answer.
func (c *callFlow) ownService(sid string) (owned, ok bool) {
	if sid == "" {
		return false, true
	}
	res, err := c.f.Customers.BySID(c.ctx, sid)
	if res.Degraded {
		c.degraded = true
		return false, false
	}
	me := c.res.Customer
	if err == nil && res.Customer != nil && me != nil && res.Customer.ID == me.ID {
		return true, true
	}
	c.log.Warn().Str("customer_id", me.ID).Str("service_id", logging.MaskNumber(sid)).
		Bool("known_service", res.Customer != nil).Msg("ticket status: service ID is not the caller's; not read out")
	return false, true
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
	c.handoffResult(c.f.Handoff.Handoff(c.ctx, c.call, c.plan, req))
}

// handoffResult takes the queueing side's result into the record.
func (c *callFlow) handoffResult(h HandoffResult) {
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
// greeting used) and language, zone named: "dua puluh tujuh November pukul
// empat belas tiga puluh W I B"; the year only when it is not this year.
func (c *callFlow) sayTime(t time.Time) []string {
	now := c.f.now()
	if loc := c.f.Zones[c.zone]; loc != nil {
		t, now = t.In(loc), now.In(loc)
	}
	return c.medias(say.Moment(c.lang, t, c.zone, t.Year() != now.Year())...)
}

// ongoing: an incident is announced from its start until its expected end
// (an open-ended one until the CRM removes it).
func ongoing(inc *segmentation.Incident, now time.Time) bool {
	if !inc.StartedAt.IsZero() && now.Before(inc.StartedAt) {
		return false
	}
	return inc.ExpectedEnd.IsZero() || now.Before(inc.ExpectedEnd)
}
