package configs

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Intents is the closed set of caller intents menus set and rules match.
var Intents = []string{"complaint", "ticket_status", "information", "request", "agent"}

// MenuActions are the actions a menu option may name (ActionMenu is "menu: <name>").
var MenuActions = []string{"route", "ticket_status", "agent", "language"}

// TicketStatuses are the ticket statuses the CRM writes (segmentation.TicketStatuses).
var TicketStatuses = []string{"open", "in_progress", "pending", "resolved", "closed"}

// RuleDimensions are the caller attributes routing rules match and
// routing.skills derives skills from, in display order.
var RuleDimensions = []string{"segment", "tier", "intent", "product", "topic", "language"}

// MenuKeys are the DTMF keys a menu option may use, in keypad order.
const MenuKeys = "1234567890*#"

// PromptIDs is the set of prompt ids that exist: the prompt manifest
// (deployments/asterisk/sounds/prompts.yaml), which the caller passes in.
// Validation checks every prompt the configuration names against it.
type PromptIDs map[string]bool

// NewPromptIDs returns the set of the given prompt ids.
func NewPromptIDs(ids ...string) PromptIDs { return PromptIDs(setOf(ids)) }

// Dims returns the values a matcher lists per dimension (RuleDimensions).
func (m RuleMatch) Dims() map[string][]string {
	return map[string][]string{
		"segment": m.Segment, "tier": m.Tier, "intent": m.Intent,
		"product": m.Product, "topic": m.Topic, "language": m.Language,
	}
}

// validateFlow checks regions, ivr, routing and handoff, and that every
// prompt the configuration names is in the prompt manifest.
func (c *Config) validateFlow(v *validator, prompts PromptIDs) {
	for region, zone := range c.Regions {
		_, ok := TimeZones[zone]
		v.check(ok, "regions."+region, fmt.Sprintf("%q is not one of WIB, WITA, WIT", zone))
	}
	for alias, region := range c.RegionAliases {
		_, known := c.Regions[strings.ToLower(region)]
		v.check(known, "region_aliases."+alias, fmt.Sprintf("%q is not a region of regions", region))
		if zone, clash := c.Regions[strings.ToLower(alias)]; clash && known {
			v.check(zone == c.Regions[strings.ToLower(region)], "region_aliases."+alias,
				fmt.Sprintf("%q is in %s, but the alias is itself a region in %s", region, c.Regions[strings.ToLower(region)], zone))
		}
	}

	ivr := c.IVR
	v.positive("ivr.first_digit_timeout", ivr.FirstDigitTimeout)
	v.positive("ivr.inter_digit_timeout", ivr.InterDigitTimeout)
	v.check(ivr.Retries >= 1 && ivr.Retries <= 9, "ivr.retries", fmt.Sprintf("%d is not 1-9", ivr.Retries))
	id := ivr.Identification
	v.check(id.MaxAttempts >= 1 && id.MaxAttempts <= 9, "ivr.identification.max_attempts", fmt.Sprintf("%d is not 1-9", id.MaxAttempts))
	v.check(id.MaxDigits >= 1 && id.MaxDigits <= 32, "ivr.identification.max_digits", fmt.Sprintf("%d is not 1-32", id.MaxDigits))
	v.check(id.Terminator == "#" || id.Terminator == "*", "ivr.identification.terminator", fmt.Sprintf("%q is not # or *", id.Terminator))
	for status := range ivr.Ticket.StatusPrompts {
		v.check(slices.Contains(TicketStatuses, status), "ivr.ticket.status_prompts."+status,
			fmt.Sprintf("unknown ticket status (%s)", strings.Join(TicketStatuses, ", ")))
	}

	langs := setOf(c.Segmentation.Languages)
	products := setOf(c.Segmentation.Products)
	topics := map[string]bool{}
	if _, ok := ivr.Menus[ivr.Root]; !ok {
		v.add("ivr.root", "undefined menu %q%s", ivr.Root, suggest(ivr.Root, slices.Sorted(maps.Keys(ivr.Menus))))
	}
	for _, name := range slices.Sorted(maps.Keys(ivr.Menus)) {
		m := ivr.Menus[name]
		key := "ivr.menus." + name
		v.check(len(m.Options) > 0, key+".options", "a menu needs at least one option")
		for _, k := range slices.Sorted(maps.Keys(m.Options)) {
			o := m.Options[k]
			okey := key + ".options." + k
			v.check(len(k) == 1 && strings.Contains(MenuKeys, k), okey, fmt.Sprintf("key %q is not one of 0-9, *, #", k))
			switch {
			case o.Menu != "" && o.Action != "":
				v.add(okey, "has both menu %q and action %q: choose one", o.Menu, o.Action)
			case o.Menu == "" && o.Action == "":
				v.add(okey, "needs menu: <name> or action: %s", strings.Join(MenuActions, " | "))
			case o.Menu != "":
				if _, ok := ivr.Menus[o.Menu]; !ok {
					v.add(okey+".menu", "undefined menu %q%s", o.Menu, suggest(o.Menu, slices.Sorted(maps.Keys(ivr.Menus))))
				}
			case !slices.Contains(MenuActions, o.Action):
				v.add(okey+".action", "unknown action %q (%s)", o.Action, strings.Join(MenuActions, ", "))
			}
			if o.Intent != "" {
				v.check(slices.Contains(Intents, o.Intent), okey+".intent",
					fmt.Sprintf("unknown intent %q (%s)", o.Intent, strings.Join(Intents, ", ")))
			}
			if o.Product != "" {
				v.check(products[o.Product], okey+".product", fmt.Sprintf("%q is not in segmentation.products", o.Product))
			}
			if o.Language != "" {
				v.check(langs[o.Language], okey+".language", fmt.Sprintf("%q is not in segmentation.languages", o.Language))
			}
			v.check(o.Action != "language" || o.Language != "", okey+".language", `action "language" needs the language to switch to`)
			if o.Topic != "" {
				topics[o.Topic] = true
			}
		}
	}
	// Every menu must be reachable from the root: an orphan is a menu
	// operations think is live and is not.
	reached := map[string]bool{}
	var walk func(string)
	walk = func(name string) {
		if reached[name] {
			return
		}
		reached[name] = true
		for _, o := range ivr.Menus[name].Options {
			if _, ok := ivr.Menus[o.Menu]; ok {
				walk(o.Menu)
			}
		}
	}
	if _, ok := ivr.Menus[ivr.Root]; ok {
		walk(ivr.Root)
		for _, name := range slices.Sorted(maps.Keys(ivr.Menus)) {
			v.check(reached[name], "ivr.menus."+name, fmt.Sprintf("menu %q is not reachable from ivr.root %q", name, ivr.Root))
		}
	}

	c.validateRouting(v, topics)

	v.check(isEndpoint(c.Handoff.Endpoint), "handoff.endpoint",
		fmt.Sprintf("%q is not a channel endpoint like PJSIP/agent1001", c.Handoff.Endpoint))
	v.positive("handoff.ring_timeout", c.Handoff.RingTimeout)

	c.validatePrompts(v, prompts)
}

func (c *Config) validateRouting(v *validator, topics map[string]bool) {
	r := c.Routing
	queues := slices.Sorted(maps.Keys(r.Queues))
	v.check(len(r.Queues) > 0, "routing.queues", "must define at least one queue")
	if _, ok := r.Queues[r.DefaultQueue]; !ok {
		v.add("routing.default_queue", "undefined queue %q%s", r.DefaultQueue, suggest(r.DefaultQueue, queues))
	}
	for _, name := range slices.Sorted(maps.Keys(r.Queues)) {
		for i, s := range r.Queues[name].Skills {
			v.check(s != "" && !strings.ContainsAny(s, " \t,"), fmt.Sprintf("routing.queues.%s.skills[%d]", name, i),
				fmt.Sprintf("%q is not a skill name", s))
		}
	}
	for i, dim := range r.Skills {
		v.check(slices.Contains(RuleDimensions, dim), fmt.Sprintf("routing.skills[%d]", i),
			fmt.Sprintf("%q is not one of %s", dim, strings.Join(RuleDimensions, ", ")))
	}
	known := map[string]func(string) bool{
		"segment":  func(s string) bool { _, ok := c.Segmentation.Segments[s]; return ok },
		"tier":     func(s string) bool { _, ok := c.Segmentation.Tiers[s]; return ok },
		"intent":   func(s string) bool { return slices.Contains(Intents, s) },
		"product":  func(s string) bool { return slices.Contains(c.Segmentation.Products, s) },
		"topic":    func(s string) bool { return topics[s] },
		"language": func(s string) bool { return slices.Contains(c.Segmentation.Languages, s) },
	}
	whereKnown := map[string]string{
		"segment": "segmentation.segments", "tier": "segmentation.tiers", "intent": strings.Join(Intents, ", "),
		"product": "segmentation.products", "topic": "the topics of ivr.menus options", "language": "segmentation.languages",
	}
	names := map[string]int{}
	for i, rl := range r.Rules {
		key := fmt.Sprintf("routing.rules[%d]", i)
		if rl.Name == "" {
			v.add(key+".name", "must not be empty")
		} else if j, dup := names[rl.Name]; dup {
			v.add(key+".name", "%q is already used by routing.rules[%d]", rl.Name, j)
		} else {
			names[rl.Name] = i
		}
		if _, ok := r.Queues[rl.Queue]; !ok {
			v.add(key+".queue", "undefined queue %q used in rule %q%s", rl.Queue, rl.Name, suggest(rl.Queue, queues))
		}
		dims := rl.Match.Dims()
		for _, dim := range RuleDimensions {
			for _, val := range dims[dim] {
				v.check(known[dim](val), key+".match."+dim,
					fmt.Sprintf("unknown %s %q in rule %q (not in %s)", dim, val, rl.Name, whereKnown[dim]))
			}
		}
		// A rule an earlier rule always catches can never match.
		for j := range i {
			if covers(r.Rules[j].Match, rl.Match) {
				v.add(key, "rule %q never matches: every caller it matches is taken by rule %q (routing.rules[%d]) first",
					rl.Name, r.Rules[j].Name, j)
				break
			}
		}
	}
}

// covers reports whether every caller b matches is matched by a.
func covers(a, b RuleMatch) bool {
	ad, bd := a.Dims(), b.Dims()
	for _, dim := range RuleDimensions {
		if len(ad[dim]) == 0 {
			continue
		}
		if len(bd[dim]) == 0 {
			return false
		}
		for _, val := range bd[dim] {
			if !slices.Contains(ad[dim], val) {
				return false
			}
		}
	}
	return true
}

// validatePrompts checks that every prompt the configuration names is set
// and exists in the prompt manifest.
func (c *Config) validatePrompts(v *validator, known PromptIDs) {
	check := func(key, id string) {
		switch {
		case id == "":
			v.add(key, "must name a prompt")
		case !known[id]:
			v.add(key, "prompt %q is not in the prompt manifest (deployments/asterisk/sounds/prompts.yaml)%s",
				id, suggest(id, slices.Sorted(maps.Keys(known))))
		}
	}
	ivr := c.IVR
	check("ivr.invalid_prompt", ivr.InvalidPrompt)
	check("ivr.no_input_prompt", ivr.NoInputPrompt)
	check("ivr.identification.prompt", ivr.Identification.Prompt)
	check("ivr.identification.invalid_prompt", ivr.Identification.InvalidPrompt)
	check("ivr.identification.failed_prompt", ivr.Identification.FailedPrompt)
	check("ivr.incident.prompt", ivr.Incident.Prompt)
	check("ivr.incident.continue_prompt", ivr.Incident.ContinuePrompt)
	check("ivr.incident.eta_prompt", ivr.Incident.ETAPrompt)
	check("ivr.ticket.intro", ivr.Ticket.Intro)
	for _, s := range TicketStatuses {
		check("ivr.ticket.status_prompts."+s, ivr.Ticket.StatusPrompts[s])
	}
	check("ivr.ticket.last_update", ivr.Ticket.LastUpdate)
	check("ivr.ticket.eta", ivr.Ticket.ETA)
	check("ivr.ticket.none", ivr.Ticket.None)
	check("ivr.ticket.offer_agent", ivr.Ticket.OfferAgent)
	check("ivr.prompts.transfer", ivr.Prompts.Transfer)
	check("ivr.prompts.degraded", ivr.Prompts.Degraded)
	check("ivr.prompts.further_help", ivr.Prompts.FurtherHelp)
	check("ivr.prompts.language_switched", ivr.Prompts.LanguageSwitched)
	for _, name := range slices.Sorted(maps.Keys(ivr.Menus)) {
		check("ivr.menus."+name+".prompt", ivr.Menus[name].Prompt)
	}
	for _, b := range GreetingBands {
		if id := c.Greeting.Prompts[b]; id != "" { // a missing band is reported by Validate
			check("greeting.prompts."+b, id)
		}
	}
	if c.Greeting.Closing != "" {
		check("greeting.closing", c.Greeting.Closing)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Segmentation.Segments)) {
		if id := c.Segmentation.Segments[name].RedirectPrompt; id != "" {
			check("segmentation.segments."+name+".redirect_prompt", id)
		}
	}
}

// isEndpoint accepts a dial string like PJSIP/agent1001 or Local/1001@agents.
func isEndpoint(s string) bool {
	tech, res, ok := strings.Cut(s, "/")
	return ok && tech != "" && res != "" && !strings.ContainsAny(s, " \t,&")
}

// suggest returns ` (did you mean "x"?)` when a candidate is close to s.
func suggest(s string, candidates []string) string {
	if c := closest(s, candidates); c != "" && c != s {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

func setOf(xs []string) map[string]bool {
	out := make(map[string]bool, len(xs))
	for _, x := range xs {
		out[x] = true
	}
	return out
}
