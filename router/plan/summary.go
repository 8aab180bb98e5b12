package plan

import (
	"github.com/tenesa-ivr/tenesa-ivr/configs"

	"fmt"
	"slices"
	"sort"
	"strings"
)

// Summary is a stable, human-readable listing of the compiled plan (without
// its version and load time): menus with every key, rules in order, queues
// and hand-off. Golden tests compare it; check-config may print it.
func (p *Plan) Summary() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("root: %s", p.Root.Name)
	w("input: first digit %s, inter digit %s, %d tries per menu then an agent", p.FirstDigitTimeout, p.InterDigitTimeout, p.Retries)
	id := p.Identification
	w("identification: %d attempts, up to %d digits ending %q; prompts %s, %s, %s", id.MaxAttempts, id.MaxDigits, id.Terminator, id.Prompt, id.InvalidPrompt, id.FailedPrompt)
	w("menus:")
	for _, name := range sortedNames(p.Menus) {
		m := p.Menus[name]
		w("  %s: prompt %s, keys %q", m.Name, m.Prompt, m.Keys)
		for _, k := range m.Keys {
			w("    %s", m.Options[string(k)].describe())
		}
	}
	pr := p.Prompts
	w("prompts: invalid %s, no input %s, transfer %s, degraded %s, closing %s, further help %s, language switched %s",
		pr.Invalid, pr.NoInput, pr.Transfer, pr.Degraded, pr.Closing, pr.FurtherHelp, pr.LanguageSwitched)
	w("  incident %s, continue %s", pr.IncidentPrompt, pr.IncidentContinue)
	w("  ticket intro %s, last update %s, eta %s, none %s, offer agent %s", pr.TicketIntro, pr.TicketLastUpdate, pr.TicketETA, pr.TicketNone, pr.TicketOfferAgent)
	w("  ticket status %s", pairs(pr.TicketStatus))
	w("  greeting %s (sound:%s<lang>/<id>)", pairs(pr.Greeting), pr.SoundPrefix)
	zones := map[string][]string{}
	for r, z := range p.Regions {
		zones[z] = append(zones[z], r)
	}
	for _, z := range []string{"WIB", "WITA", "WIT"} {
		slices.Sort(zones[z])
		w("regions %s: %s", z, strings.Join(zones[z], " "))
	}
	w("routing: default queue %s, skills from %s", p.defaultQueue, strings.Join(p.skillsFrom, " "))
	for i, r := range p.rules {
		w("  %d. %s: %s → %s", i+1, r.name, r.describe(), r.queue)
	}
	w("queues:")
	for _, name := range sortedNames(p.queues) {
		q := p.queues[name]
		w("  %s: %q skills [%s]", name, q.description, strings.Join(q.skills, " "))
	}
	w("handoff: %s, ring %s", p.Handoff.Endpoint, p.Handoff.RingTimeout)
	return b.String()
}

// describe is one option as "1 → menu complaint (intent complaint)".
func (o *Option) describe() string {
	s := o.Key + " → " + string(o.Action)
	if o.Next != nil {
		s += " " + o.Next.Name
	}
	if t := o.tells(); t != "" {
		s += " (" + t + ")"
	}
	return s
}

// tells lists what pressing the key says about the caller.
func (o *Option) tells() string {
	var parts []string
	for _, kv := range [][2]string{{"intent", o.Intent}, {"product", o.Product}, {"topic", o.Topic}, {"language", o.Language}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	return strings.Join(parts, ", ")
}

// describe is a matcher as "segment DES, intent complaint|request", or
// "anything" for an empty matcher.
func (r rule) describe() string {
	var parts []string
	dims := r.source.Match.Dims()
	for _, dim := range configs.RuleDimensions {
		if len(dims[dim]) > 0 {
			parts = append(parts, dim+" "+strings.Join(dims[dim], "|"))
		}
	}
	if len(parts) == 0 {
		return "anything"
	}
	return strings.Join(parts, ", ")
}

func pairs(m map[string]string) string {
	keys := sortedNames(m)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + m[k]
	}
	return strings.Join(out, " ")
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
