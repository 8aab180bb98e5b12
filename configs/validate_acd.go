package configs

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Strategies are the queue strategies (router/acd registers one selector
// under each name; a test there keeps the two lists equal).
var Strategies = []string{"longest_idle", "fewest_calls", "round_robin", "ring_all"}

// AgentRoles are the roles an agent may have.
var AgentRoles = []string{"agent", "team_leader", "supervisor"}

// OverflowNone disables a queue's overflow.
const OverflowNone = "none"

// QueueSettings is a queue's ACD settings with the defaults applied.
func (c *Config) QueueSettings(name string) Queue {
	q := c.Routing.Queues[name]
	d := c.ACD.QueueDefaults
	if q.Strategy == "" {
		q.Strategy = d.Strategy
	}
	if q.ServiceLevel == 0 {
		q.ServiceLevel = d.ServiceLevel
	}
	if q.MaxWait == 0 {
		q.MaxWait = d.MaxWait
	}
	if q.WrapUp == 0 {
		q.WrapUp = d.WrapUp
	}
	if q.RingTimeout == 0 {
		q.RingTimeout = d.RingTimeout
	}
	if q.AnnounceEvery == 0 {
		q.AnnounceEvery = d.AnnounceEvery
	}
	if q.ServiceLevelTarget == 0 {
		q.ServiceLevelTarget = d.ServiceLevelTarget
	}
	if q.ShortAbandon == 0 {
		q.ShortAbandon = d.ShortAbandon
	}
	switch {
	case q.Overflow == OverflowNone || name == c.ACD.TeamLeaderQueue && q.Overflow == "":
		q.Overflow = ""
	case q.Overflow == "":
		q.Overflow = c.ACD.TeamLeaderQueue // "" when there is none: no overflow
	}
	return q
}

// normalizeACD lower-cases queue references (queue names are lower case
// after viper) and fills an agent's default role.
func (c *Config) normalizeACD() {
	c.ACD.TeamLeaderQueue = strings.ToLower(c.ACD.TeamLeaderQueue)
	for name, q := range c.Routing.Queues {
		q.Overflow = strings.ToLower(q.Overflow)
		c.Routing.Queues[name] = q
	}
	for i := range c.Agents {
		a := &c.Agents[i]
		a.Queues = mapStrings(a.Queues, strings.ToLower)
		if a.Role == "" {
			a.Role = "agent"
		}
	}
}

// validateACD checks acd, the ACD fields of routing.queues and agents.
func (c *Config) validateACD(v *validator) {
	a := c.ACD
	queues := slices.Sorted(maps.Keys(c.Routing.Queues))
	v.check(a.Pool != "" && !strings.ContainsAny(a.Pool, " \t{}:,|*?[]"), "acd.pool",
		fmt.Sprintf("%q is not a plain name (letters, digits, - or _)", a.Pool))
	if _, ok := c.Routing.Queues[a.TeamLeaderQueue]; !ok && a.TeamLeaderQueue != "" {
		v.add("acd.team_leader_queue", "undefined queue %q%s", a.TeamLeaderQueue, suggest(a.TeamLeaderQueue, queues))
	}
	maxTier := 0
	for _, p := range c.Segmentation.Tiers {
		maxTier = max(maxTier, p)
	}
	v.check(a.EscalationPriority > maxTier && a.EscalationPriority <= 999, "acd.escalation_priority",
		fmt.Sprintf("%d must be above every tier's priority (%d) and at most 999", a.EscalationPriority, maxTier))
	v.check(a.RepeatCaller.Calls >= 0, "acd.repeat_caller.calls", fmt.Sprintf("%d must not be negative (0: off)", a.RepeatCaller.Calls))
	if a.RepeatCaller.Calls > 0 {
		v.positive("acd.repeat_caller.window", a.RepeatCaller.Window)
	}
	d := a.QueueDefaults
	c.checkStrategy(v, "acd.queue_defaults.strategy", d.Strategy, false)
	v.positive("acd.queue_defaults.service_level", d.ServiceLevel)
	v.positive("acd.queue_defaults.ring_timeout", d.RingTimeout)
	v.check(d.MaxWait >= 0, "acd.queue_defaults.max_wait", fmt.Sprintf("%s must not be negative", d.MaxWait))
	v.check(d.WrapUp >= 0, "acd.queue_defaults.wrap_up", fmt.Sprintf("%s must not be negative", d.WrapUp))
	v.check(d.AnnounceEvery >= 0, "acd.queue_defaults.announce_every", fmt.Sprintf("%s must not be negative", d.AnnounceEvery))
	v.check(d.ServiceLevelTarget >= 1 && d.ServiceLevelTarget <= 100, "acd.queue_defaults.service_level_target",
		fmt.Sprintf("%d must be a percentage from 1 to 100", d.ServiceLevelTarget))
	v.check(d.ShortAbandon >= 0, "acd.queue_defaults.short_abandon", fmt.Sprintf("%s must not be negative", d.ShortAbandon))

	for _, name := range queues {
		q := c.Routing.Queues[name]
		key := "routing.queues." + name
		c.checkStrategy(v, key+".strategy", q.Strategy, true)
		for field, d := range map[string]time.Duration{"service_level": q.ServiceLevel, "max_wait": q.MaxWait,
			"wrap_up": q.WrapUp, "ring_timeout": q.RingTimeout, "announce_every": q.AnnounceEvery,
			"short_abandon": q.ShortAbandon} {
			v.check(d >= 0, key+"."+field, fmt.Sprintf("%s must not be negative", d))
		}
		v.check(q.ServiceLevelTarget >= 0 && q.ServiceLevelTarget <= 100, key+".service_level_target",
			fmt.Sprintf("%d must be a percentage from 1 to 100 (0: the default)", q.ServiceLevelTarget))
		if q.Overflow != "" && q.Overflow != OverflowNone {
			if _, ok := c.Routing.Queues[q.Overflow]; !ok {
				v.add(key+".overflow", "undefined queue %q%s", q.Overflow, suggest(q.Overflow, queues))
			} else if q.Overflow == name {
				v.add(key+".overflow", "%q overflows to itself", name)
			}
		}
	}
	// Overflows must end: follow each queue's chain.
	for _, name := range queues {
		seen := map[string]bool{name: true}
		path := []string{name}
		for cur := name; ; {
			next := c.QueueSettings(cur).Overflow
			if _, ok := c.Routing.Queues[next]; !ok || next == cur {
				break
			}
			path = append(path, next)
			if seen[next] {
				v.add("routing.queues."+name+".overflow", "overflow loop %s", strings.Join(path, " → "))
				break
			}
			seen[next] = true
			cur = next
		}
	}

	skills := c.knownSkills()
	ids := map[string]int{}
	endpoints := map[string]int{}
	for i, ag := range c.Agents {
		key := fmt.Sprintf("agents[%d]", i)
		switch {
		case !IsAgentID(ag.ID):
			v.add(key+".id", "%q is not an agent id (1-64 letters, digits, '.', '_' or '-')", ag.ID)
		default:
			if j, dup := ids[ag.ID]; dup {
				v.add(key+".id", "%q is already used by agents[%d]", ag.ID, j)
			}
			ids[ag.ID] = i
		}
		v.check(strings.TrimSpace(ag.Name) != "", key+".name", "must not be empty")
		if !isEndpoint(ag.Endpoint) {
			v.add(key+".endpoint", "%q is not a channel endpoint like PJSIP/agent1001", ag.Endpoint)
		} else if j, dup := endpoints[ag.Endpoint]; dup {
			v.add(key+".endpoint", "%q is already the endpoint of agents[%d]", ag.Endpoint, j)
		} else {
			endpoints[ag.Endpoint] = i
		}
		v.check(slices.Contains(AgentRoles, ag.Role), key+".role",
			fmt.Sprintf("%q is not one of %s", ag.Role, strings.Join(AgentRoles, ", ")))
		for j, q := range ag.Queues {
			if _, ok := c.Routing.Queues[q]; !ok {
				v.add(fmt.Sprintf("%s.queues[%d]", key, j), "undefined queue %q%s", q, suggest(q, queues))
			}
		}
		for j, s := range ag.Skills {
			if !skills[s] {
				v.add(fmt.Sprintf("%s.skills[%d]", key, j), "unknown skill %q%s%s", s, suggest(s, slices.Sorted(maps.Keys(skills))), skillSources)
			}
		}
	}
}

func (c *Config) checkStrategy(v *validator, key, s string, emptyOK bool) {
	if s == "" && emptyOK {
		return
	}
	if !slices.Contains(Strategies, s) {
		v.add(key, "unknown strategy %q (%s)%s", s, strings.Join(Strategies, ", "), suggest(s, Strategies))
	}
}

// knownSkills is every skill a call can require: one per value of each
// routing dimension (segment:DES, tier:gold, lang:en, ...) and the queues'
// own skills.
func (c *Config) knownSkills() map[string]bool {
	out := map[string]bool{}
	for s := range c.Segmentation.Segments {
		out["segment:"+s] = true
	}
	for t := range c.Segmentation.Tiers {
		out["tier:"+t] = true
	}
	for _, i := range Intents {
		out["intent:"+i] = true
	}
	for _, p := range c.Segmentation.Products {
		out["product:"+p] = true
	}
	for _, l := range c.Segmentation.Languages {
		out["lang:"+l] = true
	}
	for _, m := range c.IVR.Menus {
		for _, o := range m.Options {
			if o.Topic != "" {
				out["topic:"+o.Topic] = true
			}
		}
	}
	for _, q := range c.Routing.Queues {
		for _, s := range q.Skills {
			out[s] = true
		}
	}
	return out
}

// IsAgentID reports whether s is a valid agent (or controller instance) id:
// 1-64 letters, digits, '.', '_' or '-'. The acd checks ids it is given
// through its API with the same rule.
func IsAgentID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// skillSources says where the known skills come from; naming the keys also
// keeps the skill check quiet when one of them failed to decode (the
// unknown skill would then be a consequence, not a problem of its own).
const skillSources = " (skills come from segmentation.segments, segmentation.tiers, segmentation.products, segmentation.languages, menu topics and routing.queues.*.skills)"
