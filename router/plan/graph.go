package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tenesa-ivr/tenesa-ivr/configs"
	"github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// Graph formats.
const (
	FormatMermaid = "mermaid"
	FormatDOT     = "dot"
)

// Graph draws the whole call flow of the plan — answer, greeting,
// identification, degraded mode, segmentation check and redirect, incident
// announcement, every menu and key with its retry loop, ticket status, the
// routing rules and queues, the hand-off and every outcome — as a Mermaid
// flowchart or a Graphviz digraph, so a menu change can be reviewed before
// it goes live.
func (p *Plan) Graph(format string) (string, error) {
	g := p.flowGraph()
	switch format {
	case FormatMermaid:
		return g.mermaid(), nil
	case FormatDOT:
		return g.dot(), nil
	}
	return "", fmt.Errorf("unknown graph format %q (mermaid, dot)", format)
}

type shape int

const (
	shapeStep     shape = iota // something the IVR plays or does
	shapeDecision              // a question the flow answers
	shapeStart                 // where a call enters
	shapeOutcome               // a handling-record outcome
	shapeNote                  // something that can happen at any stage
)

type gnode struct {
	id    string
	lines []string
	shape shape
	group string
}

type gedge struct {
	from, to, label string
	dotted          bool
}

type ggroup struct{ id, title string }

type graph struct {
	nodes  []gnode
	edges  []gedge
	groups []ggroup
	ids    map[string]bool
}

func (g *graph) node(id string, s shape, group string, lines ...string) string {
	g.nodes = append(g.nodes, gnode{id: id, lines: lines, shape: s, group: group})
	g.ids[id] = true
	return id
}

func (g *graph) edge(from, to, label string) {
	g.edges = append(g.edges, gedge{from: from, to: to, label: label})
}

func (g *graph) dottedEdge(from, to, label string) {
	g.edges = append(g.edges, gedge{from: from, to: to, label: label, dotted: true})
}

// nodeID makes an identifier from a name, unique in the graph.
func (g *graph) nodeID(prefix, name string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	id := b.String()
	for i := 2; g.ids[id]; i++ {
		id = b.String() + "_" + strconv.Itoa(i)
	}
	return id
}

// flowGraph builds the graph of the SOP flow (DESIGN §1) as this plan runs it.
func (p *Plan) flowGraph() *graph {
	g := &graph{ids: map[string]bool{}, groups: []ggroup{
		{"identify", "2 · identification"},
		{"menus", "5 · menus"},
		{"selfservice", "6 · ticket status"},
		{"routing", "7 · route"},
		{"outcomes", "outcomes"},
	}}
	id := p.Identification
	tries := strconv.Itoa(p.Retries)

	// outcomes
	outcome := map[string]string{}
	for _, o := range []string{"agent_answered", "self_served", "wrong_segment", "abandoned_ivr", "abandoned_queue", "failed"} {
		outcome[o] = g.node("out_"+o, shapeOutcome, "outcomes", o)
	}

	// 1 answer + greeting
	g.node("start", shapeStart, "", "call enters Stasis (line = dialed number)")
	g.node("answer", shapeStep, "", "answer", "caller-ID look-up starts")
	g.edge("start", "answer", "")
	g.node("greeting", shapeStep, "", "greeting by the caller's local time",
		bands(p.Prompts.Greeting),
		fmt.Sprintf("zone of the customer's region (%d regions and their codes), else of the line", p.regionCount))
	g.edge("answer", "greeting", "")

	// 2 identification
	g.node("ani", shapeDecision, "identify", "caller ID found in Redis?")
	g.edge("greeting", "ani", "")
	g.node("sid", shapeStep, "identify", "ask service ID: "+id.Prompt,
		fmt.Sprintf("up to %d digits, ends with %s", id.MaxDigits, id.Terminator))
	g.node("sidfound", shapeDecision, "identify", "service ID found?")
	g.node("sidinvalid", shapeStep, "identify", id.InvalidPrompt)
	g.node("notid", shapeStep, "identify", id.FailedPrompt, "unidentified: default queue")
	g.node("degraded", shapeStep, "identify", "degraded mode: "+p.Prompts.Degraded,
		"Redis down or slow: unidentified, default queue, counted")
	g.edge("ani", "sid", "not found")
	g.edge("ani", "degraded", "Redis down / over budget")
	g.edge("sid", "sidfound", "")
	g.edge("sidfound", "sidinvalid", fmt.Sprintf("unknown or no input, attempt < %d", id.MaxAttempts))
	g.edge("sidinvalid", "sid", "try again")
	g.edge("sidfound", "notid", fmt.Sprintf("unknown after %d attempts", id.MaxAttempts))
	g.edge("sidfound", "degraded", "Redis down")

	// 3 segmentation check
	g.node("segment", shapeDecision, "", "segment served?")
	g.edge("ani", "segment", "found")
	g.edge("sidfound", "segment", "found")
	var served []string
	for _, name := range p.Segments.Segments() {
		isServed, redirect, _ := p.Segments.Served(name)
		if isServed {
			served = append(served, name)
			continue
		}
		then := "continue in the dialplan"
		if redirect.Target != "" {
			then = "transfer to " + redirect.Target
		}
		r := g.node(g.nodeID("redirect_", name), shapeStep, "", "redirect: "+redirect.Prompt, then)
		g.edge("segment", r, name+": not served")
		g.edge(r, outcome["wrong_segment"], "")
	}

	// 4 incident
	g.node("incident", shapeDecision, "", "known incident on the caller's products in their region?")
	g.edge("segment", "incident", "served: "+strings.Join(served, ", "))
	g.node("announce", shapeStep, "", "announce: incident prompt of the incident or "+p.Prompts.IncidentPrompt,
		"+ "+p.Prompts.IncidentETA+" and the time when the end is expected",
		"then "+p.Prompts.IncidentContinue+" (any key or silence continues)")
	g.edge("incident", "announce", "yes")

	// 7 route (declared before the menus so they can point at it)
	g.node("route", shapeStep, "routing", "route request: "+p.Prompts.Transfer,
		"queue by the first matching rule · priority by tier: "+tierList(p.Segments),
		"skills from "+strings.Join(p.skillsFrom, ", "))
	g.edge("notid", "route", "unidentified")
	g.edge("degraded", "route", "unidentified")

	// 5 menus, breadth first from the root so the picture reads top-down
	menuID := map[*Menu]string{}
	order := []*Menu{p.Root}
	menuID[p.Root] = g.nodeID("menu_", p.Root.Name)
	for i := 0; i < len(order); i++ {
		for _, k := range order[i].Keys {
			if next := order[i].Options[string(k)].Next; next != nil && menuID[next] == "" {
				menuID[next] = g.nodeID("menu_", next.Name)
				order = append(order, next)
			}
		}
	}
	for _, m := range order {
		g.node(menuID[m], shapeStep, "menus", "menu "+m.Name+": "+m.Prompt, "keys "+spaced(m.Keys))
	}
	g.edge("incident", menuID[p.Root], "no")
	g.edge("announce", menuID[p.Root], "")
	g.node("ticket", shapeStep, "selfservice", "ticket status",
		"asks the service ID ("+id.Prompt+") when identified by caller ID")
	for _, m := range order {
		mid := menuID[m]
		for _, k := range m.Keys {
			o := m.Options[string(k)]
			label := string(k)
			if t := o.tells(); t != "" {
				label += ": " + t
			}
			switch o.Action {
			case ActionMenu:
				g.edge(mid, menuID[o.Next], label)
			case ActionTicketStatus:
				g.edge(mid, "ticket", label)
			case ActionLanguage:
				l := g.node(g.nodeID("lang_", m.Name+"_"+string(k)), shapeStep, "menus",
					"switch to "+o.Language+": "+p.Prompts.LanguageSwitched)
				g.edge(mid, l, label)
				g.edge(l, mid, "menu again in "+o.Language)
			default: // route, agent
				g.edge(mid, "route", label+" → "+string(o.Action))
			}
		}
		retry := g.nodeID("retry_", m.Name)
		g.node(retry, shapeStep, "menus", p.Prompts.Invalid+" (wrong key) or "+p.Prompts.NoInput+
			" (nothing in "+p.FirstDigitTimeout.String()+")")
		g.edge(mid, retry, "invalid or no input, try < "+tries)
		g.edge(retry, mid, "re-prompt")
		g.edge(mid, "route", "after "+tries+" tries: agent with what is known")
	}

	// 6 ticket status
	g.node("ticketfound", shapeDecision, "selfservice", "open ticket for the service?")
	g.edge("ticket", "ticketfound", "")
	g.node("ticketread", shapeStep, "selfservice", p.Prompts.TicketIntro+", ticket id, status",
		statuses(p.Prompts.TicketStatus),
		p.Prompts.TicketLastUpdate+" when known, "+p.Prompts.TicketETA+" when known")
	g.node("ticketnone", shapeStep, "selfservice", p.Prompts.TicketNone)
	g.edge("ticketfound", "ticketread", "found")
	g.edge("ticketfound", "ticketnone", "none")
	g.edge("ticketfound", "route", "Redis down: "+p.Prompts.Degraded+", agent")
	g.node("offer", shapeDecision, "selfservice", p.Prompts.TicketOfferAgent+": 0 agent, 1 done")
	g.edge("ticketread", "offer", "")
	g.edge("ticketnone", "offer", "")
	g.node("offerretry", shapeStep, "selfservice", p.Prompts.Invalid+" or "+p.Prompts.NoInput)
	g.edge("offer", "offerretry", "other key or no input, try < "+tries)
	g.edge("offerretry", "offer", "re-prompt")
	g.edge("offer", "route", "0, or after "+tries+" tries")
	g.node("further", shapeDecision, "selfservice", p.Prompts.FurtherHelp+": 1 main menu, 0 agent, 2 end")
	g.edge("offer", "further", "1")
	g.edge("further", menuID[p.Root], "1")
	g.edge("further", "route", "0")
	g.node("furtherretry", shapeStep, "selfservice", p.Prompts.Invalid)
	g.edge("further", "furtherretry", "other key, try < "+tries)
	g.edge("furtherretry", "further", "re-prompt")
	g.node("closing", shapeStep, "selfservice", p.Prompts.Closing+", hang up")
	g.edge("further", "closing", "2, no input, or after "+tries+" tries")
	g.edge("closing", outcome["self_served"], "")

	// 7 rules → queues
	g.node("rules", shapeDecision, "routing", "first matching rule")
	g.edge("route", "rules", "")
	queueID := map[string]string{}
	queueNode := func(q string) string {
		if queueID[q] == "" {
			queueID[q] = g.node(g.nodeID("queue_", q), shapeStep, "routing", "queue "+q)
		}
		return queueID[q]
	}
	for i, r := range p.rules {
		g.edge("rules", queueNode(r.queue), fmt.Sprintf("%d. %s: %s", i+1, r.name, strings.ReplaceAll(r.describe(), "|", "/")))
	}
	g.edge("rules", queueNode(p.defaultQueue), "unidentified, or no rule matches")

	// 8-9 hand-off: the ACD, or one agent endpoint when no agents are configured
	if p.Handoff.ACD {
		g.node("handoff", shapeStep, "routing", "ACD: wait on music on hold, position and estimated wait announced",
			"ring the offered agent (ring_all: several) with the screen-pop in channel variables",
			"no answer: next agent, the first paused no_answer")
	} else {
		g.node("handoff", shapeStep, "routing", "hand-off: music on hold, ring "+p.Handoff.Endpoint,
			"ring "+p.Handoff.RingTimeout.String()+", screen-pop in channel variables")
	}
	queues := make([]string, 0, len(queueID))
	for q := range queueID {
		queues = append(queues, q)
	}
	slices.Sort(queues)
	for _, q := range queues {
		g.edge(queueID[q], "handoff", "")
	}
	g.edge("handoff", outcome["agent_answered"], "agent answers: bridged")
	if p.Handoff.ACD {
		if tl := p.Handoff.TeamLeaderQueue; tl != "" {
			g.edge("handoff", "handoff", "past the maximum wait, repeat caller or agent's escalation: queue "+tl)
		}
	} else {
		g.node("fallback", shapeStep, "routing", "no agent answers: continue in the dialplan (plain Queue fallback)")
		g.edge("handoff", "fallback", "no answer")
	}
	g.dottedEdge("handoff", outcome["abandoned_queue"], "caller hangs up while waiting")

	// anywhere
	g.node("hangup", shapeNote, "", "caller hangs up at any IVR stage")
	g.dottedEdge("hangup", outcome["abandoned_ivr"], "")
	g.node("arifail", shapeNote, "", "ARI request fails at any stage", "the dialplan takes the caller on")
	g.dottedEdge("arifail", outcome["failed"], "")
	return g
}

func bands(m map[string]string) string {
	order := []string{"pagi", "siang", "sore", "malam"}
	if _, ok := m["pagi"]; !ok {
		order = sortedNames(m)
	}
	var parts []string
	for _, k := range order {
		if v, ok := m[k]; ok {
			parts = append(parts, k+": "+v)
		}
	}
	return strings.Join(parts, " · ")
}

// statuses lists ticket status prompts in the order of configs.TicketStatuses.
func statuses(m map[string]string) string {
	var parts []string
	for _, s := range configs.TicketStatuses {
		if v, ok := m[s]; ok {
			parts = append(parts, s+": "+v)
		}
	}
	return strings.Join(parts, " · ")
}

func tierList(rules *segmentation.Rules) string {
	names := rules.Tiers()
	slices.SortStableFunc(names, func(a, b string) int { return rules.Priority(b) - rules.Priority(a) })
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " " + strconv.Itoa(rules.Priority(n))
	}
	return strings.Join(parts, ", ")
}

func spaced(keys string) string {
	return strings.Join(strings.Split(keys, ""), " ")
}

// mermaid renders a Mermaid flowchart.
func (g *graph) mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	write := func(n gnode, indent string) {
		label := mermaidText(strings.Join(n.lines, "\n"))
		var open, close string
		switch n.shape {
		case shapeDecision:
			open, close = "{", "}"
		case shapeStart:
			open, close = "([", "])"
		case shapeOutcome:
			open, close = "((", "))"
		case shapeNote:
			open, close = ">", "]"
		default:
			open, close = "[", "]"
		}
		fmt.Fprintf(&b, "%s%s%s\"%s\"%s\n", indent, n.id, open, label, close)
	}
	for _, n := range g.nodes {
		if n.group == "" {
			write(n, "  ")
		}
	}
	for _, gr := range g.groups {
		fmt.Fprintf(&b, "  subgraph %s[\"%s\"]\n", gr.id, mermaidText(gr.title))
		for _, n := range g.nodes {
			if n.group == gr.id {
				write(n, "    ")
			}
		}
		b.WriteString("  end\n")
	}
	for _, e := range g.edges {
		arrow := "-->"
		if e.dotted {
			arrow = "-.->"
		}
		if e.label == "" {
			fmt.Fprintf(&b, "  %s %s %s\n", e.from, arrow, e.to)
		} else {
			fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", e.from, arrow, mermaidText(e.label), e.to)
		}
	}
	b.WriteString("  classDef decision fill:#fff4d6,stroke:#b8860b\n")
	b.WriteString("  classDef outcome fill:#e3f2e1,stroke:#2e7d32\n")
	b.WriteString("  classDef note fill:#f3e5f5,stroke:#6a1b9a\n")
	for _, c := range []struct {
		s    shape
		name string
	}{{shapeDecision, "decision"}, {shapeOutcome, "outcome"}, {shapeNote, "note"}} {
		var ids []string
		for _, n := range g.nodes {
			if n.shape == c.s {
				ids = append(ids, n.id)
			}
		}
		if len(ids) > 0 {
			fmt.Fprintf(&b, "  class %s %s\n", strings.Join(ids, ","), c.name)
		}
	}
	return b.String()
}

// mermaidText escapes a label for a quoted Mermaid string.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", "<br/>").Replace(s)
}

// dot renders a Graphviz digraph.
func (g *graph) dot() string {
	var b strings.Builder
	b.WriteString("digraph tenesa_ivr {\n")
	b.WriteString("  rankdir=TB;\n")
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=9];\n")
	write := func(n gnode, indent string) {
		attrs := ""
		switch n.shape {
		case shapeDecision:
			attrs = ", shape=diamond, style=filled, fillcolor=\"#fff4d6\""
		case shapeStart:
			attrs = ", shape=oval, style=filled, fillcolor=\"#e3ecf7\""
		case shapeOutcome:
			attrs = ", shape=doublecircle, style=filled, fillcolor=\"#e3f2e1\""
		case shapeNote:
			attrs = ", shape=note, style=filled, fillcolor=\"#f3e5f5\""
		}
		fmt.Fprintf(&b, "%s%s [label=%s%s];\n", indent, n.id, dotText(strings.Join(n.lines, "\n")), attrs)
	}
	for _, n := range g.nodes {
		if n.group == "" {
			write(n, "  ")
		}
	}
	for _, gr := range g.groups {
		fmt.Fprintf(&b, "  subgraph cluster_%s {\n    label=%s;\n    style=dashed;\n", gr.id, dotText(gr.title))
		for _, n := range g.nodes {
			if n.group == gr.id {
				write(n, "    ")
			}
		}
		b.WriteString("  }\n")
	}
	for _, e := range g.edges {
		var attrs []string
		if e.label != "" {
			attrs = append(attrs, "label="+dotText(e.label))
		}
		if e.dotted {
			attrs = append(attrs, "style=dashed")
		}
		if len(attrs) == 0 {
			fmt.Fprintf(&b, "  %s -> %s;\n", e.from, e.to)
		} else {
			fmt.Fprintf(&b, "  %s -> %s [%s];\n", e.from, e.to, strings.Join(attrs, ", "))
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// dotText quotes a label for Graphviz.
func dotText(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
