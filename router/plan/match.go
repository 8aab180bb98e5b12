package plan

import "slices"

// DefaultRule is Route.Rule when no rule matched.
const DefaultRule = "default"

// Match returns the route for a caller: the first rule whose every listed
// dimension accepts the caller's value wins; nothing matching, or a caller
// not identified, goes to the default queue. Priority comes from the tier,
// skills from routing.skills and the queue's own skills. Match is pure.
func (p *Plan) Match(a Attrs) Route {
	r := Route{Queue: p.defaultQueue, Rule: DefaultRule}
	if a.Identified {
		r.Priority = p.Segments.Priority(a.Tier)
		for _, rl := range p.rules {
			if rl.matches(a) {
				r.Queue, r.Rule = rl.queue, rl.name
				break
			}
		}
	}
	r.Skills = p.skills(a, r.Queue)
	return r
}

func (rl rule) matches(a Attrs) bool {
	for dim, set := range rl.match {
		if !set[attr(a, dim)] {
			return false
		}
	}
	return true
}

// attr returns the caller's value of one dimension.
func attr(a Attrs, dim string) string {
	switch dim {
	case "segment":
		return a.Segment
	case "tier":
		return a.Tier
	case "intent":
		return a.Intent
	case "product":
		return a.Product
	case "topic":
		return a.Topic
	case "language":
		return a.Language
	}
	return ""
}

// skillPrefix is the skill name of each dimension: "segment:DES", "lang:en".
var skillPrefix = map[string]string{
	"segment":  "segment:",
	"tier":     "tier:",
	"intent":   "intent:",
	"product":  "product:",
	"topic":    "topic:",
	"language": "lang:",
}

// skills derives the required skills: one per configured dimension the
// caller has a value for, then the queue's own skills, without duplicates.
func (p *Plan) skills(a Attrs, queue string) []string {
	out := []string{}
	for _, dim := range p.skillsFrom {
		if v := attr(a, dim); v != "" {
			if !a.Identified && (dim == "segment" || dim == "tier") {
				continue // not known for a caller not identified
			}
			out = append(out, skillPrefix[dim]+v)
		}
	}
	for _, s := range p.queues[queue].skills {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Queues lists every configured queue name, sorted: the closed set of queue
// label values for metrics and the queueing side.
func (p *Plan) Queues() []string { return sortedNames(p.queues) }

// DefaultQueue is the queue of callers no rule matches and of callers not
// identified.
func (p *Plan) DefaultQueue() string { return p.defaultQueue }
